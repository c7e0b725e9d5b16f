"""`trailwatch state` on real state written by the emulator deploy, and drift against the model."""

from __future__ import annotations

import copy
import json
import shutil
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pytest
import yaml

from tests.conftest import default_config
from trailwatch.audit.drift import compare
from trailwatch.inventory.resources import Resource, build_inventory
from trailwatch.inventory.state import resources_from_state_file

if TYPE_CHECKING:
    from tests.emulator_lab import Lab


def test_state_shows_every_deployed_stack_without_drift(lab: Lab) -> None:
    code, out, err = lab.cli(["state", "--json"])
    assert code == 0, err
    report = json.loads(out)
    assert report["drift"] is False
    deployment = lab.deployment()
    stacks = {s["target"]: s for s in report["stacks"]}
    assert sorted(stacks) == ["eu", "primary"]
    for target in deployment.targets:
        stack = stacks[target.name]
        assert stack["deployed"] is True and stack["findings"] == []
        assert stack["source"] == str(lab.state_dir / f"trailwatch-{target.name}.tfstate")
        assert stack["trail"]["multi_region"] is (target.name == "primary")
        assert stack["trail"]["logging"] is True
        assert stack["trail"]["log_group_arn"].endswith(
            f":log-group:/trailwatch/{target.name}/cloudtrail:*"
        )
        assert stack["log_group"]["retention_days"] == 365 and stack["log_group"]["kms_key_id"]
        assert sorted(stack["subscriptions"]) == [
            "email:oncall@example.com",
            "email:security-alerts@example.com",
        ]
        topics = {c["name"]: c["topic_arn"] for c in stack["channels"]}
        assert list(topics) == ["default", "oncall"] and stack["topic_arn"] == topics["default"]
        assert [c["receivers"] for c in stack["channels"]] == [
            ["email:security-alerts@example.com"],
            ["email:oncall@example.com"],
        ]
        assert len(stack["events"]) == 17
        for event in stack["events"]:
            alarm = deployment.alarm(event["event_id"])
            assert event["filter"]["pattern"] == alarm.pattern and event["pattern_exact"]
            assert event["alarm"]["threshold"] == alarm.settings.threshold
            assert event["alarm"]["alarm_actions"] == [topics[c] for c in alarm.channels]
            assert event["alarm"]["actions_enabled"] is True


def test_state_reads_local_state_files_without_terraform(lab: Lab) -> None:
    code, out, err = lab.cli(["state", "--json"], PATH="/nonexistent")
    assert code == 0, err
    assert json.loads(out)["drift"] is False


def test_a_pattern_changed_through_boto3_is_drift_once_refreshed(lab: Lab) -> None:
    deployment = lab.deployment()
    logs = lab.client("logs", "us-east-1")
    group = deployment.log_group_name(lab.target("primary"))
    deployed = {
        f["filterName"]: f
        for f in logs.describe_metric_filters(logGroupName=group)["metricFilters"]
    }
    originals = {
        event_id: deployed[deployment.alarm(event_id).metric_name]
        for event_id in ("security-group-changes", "nacl-changes")
    }
    edits = {
        "security-group-changes": "{($.eventName=AuthorizeSecurityGroupIngress)}",
        "nacl-changes": deployment.alarm("nacl-changes").pattern.replace(") || (", ")  ||  ("),
    }
    state_file = lab.state_dir / "trailwatch-primary.tfstate"
    before = state_file.read_bytes()
    try:
        for event_id, pattern in edits.items():
            original = originals[event_id]
            logs.put_metric_filter(
                logGroupName=group,
                filterName=original["filterName"],
                filterPattern=pattern,
                metricTransformations=original["metricTransformations"],
            )
        # State learns about changes made outside Terraform only from a refresh.
        code, out, _err = lab.cli(["state", "--json", "--target", "primary"])
        assert code == 0 and json.loads(out)["drift"] is False

        code, out, err = lab.cli(["state", "--json", "--target", "primary", "--refresh"])
        assert code == 1, err
        (stack,) = json.loads(out)["stacks"]
        assert stack["refreshed"] is True
        findings = {f["subject"]: f for f in stack["findings"]}
        assert sorted(findings) == ["nacl-changes", "security-group-changes"]
        assert all(f["kind"] == "pattern-differs" for f in findings.values())
        changed = findings["security-group-changes"]["message"]
        assert "differs from the catalog's (compared whitespace-exact)" in changed
        assert "{($.eventName=AuthorizeSecurityGroupIngress)}" in changed
        assert "whitespace only" in findings["nacl-changes"]["message"]
        events = {e["event_id"]: e for e in stack["events"]}
        assert events["security-group-changes"]["pattern_exact"] is False
        # A refresh-only plan never writes state.
        assert state_file.read_bytes() == before
    finally:
        for original in originals.values():
            logs.put_metric_filter(
                logGroupName=group,
                filterName=original["filterName"],
                filterPattern=original["filterPattern"],
                metricTransformations=original["metricTransformations"],
            )


def _edit(resources: list[Resource], kind: str, name: str, **values: Any) -> None:
    for index, resource in enumerate(resources):
        if (resource.type, resource.name) == (kind, name):
            resources[index] = Resource(kind, name, {**resource.values, **values})
            return
    raise AssertionError(f"{kind}.{name} not in state")


def test_every_kind_of_drift_is_named(lab: Lab) -> None:
    deployment = lab.deployment()
    primary = lab.target("primary")
    resources = list(resources_from_state_file(lab.state_file("trailwatch-primary")))
    assert not compare(deployment, primary, build_inventory("s", "state", resources)).findings
    # The root-usage filter is gone: its event is missing and its alarm can never fire.
    resources = [r for r in resources if r.name != "filter_root_account_usage"]
    extra = next(r for r in resources if r.name == "filter_vpc_changes")
    resources.append(
        Resource(
            extra.type,
            "filter_extra",
            {
                **extra.values,
                "name": "ExtraCount",
                "metric_transformation": [
                    {**extra.values["metric_transformation"][0], "name": "ExtraCount"}
                ],
            },
        )
    )
    alarm = "aws_cloudwatch_metric_alarm"
    _edit(resources, alarm, "alarm_security_group_changes", actions_enabled=False)
    _edit(resources, alarm, "alarm_nacl_changes", alarm_actions=[])
    _edit(resources, alarm, "alarm_console_signin_failures", threshold=10)
    _edit(resources, "aws_cloudtrail", "trail", enable_logging=False)
    _edit(resources, "aws_cloudwatch_log_group", "log_group", retention_in_days=90)
    # A route lost (on-call no longer paged for IAM policy changes), a filter's default_value
    # turned on outside the config.
    iam = next(r for r in resources if r.name == "alarm_iam_policy_changes")
    _edit(
        resources, alarm, "alarm_iam_policy_changes", alarm_actions=iam.values["alarm_actions"][:1]
    )
    kms = next(r for r in resources if r.name == "filter_kms_key_disable_or_deletion")
    transformation = {**kms.values["metric_transformation"][0], "default_value": "0"}
    _edit(
        resources,
        "aws_cloudwatch_log_metric_filter",
        "filter_kms_key_disable_or_deletion",
        metric_transformation=[transformation],
    )

    report = compare(deployment, primary, build_inventory("s", "state", resources))
    found = sorted((f.kind, f.subject) for f in report.findings)
    assert found == [
        ("actions-disabled", "security-group-changes"),
        ("extra-filter", "ExtraCount"),
        ("log-group", "/trailwatch/primary/cloudtrail"),
        ("missing-event", "root-account-usage"),
        ("no-actions", "nacl-changes"),
        ("orphan-alarm", "CloudTrailRootAccountUsage"),
        ("route-differs", "iam-policy-changes"),
        ("setting-differs", "console-signin-failures"),
        ("setting-differs", "kms-key-disable-or-deletion"),
        ("trail", "trailwatch-primary"),
    ]
    messages = " ".join(f.message for f in report.findings)
    assert "threshold is 10, the config says 3" in messages
    assert "watches CloudTrailMetrics/RootAccountUsageCount, which no filter produces" in messages
    assert (
        "event iam-policy-changes: alarm CloudTrailIAMPolicyChanges notifies default; its routes "
        "say default, oncall"
    ) in messages
    assert "default_value is on, the config says off" in messages


def test_a_channel_topic_missing_from_state_is_drift(lab: Lab) -> None:
    deployment = lab.deployment()
    primary = lab.target("primary")
    resources = [
        r
        for r in resources_from_state_file(lab.state_file("trailwatch-primary"))
        if r.name not in ("alarm_topic_oncall", "alarm_topic_oncall_subscription_0")
    ]
    report = compare(deployment, primary, build_inventory("s", "state", resources))
    assert [(f.kind, f.subject, f.message) for f in report.findings] == [
        ("channel-missing", "oncall", "channel oncall: its topic is not in state")
    ]


def with_alarm_actions_disabled(lab: Lab, tmp_path: Path) -> Path:
    """A copy of the lab's config whose state files hold every alarm with its actions off."""
    shutil.copy(lab.config_path, tmp_path / "trailwatch.yaml")
    state_dir = tmp_path / ".emulator" / "state"
    state_dir.mkdir(parents=True)
    for stack in ("trailwatch-primary", "trailwatch-eu"):
        state = copy.deepcopy(lab.state_file(stack))
        for resource in state["resources"]:
            if resource["type"] == "aws_cloudwatch_metric_alarm":
                resource["instances"][0]["attributes"]["actions_enabled"] = False
        (state_dir / f"{stack}.tfstate").write_text(json.dumps(state))
    return tmp_path / "trailwatch.yaml"


def test_the_command_exits_1_on_drift_in_a_state_file(lab: Lab, tmp_path: Path) -> None:
    config = with_alarm_actions_disabled(lab, tmp_path)
    code, out, _err = lab.cli(["state", "--config", str(config)], COLUMNS="200")
    assert code == 1
    assert (
        "actions-disabled: event root-account-usage: alarm CloudTrailRootAccountUsage has "
        "its actions disabled" in out
    )
    assert "drift found" in out


def test_an_undeployed_config_is_reported_as_such(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    from trailwatch.cli import main

    monkeypatch.delenv("TRAILWATCH_ENDPOINT_URL", raising=False)
    config = tmp_path / "trailwatch.yaml"
    config.write_text(yaml.safe_dump(default_config()))
    assert main(["state", "--json", "--config", str(config)]) == 1
    report = json.loads(capsys.readouterr().out)
    assert report["drift"] is True
    for stack in report["stacks"]:
        assert stack["deployed"] is False
        (finding,) = stack["findings"]
        assert finding["kind"] == "not-deployed"
        assert str(tmp_path / "state" / stack["stack"]) in finding["message"]


def test_coverage_from_state_meets_every_security_hub_control_of_the_deploy(lab: Lab) -> None:
    code, out, err = lab.cli(["coverage", "--from-state", "--json"])
    assert code == 0, err
    report = json.loads(out)
    assert report["ok"] is True
    security_hub = {f["id"]: f for f in report["frameworks"]}["security-hub"]
    assert (security_hub["met"], security_hub["total"]) == (17, 17)


def test_coverage_from_state_sees_a_disabled_alarm_action_that_synth_does_not(
    lab: Lab, tmp_path: Path
) -> None:
    # The synthesized stacks are unchanged; only the deployed state lost its actions.
    config = ["--config", str(with_alarm_actions_disabled(lab, tmp_path))]
    code, out, _err = lab.cli(["coverage", "--from-state", "--json", *config])
    assert code == 1
    controls = {c["id"]: c for f in json.loads(out)["frameworks"] for c in f["controls"]}
    assert controls["CloudWatch.17"]["status"] == "not met"
    assert controls["CloudWatch.17"]["reasons"] == ["actions disabled"]
