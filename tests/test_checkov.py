"""checkov over every synthesized stack: no failed check, and checks really ran on each file.

checkov lives in its own environment (tools/checkov/Pipfile, synced into .tools/checkov by
`make install`) because its pins clash with the app's. It runs offline: `--skip-download` and
BC_SKIP_MAPPING keep it from calling its vendor's API. Skips live only in .checkov.yaml.
"""

from __future__ import annotations

import json
import os
import re
import subprocess
from pathlib import Path
from typing import Any

import pytest
import yaml

from tests.conftest import REPO, Synth, SynthFactory, default_config, missing_tool

CHECKOV = REPO / ".tools" / "checkov" / "bin" / "checkov"
SETTINGS = REPO / ".checkov.yaml"


def every_option_config() -> dict[str, Any]:
    """Existing trail, S3 backend, every subscription kind, overrides, prefix, all actions,
    the prowler pattern profile."""
    return {
        "namespace": "Security/CloudTrail",
        "name_prefix": "acme-",
        "pattern_profile": "prowler",
        "tags": {"project": "trailwatch", "owner": "secops"},
        "disabled_events": ["ec2-instance-changes"],
        "overrides": {
            "console-signin-failures": {
                "threshold": 5,
                "period": 600,
                "evaluation_periods": 2,
                "datapoints_to_alarm": 2,
                "treat_missing_data": "ignore",
            },
            "root-account-usage": {
                "statistic": "Maximum",
                "comparison": "GreaterThanThreshold",
                "threshold": 0,
            },
        },
        "notifications": {
            "emails": ["secops@example.com"],
            "subscriptions": [
                {"protocol": "https", "endpoint": "https://hooks.example.com/trailwatch"},
                {
                    "protocol": "sqs",
                    "endpoint": "arn:aws:sqs:us-east-1:111111111111:trailwatch-alarms",
                },
                {
                    "protocol": "lambda",
                    "endpoint": "arn:aws:lambda:us-east-1:111111111111:function:trailwatch-pager",
                },
            ],
            "ok_actions": True,
            "insufficient_data_actions": True,
        },
        "backend": {
            "type": "s3",
            "bucket": "acme-terraform-state",
            "region": "us-east-1",
            "key_prefix": "trailwatch/prod",
        },
        "targets": [
            {
                "name": "primary",
                "region": "us-east-1",
                "account_id": "111111111111",
                "tags": {"cost-center": "security"},
                "trail": {
                    "mode": "create",
                    "retention_days": 731,
                    "log_group_name": "/acme/cloudtrail",
                },
            },
            {
                "name": "org",
                "region": "eu-central-1",
                "account_id": "222222222222",
                "assume_role_arn": "arn:aws:iam::222222222222:role/trailwatch-deploy",
                "trail": {"mode": "existing", "log_group_name": "aws-controltower/CloudTrailLogs"},
            },
        ],
    }


def existing_topic_config() -> dict[str, Any]:
    """Alarms publish to a topic trailwatch does not manage."""
    config = default_config()
    config["notifications"] = {
        "topic_arn": "arn:aws:sns:us-east-1:111111111111:security-alerts",
    }
    config["targets"] = [
        {"name": "primary", "region": "us-east-1", "trail": {"mode": "create"}},
        {
            "name": "org",
            "region": "eu-central-1",
            "trail": {"mode": "existing", "log_group_name": "aws-controltower/CloudTrailLogs"},
        },
    ]
    return config


def routed_example_config() -> dict[str, Any]:
    """Every channel kind (Chatbot Slack and Teams with their roles), routes, per-target
    settings, a pattern override, default_value and a dashboard."""
    config: dict[str, Any] = yaml.safe_load((REPO / "examples" / "routed.yaml").read_text())
    return config


CONFIGS = {
    "default": default_config,
    "checkov-every-option": every_option_config,
    "checkov-existing-topic": existing_topic_config,
    "routed-example": routed_example_config,
}
STACKS = [
    ("default", "trailwatch-primary"),
    ("default", "trailwatch-eu"),
    ("routed-example", "trailwatch-prod"),
    ("routed-example", "trailwatch-staging"),
    ("checkov-every-option", "trailwatch-primary"),
    ("checkov-every-option", "trailwatch-org"),
    ("checkov-existing-topic", "trailwatch-primary"),
    ("checkov-existing-topic", "trailwatch-org"),
]


def run_checkov(files: list[Path]) -> list[dict[str, Any]]:
    """One checkov run over the files; its JSON reports (one per framework that ran)."""
    env = {**os.environ, "BC_SKIP_MAPPING": "TRUE", "CHECKOV_RUN_SCA_PACKAGE_SCAN_V2": "false"}
    command = [
        str(CHECKOV),
        "--config-file",
        str(SETTINGS),
        "--skip-download",
        "--output",
        "json",
        "--soft-fail",
    ]
    for path in files:
        command += ["--file", str(path)]
    result = subprocess.run(command, capture_output=True, text=True, env=env, timeout=600, cwd=REPO)
    assert result.returncode == 0, result.stderr[-2000:]
    reports = json.loads(result.stdout)
    return reports if isinstance(reports, list) else [reports]


@pytest.fixture(scope="module")
def checkov_results(synth_config: SynthFactory) -> dict[tuple[str, str], dict[str, Any]]:
    """Per (config, stack): checkov's passed and failed checks and parse errors on that file."""
    if not CHECKOV.is_file():
        missing_tool(f"{CHECKOV} is missing: run `make install`")
    synths: dict[str, Synth] = {name: synth_config(name, make()) for name, make in CONFIGS.items()}
    files = {synths[name].path(stack).resolve(): (name, stack) for name, stack in STACKS}
    results: dict[tuple[str, str], dict[str, list[Any]]] = {
        key: {"passed": [], "failed": [], "parse_errors": []} for key in files.values()
    }

    def key_of(path: str) -> tuple[str, str]:
        return files[(REPO / path).resolve()]

    for report in run_checkov(sorted(files)):
        outcome = report["results"]
        for kind in ("passed", "failed"):
            for check in outcome[f"{kind}_checks"]:
                results[key_of(check["file_abs_path"])][kind].append(check)
        for path in outcome.get("parsing_errors", []):
            results[key_of(path)]["parse_errors"].append(path)
    return results


def describe(checks: list[dict[str, Any]]) -> list[str]:
    return [f"{c['check_id']} {c['resource']}: {c['check_name']}" for c in checks]


@pytest.mark.parametrize(("config", "stack"), STACKS)
def test_checkov_finds_nothing_to_fix(
    checkov_results: dict[tuple[str, str], dict[str, Any]], config: str, stack: str
) -> None:
    result = checkov_results[(config, stack)]
    assert result["failed"] == [], describe(result["failed"])


@pytest.mark.parametrize(("config", "stack"), STACKS)
def test_checkov_ran_checks_on_every_file(
    checkov_results: dict[tuple[str, str], dict[str, Any]], config: str, stack: str
) -> None:
    # checkov silently checks nothing in a file it cannot parse (terraform.required_version,
    # for one): a green run only counts when checks ran.
    result = checkov_results[(config, stack)]
    assert result["parse_errors"] == []
    assert len(result["passed"]) + len(result["failed"]) > 0


def test_checkov_checked_what_the_stacks_are_for(
    checkov_results: dict[tuple[str, str], dict[str, Any]],
) -> None:
    passed = {c["check_id"] for c in checkov_results[("default", "trailwatch-primary")]["passed"]}
    # Encrypted topic, log group and trail, rotated key, a year's retention, alarm actions on.
    assert {
        "CKV_AWS_26",
        "CKV_AWS_158",
        "CKV_AWS_35",
        "CKV_AWS_7",
        "CKV_AWS_338",
        "CKV_AWS_319",
        "CKV_AWS_36",
        "CKV2_AWS_10",
        "CKV_AWS_145",
    } <= passed


def test_every_skipped_check_has_a_reason() -> None:
    lines = SETTINGS.read_text().splitlines()
    skips = [(i, line) for i, line in enumerate(lines) if re.match(r"\s+- CKV", line)]
    assert skips, "expected skip-check entries"
    for index, line in skips:
        assert lines[index - 1].strip().startswith("#"), f"no reason above {line.strip()}"
