"""Exclusion rules deployed for real (Terraform, the AWS provider) onto this module's emulator.

One target on an existing trail's log group (made here with boto3) and two events, one with an
exclusion rule whose value has a `*` inside: the deployed filter holds the compiled pattern,
`state` reads it back without drift, coverage from state names the rule, and `plan-report
--stacks` reviews real plans that remove the rule and then add a wider one.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import TYPE_CHECKING, Any

import pytest
import yaml

from tests.helpers import REPO, default_config, missing_tool
from trailwatch.spec.targets import Target

if TYPE_CHECKING:
    from tests.emulator_lab import Lab

pytestmark = pytest.mark.emulator

EVENTS = ("authorization-failures", "security-group-changes")
REGION, LOG_GROUP = "us-east-1", "/org/rules/cloudtrail"
STACK = "trailwatch-rules"


def tuned_config() -> dict[str, Any]:
    tuned = yaml.safe_load((REPO / "examples" / "tuned.yaml").read_text())
    # Synth refuses the rule once its date has passed; these tests are not about that.
    del tuned["exclusions"]["rules"][0]["expires"]
    config = default_config()
    config["exclusions"] = tuned["exclusions"]
    ids = [yaml.safe_load(p.read_text())["id"] for p in sorted((REPO / "events").iterdir())]
    config["disabled_events"] = [e for e in ids if e not in EVENTS]
    config["targets"] = [
        {
            "name": "rules",
            "region": REGION,
            "trail": {"mode": "existing", "log_group_name": LOG_GROUP},
        }
    ]
    return config


@pytest.fixture(scope="module")
def rules_lab(
    tmp_path_factory: pytest.TempPathFactory, terraform_env: dict[str, str]
) -> Iterator[Lab]:
    from tests.emulator_lab import Lab
    from trailwatch.tooling.emulator import Emulator, moto_available

    if not moto_available():
        missing_tool("moto[server] is not installed (make install)")
    with Emulator() as emulator:
        lab = Lab(tmp_path_factory.mktemp("rules"), emulator.endpoint_url, terraform_env)
        lab.client("logs", REGION).create_log_group(logGroupName=LOG_GROUP)
        lab.synth(tuned_config())

        def deploy(target: Target) -> None:
            terraform = lab.terraform(target)
            terraform.init()
            terraform.apply()

        lab.each(deploy)
        yield lab


def test_the_deployed_filter_holds_the_compiled_pattern(rules_lab: Lab) -> None:
    alarm = rules_lab.deployment().alarm("authorization-failures")
    assert "%^arn:aws:sts::.*:assumed-role/SampleRole/%" in alarm.pattern
    filters = rules_lab.client("logs", REGION).describe_metric_filters(logGroupName=LOG_GROUP)
    patterns = {
        f["metricTransformations"][0]["metricName"]: f["filterPattern"]
        for f in filters["metricFilters"]
    }
    assert patterns["AuthorizationFailureCount"] == alarm.pattern
    assert (
        patterns["SecurityGroupEventCount"]
        == rules_lab.deployment().alarm("security-group-changes").event.pattern
    )


def test_state_reads_the_rule_back_without_drift(rules_lab: Lab) -> None:
    code, out, err = rules_lab.cli(["state", "--json"])
    assert code == 0, err
    (stack,) = json.loads(out)["stacks"]
    assert (stack["stack"], stack["findings"]) == (STACK, [])


def test_coverage_from_state_names_the_rule(rules_lab: Lab) -> None:
    code, out, err = rules_lab.cli(["coverage", "--from-state", "--json"])
    assert code == 1, err
    (security_hub,) = [f for f in json.loads(out)["frameworks"] if f["id"] == "security-hub"]
    by_id = {c["id"]: c for c in security_hub["controls"]}
    assert by_id["CloudWatch.2"]["reasons"] == ["exclusion added: inventory-ec2-probes"]
    assert by_id["CloudWatch.10"]["status"] == "met"  # security-group-changes, no rule


def plan_findings(lab: Lab, config: dict[str, Any]) -> dict[str, str]:
    lab.synth(config)
    code, out, err = lab.cli(["plan-report", "--stacks", "--format", "json"])
    assert code == 0, err
    return {f["reason"]: f["kind"] for f in json.loads(out)["findings"]}


def test_plan_report_reviews_a_removed_then_a_wider_rule(rules_lab: Lab) -> None:
    removed = tuned_config()
    removed["exclusions"]["rules"] = []
    assert plan_findings(rules_lab, removed) == {
        "exclusion rule (not in the config) removed from authorization-failures: (principal_arn "
        "= arn:aws:sts::*:assumed-role/SampleRole/*, event_source = ec2.amazonaws.com) counted "
        "again": "strengthening"
    }
    wider = tuned_config()
    del wider["exclusions"]["rules"][0]["match"]["event_source"]
    del wider["exclusions"]["rules"][0]["keeps"]  # the Organizations denial is dropped now
    assert plan_findings(rules_lab, wider) == {
        "exclusion rule inventory-ec2-probes widened on authorization-failures: (principal_arn = "
        "arn:aws:sts::*:assumed-role/SampleRole/*, event_source = ec2.amazonaws.com) → "
        "(principal_arn = arn:aws:sts::*:assumed-role/SampleRole/*); it drops more records; "
        "reason: the inventory role describes every instance attribute; it has no write "
        "access": "weakening"
    }
