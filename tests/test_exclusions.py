"""Exclusions: the records they drop, the records they keep, and the compliance they cost."""

from __future__ import annotations

import copy
import json
from pathlib import Path
from typing import Any

import pytest
import yaml

from tests.conftest import default_config
from trailwatch.errors import ConfigError
from trailwatch.patterns import compile_pattern, parse_pattern
from trailwatch.spec.config import Environment
from trailwatch.spec.model import Deployment, load_deployment


def deployment_with(tmp_path: Path, exclusions: dict[str, Any]) -> Deployment:
    config = default_config()
    config["exclusions"] = exclusions
    path = tmp_path / "trailwatch.yaml"
    path.write_text(yaml.safe_dump(config))
    return load_deployment(path, Environment(config_path=path, outdir=tmp_path / "out"))


def records(shared_samples_dir: Path, predicate: Any) -> list[dict[str, Any]]:
    found = []
    for path in sorted(shared_samples_dir.glob("*.jsonl")):
        for line in path.read_text().splitlines():
            record = json.loads(line)
            if predicate(record):
                found.append(record)
    return found


def test_default_config_has_no_exclusions(tmp_path: Path) -> None:
    deployment = deployment_with(tmp_path, {})
    assert all(alarm.exact and not alarm.exclusions for alarm in deployment.alarms)
    assert deployment.warnings == ()


def test_assumed_role_signin_failures_are_dropped_iam_user_failures_kept(
    tmp_path: Path, shared_samples_dir: Path
) -> None:
    deployment = deployment_with(tmp_path, {"assumed_role_console_signins": True})
    alarm = deployment.alarm("console-signin-failures")
    assert alarm.exclusions == ("assumed_role_console_signins",)
    assert alarm.exact is False
    pattern = compile_pattern(alarm.pattern)
    failures = records(
        shared_samples_dir,
        lambda r: (
            r.get("eventName") == "ConsoleLogin"
            and r.get("errorMessage") == "Failed authentication"
        ),
    )
    assert failures and all(pattern.matches(r) for r in failures)
    sso = copy.deepcopy(failures[0])
    sso["userIdentity"] = {
        "type": "AssumedRole",
        "accountId": "111122223333",
        "principalId": "AROAEXAMPLE:jane@example.com",
    }
    assert compile_pattern(deployment.alarm("console-signin-failures").event.pattern).matches(sso)
    assert not pattern.matches(sso)
    # The MFA alarm already ignores federated sign-ins: left exact.
    assert deployment.alarm("console-signin-without-mfa").exact is True


def test_service_linked_role_denials_are_dropped_others_kept(
    tmp_path: Path, shared_samples_dir: Path
) -> None:
    deployment = deployment_with(
        tmp_path,
        {
            "service_linked_role_denials": [
                "AWSServiceRoleForConfig",
                "AWSServiceRoleForAmazonGuardDuty",
            ]
        },
    )
    alarm = deployment.alarm("authorization-failures")
    parse_pattern(alarm.pattern)
    pattern = compile_pattern(alarm.pattern)
    exact = compile_pattern(alarm.event.pattern)
    denials = records(shared_samples_dir, exact.matches)
    assert len(denials) > 5
    # Every real denial (IAM users, root and other roles) still fires.
    assert all(pattern.matches(r) for r in denials)
    from_config = copy.deepcopy(
        next(r for r in denials if "sessionContext" in r.get("userIdentity", {}))
    )
    from_config["userIdentity"]["sessionContext"]["sessionIssuer"]["userName"] = (
        "AWSServiceRoleForConfig"
    )
    assert exact.matches(from_config)
    assert not pattern.matches(from_config)
    assert deployment.warnings == (
        "exclusions.service_linked_role_denials changes authorization-failures: its pattern is "
        "no longer the exact compliance text (Security Hub CloudWatch.2, CIS v1.2 3.1, "
        'CIS v1.4+ 4.1 fail); `trailwatch coverage` shows "exclusion added"',
    )


def test_too_many_roles_is_a_config_error(tmp_path: Path) -> None:
    roles = [f"AWSServiceRoleForService{i:02d}" for i in range(14)]
    with pytest.raises(ConfigError, match="authorization-failures pattern would be"):
        deployment_with(tmp_path, {"service_linked_role_denials": roles})


def test_bad_role_name_is_named(tmp_path: Path) -> None:
    with pytest.raises(
        ConfigError,
        match=r"service_linked_role_denials\[0\]: must be a "
        "service-linked role name",
    ):
        deployment_with(tmp_path, {"service_linked_role_denials": ["admin"]})
