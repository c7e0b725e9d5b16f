"""plan-report and exclusion rules: added or widened is a weakening with the rule's reason,
removed or narrowed a strengthening; the rules are read back from the filter's pattern."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import yaml

from tests.helpers import default_config
from tests.test_plan_report import change, plan
from trailwatch.audit.plan import parse_plan, render_markdown, review
from trailwatch.spec.config import Environment
from trailwatch.spec.model import Deployment, load_deployment

EVENT = "authorization-failures"


def deployment_with(tmp_path: Path, matches: list[dict[str, str]]) -> Deployment:
    """The default config with one rule per `match` on authorization-failures."""
    plain_path = _write(tmp_path / "plain", None)
    plain = load_deployment(plain_path, Environment(config_path=plain_path, outdir=tmp_path))
    ec2 = next(
        s.record
        for s in plain.catalog[EVENT].samples.match
        if s.record["eventName"] == "DescribeInstanceAttribute"
    )
    rules = [
        {
            "id": f"plan-role-{index}" if index else "plan-role",
            "events": [EVENT],
            "match": match,
            "reason": "the plan role reads every instance attribute",
            "removes": [{"note": "SampleRole denied by EC2", "record": ec2}],
        }
        for index, match in enumerate(matches)
    ]
    path = _write(tmp_path / "ruled", rules)
    return load_deployment(path, Environment(config_path=path, outdir=tmp_path / "out"))


def _write(folder: Path, rules: list[dict[str, Any]] | None) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    config = default_config()
    if rules is not None:
        config["exclusions"] = {"rules": rules}
    path = folder / "trailwatch.yaml"
    path.write_text(yaml.safe_dump(config, sort_keys=False))
    return path


def filter_change(before: str, after: str) -> dict[str, Any]:
    def values(pattern: str) -> dict[str, Any]:
        return {
            "name": "AuthorizationFailureCount",
            "pattern": pattern,
            "log_group_name": "/trailwatch/primary/cloudtrail",
            "metric_transformation": [
                {
                    "name": "AuthorizationFailureCount",
                    "namespace": "CloudTrailMetrics",
                    "value": "1",
                }
            ],
        }

    return change(
        "aws_cloudwatch_log_metric_filter",
        "filter_authorization_failures",
        ["update"],
        values(before),
        values(after),
    )


def findings(deployment: Deployment, before: str, after: str) -> dict[str, str]:
    report = review(
        [parse_plan(plan(filter_change(before, after)), source="plan.json")],
        deployment.catalog,
        deployment.profile,
        deployment.config.exclusions.rules,
    )
    return {f.reason: f.kind for f in report.findings}


ROLE = {"principal_arn": "arn:aws:sts::*:assumed-role/SampleRole/*"}
ROLE_ON_EC2 = {**ROLE, "event_source": "ec2.amazonaws.com"}
ANY_SAMPLE_ROLE = {"principal_arn": "*/SampleRole/*"}


def test_added_rule_is_a_weakening_with_its_reason(tmp_path: Path) -> None:
    deployment = deployment_with(tmp_path, [ROLE_ON_EC2])
    base = deployment.alarm(EVENT).event.pattern
    assert findings(deployment, base, deployment.alarm(EVENT).pattern) == {
        "exclusion rule plan-role added to authorization-failures: drops (principal_arn = "
        "arn:aws:sts::*:assumed-role/SampleRole/*, event_source = ec2.amazonaws.com); reason: "
        "the plan role reads every instance attribute": "weakening"
    }


def test_removed_rule_is_a_strengthening(tmp_path: Path) -> None:
    ruled = deployment_with(tmp_path, [ROLE_ON_EC2])
    assert findings(ruled, ruled.alarm(EVENT).pattern, ruled.alarm(EVENT).event.pattern) == {
        "exclusion rule plan-role removed from authorization-failures: (principal_arn = "
        "arn:aws:sts::*:assumed-role/SampleRole/*, event_source = ec2.amazonaws.com) counted "
        "again": "strengthening"
    }


def test_widened_rule_is_a_weakening_narrowed_a_strengthening(tmp_path: Path) -> None:
    narrow = deployment_with(tmp_path / "narrow", [ROLE_ON_EC2]).alarm(EVENT).pattern
    wide_deployment = deployment_with(tmp_path / "wide", [ANY_SAMPLE_ROLE])
    wide = wide_deployment.alarm(EVENT).pattern
    assert findings(wide_deployment, narrow, wide) == {
        "exclusion rule plan-role widened on authorization-failures: (principal_arn = "
        "arn:aws:sts::*:assumed-role/SampleRole/*, event_source = ec2.amazonaws.com) → "
        "(principal_arn = */SampleRole/*); it drops more records; reason: the plan role reads "
        "every instance attribute": "weakening"
    }
    narrow_deployment = deployment_with(tmp_path / "narrow-again", [ROLE_ON_EC2])
    assert findings(narrow_deployment, wide, narrow) == {
        "exclusion rule plan-role narrowed on authorization-failures: (principal_arn = "
        "*/SampleRole/*) → (principal_arn = arn:aws:sts::*:assumed-role/SampleRole/*, "
        "event_source = ec2.amazonaws.com); it drops fewer records": "strengthening"
    }


def test_a_rule_beside_others_and_a_base_change_keeps_the_sample_review(tmp_path: Path) -> None:
    deployment = deployment_with(tmp_path, [ROLE, ANY_SAMPLE_ROLE])
    one = deployment_with(tmp_path / "one", [ROLE]).alarm(EVENT).pattern
    both = deployment.alarm(EVENT).pattern
    found = findings(deployment, one, both)
    assert found == {
        "exclusion rule plan-role-1 added to authorization-failures: drops (principal_arn = "
        "*/SampleRole/*); reason: the plan role reads every instance attribute": "weakening"
    }
    # A base pattern that changes too is judged by the samples as before, beside the rules.
    narrower_base = both.replace(' || ($.errorCode="AccessDenied*")', "")
    found = findings(deployment, one, narrower_base)
    assert (
        "filter pattern of authorization-failures changed: 1 catalog sample no longer matches"
        in found
    )
    assert (
        found[
            "exclusion rule plan-role-1 added to authorization-failures: drops (principal_arn = "
            "*/SampleRole/*); reason: the plan role reads every instance attribute"
        ]
        == "weakening"
    )


def test_markdown_labels_a_strengthening(tmp_path: Path) -> None:
    ruled = deployment_with(tmp_path, [ROLE_ON_EC2])
    report = review(
        [
            parse_plan(
                plan(filter_change(ruled.alarm(EVENT).pattern, ruled.alarm(EVENT).event.pattern)),
                source="plan.json",
            )
        ],
        ruled.catalog,
        ruled.profile,
        (),
    )
    assert report.weakenings == 0
    assert (
        "- strengthening: exclusion rule (not in the config) removed from authorization-failures"
        in render_markdown(report)
    )
