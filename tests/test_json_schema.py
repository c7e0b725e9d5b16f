"""Every command's `--json` on real inputs: the exact keys of each kind of object, written out.

A renamed, added or dropped field fails here; consumers of the JSON match on these names. Maps
keyed by data (event ids, stack names) are checked for the keys they must hold, their values
for the keys of their kind.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
import yaml

from tests.helpers import REPO, Synth, default_config
from trailwatch.audit.drift import compare
from trailwatch.audit.drift_report import DriftReport
from trailwatch.cli import main
from trailwatch.inventory.synth import read_synth_stacks
from trailwatch.spec.model import load_deployment

DEFAULT_CONFIG = REPO / "trailwatch.yaml"
REPLAY_SAMPLES = ("aws-docs.jsonl", "stratus-red-team.jsonl")

# trailwatch validate --json
VALIDATE_KEYS = {"profile", "alarms", "targets", "exclusion_rules", "warnings"}
VALIDATE_RULE_KEYS = {"id", "events", "match", "reason", "expires", "expired"}
VALIDATE_ALARM_KEYS = {
    "id",
    "severity",
    "metric_name",
    "alarm_name",
    "threshold",
    "exact",
    "exclusions",
    "pattern_override",
    "shadow",
}
VALIDATE_TARGET_KEYS = {
    "name",
    "stack",
    "region",
    "trail_mode",
    "log_group",
    "channels",
    "disabled_events",
    "dashboard",
    "routing",
    "delivery",
    "event_rules",
}
VALIDATE_ROUTING_KEYS = {
    "event",
    "severity",
    "channels",
    "threshold",
    "pattern_override",
    "shadow",
}
VALIDATE_EVENT_RULE_KEYS = {
    "event",
    "rule_name",
    "channels",
    "event_pattern",
    "requested_by",
    "state",
}

# trailwatch test --json
TEST_KEYS = {"profile", "ok", "events"}
TEST_EVENT_KEYS = {"ok", "match", "no_match", "failures"}

# trailwatch replay --json
REPLAY_KEYS = {
    "records",
    "incomplete",
    "skipped",
    "skipped_reasons",
    "ignored",
    "ignored_reasons",
    "matches",
    "alarms",
    "engine",
    "elapsed_s",
}
REPLAY_PERIOD_KEYS = {"start", "sum"}

# trailwatch tune --json (and --from-metrics --json: tests/test_tune.py, against the emulator)
TUNE_KEYS = {"records", "events"}
TUNE_EVENT_KEYS = {"current", "candidate", "removed_by"}
TUNE_COUNT_KEYS = {"matches", "alarm_periods"}
TUNE_METRICS_KEYS = {"namespace", "since", "until", "metrics"}
TUNE_METRIC_KEYS = {
    "target",
    "event",
    "metric_name",
    "shadow",
    "datapoints",
    "matches",
    "alarm_periods",
}

# trailwatch coverage --json
COVERAGE_KEYS = {"profile", "stacks", "ok", "claimed_frameworks", "frameworks"}
COVERAGE_FRAMEWORK_KEYS = {"id", "title", "profile", "claimed", "met", "total", "controls"}
COVERAGE_CONTROL_KEYS = {
    "id",
    "title",
    "event",
    "status",
    "claimed",
    "reasons",
    "path",
    "stacks",
}
COVERAGE_VERDICT_KEYS = {"status", "reason", "detail"}

# trailwatch state --json
STATE_KEYS = {"drift", "stacks", "orphans"}
STATE_STACK_KEYS = {
    "stack",
    "target",
    "region",
    "source",
    "refreshed",
    "deployed",
    "trail",
    "log_group",
    "topic_arn",
    "subscriptions",
    "channels",
    "events",
    "rules",
    "findings",
}
STATE_RULE_VIEW_KEYS = {"event_id", "rule", "channels", "pattern_exact"}
STATE_RULE_KEYS = {"name", "event_pattern", "state", "description"}
STATE_TRAIL_KEYS = {
    "name",
    "multi_region",
    "logging",
    "log_group_arn",
    "role_arn",
    "kms_key_id",
}
STATE_LOG_GROUP_KEYS = {"name", "retention_days", "kms_key_id"}
STATE_EVENT_KEYS = {"event_id", "filter", "alarm", "pattern_exact", "shadow", "status"}
STATE_EVENT_STATUSES = {
    "live",
    "shadow: actions off, CloudWatch.17 not met",
    "actions disabled",
    "no actions",
    "live, but the config says shadow",
    "missing",
}
STATE_FILTER_KEYS = {
    "name",
    "log_group_name",
    "pattern",
    "metric_name",
    "namespace",
    "default_value",
}
STATE_CHANNEL_KEYS = {"name", "topic_arn", "receivers"}
STATE_ALARM_KEYS = {
    "name",
    "metric_name",
    "namespace",
    "threshold",
    "comparison",
    "period",
    "evaluation_periods",
    "datapoints_to_alarm",
    "statistic",
    "treat_missing_data",
    "actions_enabled",
    "alarm_actions",
    "ok_actions",
    "insufficient_data_actions",
}
STATE_FINDING_KEYS = {"kind", "subject", "message"}


def run_json(capsys: pytest.CaptureFixture[str], *args: str | Path) -> tuple[int, Any]:
    """Run the CLI; its exit code and stdout, which must be exactly one JSON value."""
    code = main([str(a) for a in args])
    return code, json.loads(capsys.readouterr().out)


def enabled_events() -> list[str]:
    return [alarm.id for alarm in load_deployment(DEFAULT_CONFIG).alarms]


def test_validate(capsys: pytest.CaptureFixture[str]) -> None:
    code, document = run_json(capsys, "validate", "--json", "--config", DEFAULT_CONFIG)
    assert code == 0
    assert set(document) == VALIDATE_KEYS
    assert document["profile"] == "securityhub"
    assert [a["id"] for a in document["alarms"]] == enabled_events()
    for alarm in document["alarms"]:
        assert set(alarm) == VALIDATE_ALARM_KEYS
        assert isinstance(alarm["threshold"], float) and isinstance(alarm["exact"], bool)
    assert [t["name"] for t in document["targets"]] == ["primary", "eu"]
    for target in document["targets"]:
        assert set(target) == VALIDATE_TARGET_KEYS
        assert target["stack"] == f"trailwatch-{target['name']}"
        assert target["trail_mode"] in ("create", "existing")
        assert [r["event"] for r in target["routing"]] == enabled_events()
        for row in target["routing"]:
            assert set(row) == VALIDATE_ROUTING_KEYS
            assert row["severity"] in ("critical", "high", "medium", "low")
            assert set(row["channels"]) <= set(target["channels"])
        assert set(target["delivery"]) <= {"alarms", "events"}
        for rule in target["event_rules"]:
            assert set(rule) == VALIDATE_EVENT_RULE_KEYS
            assert set(rule["channels"]) <= set(target["channels"])
    assert document["warnings"] == []


def test_validate_with_an_exclusion_lists_its_warning(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    config = default_config()
    config["exclusions"] = {"assumed_role_console_signins": True}
    path = tmp_path / "trailwatch.yaml"
    path.write_text(yaml.safe_dump(config))
    code, document = run_json(capsys, "validate", "--json", "--config", path)
    assert code == 0 and set(document) == VALIDATE_KEYS
    (warning,) = document["warnings"]
    assert warning.startswith("exclusions.assumed_role_console_signins changes ")
    (alarm,) = [a for a in document["alarms"] if a["exclusions"]]
    assert set(alarm) == VALIDATE_ALARM_KEYS
    assert (alarm["exact"], alarm["exclusions"]) == (False, ["assumed_role_console_signins"])
    assert [a["shadow"] for a in document["alarms"]] == [False] * len(document["alarms"])


def test_validate_lists_a_shadow_alarm_and_its_warning(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    config = default_config()
    config["overrides"] = {"vpc-changes": {"shadow": True}}
    path = tmp_path / "trailwatch.yaml"
    path.write_text(yaml.safe_dump(config))
    code, document = run_json(capsys, "validate", "--json", "--config", path)
    assert code == 0 and set(document) == VALIDATE_KEYS
    shadows = [a["id"] for a in document["alarms"] if a["shadow"] is True]
    assert shadows == ["vpc-changes"]
    for target in document["targets"]:
        assert [r["event"] for r in target["routing"] if r["shadow"] is True] == ["vpc-changes"]
    (warning,) = document["warnings"]
    assert warning.startswith("overrides.vpc-changes.shadow: vpc-changes deploys its alarm with ")
    assert "CloudWatch.17" in warning


def test_validate_lists_exclusion_rules(capsys: pytest.CaptureFixture[str]) -> None:
    code, document = run_json(
        capsys, "validate", "--json", "--config", REPO / "examples" / "tuned.yaml"
    )
    assert code == 0 and set(document) == VALIDATE_KEYS
    (rule,) = document["exclusion_rules"]
    assert set(rule) == VALIDATE_RULE_KEYS
    assert rule["id"] == "inventory-ec2-probes"
    assert rule["events"] == ["authorization-failures"]
    assert rule["match"] == {
        "principal_arn": "arn:aws:sts::*:assumed-role/SampleRole/*",
        "event_source": "ec2.amazonaws.com",
    }
    # Whether it has expired depends on the day the test runs; its date does not.
    assert rule["expires"] == "2027-06-30" and isinstance(rule["expired"], bool)
    (alarm,) = [a for a in document["alarms"] if a["exclusions"]]
    assert (alarm["id"], alarm["exclusions"]) == (
        "authorization-failures",
        ["rules.inventory-ec2-probes"],
    )
    (warning,) = document["warnings"]
    assert warning.startswith("exclusions.rules.inventory-ec2-probes drops records from ")


def test_selftest(capsys: pytest.CaptureFixture[str]) -> None:
    code, document = run_json(capsys, "test", "--json", "--config", DEFAULT_CONFIG)
    assert code == 0
    assert set(document) == TEST_KEYS
    assert list(document["events"]) == enabled_events()
    for event in document["events"].values():
        assert set(event) == TEST_EVENT_KEYS


def test_replay(shared_samples_dir: Path, capsys: pytest.CaptureFixture[str]) -> None:
    paths = [shared_samples_dir / name for name in REPLAY_SAMPLES]
    code, document = run_json(capsys, "replay", "--json", "--config", DEFAULT_CONFIG, *paths)
    assert code == 0
    assert set(document) == REPLAY_KEYS
    assert list(document["matches"]) == list(document["alarms"]) == enabled_events()
    periods = [p for event in document["alarms"].values() for p in event]
    assert periods, "the samples put no alarm in ALARM: nothing to pin"
    for period in periods:
        assert set(period) == REPLAY_PERIOD_KEYS


def lab_denial(shared_samples_dir: Path) -> dict[str, Any]:
    """The first GetPasswordData denial of the stratus-red-team lab, in the shared records."""
    for line in (shared_samples_dir / "stratus-red-team.jsonl").read_text().splitlines():
        record: dict[str, Any] = json.loads(line)
        if record.get("errorCode") == "Client.UnauthorizedOperation" and "457448411975" in str(
            record.get("userIdentity")
        ):
            return record
    raise AssertionError("the shared records lost the lab's denials")


def test_tune(shared_samples_dir: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    config = default_config()
    config["exclusions"]["rules"] = [
        {
            "id": "stratus-probes",
            "events": ["authorization-failures"],
            "match": {"principal_arn": "arn:aws:sts::457448411975:assumed-role/stratus-red-team-*"},
            "reason": "the red-team lab's detonations",
            "removes": [{"note": "a lab denial", "record": lab_denial(shared_samples_dir)}],
        }
    ]
    path = tmp_path / "trailwatch.yaml"
    path.write_text(yaml.safe_dump(config))
    paths = [shared_samples_dir / name for name in REPLAY_SAMPLES]
    # No alarm is over --noisy 10 here and the rule removes records: no finding.
    code, document = run_json(capsys, "tune", "--json", "--config", path, *paths)
    assert code == 0
    assert set(document) == TUNE_KEYS
    assert list(document["events"]) == sorted(enabled_events())
    for event in document["events"].values():
        assert set(event) == TUNE_EVENT_KEYS
        assert set(event["current"]) == set(event["candidate"]) == TUNE_COUNT_KEYS
    removed = document["events"]["authorization-failures"]["removed_by"]
    assert list(removed) == ["stratus-probes"]
    assert set(removed["stratus-probes"]) == TUNE_COUNT_KEYS
    assert all(
        not e["removed_by"] for k, e in document["events"].items() if k != "authorization-failures"
    )


def test_coverage(default_synth: Synth, capsys: pytest.CaptureFixture[str]) -> None:
    code, document = run_json(
        capsys,
        "coverage",
        "--json",
        "--config",
        default_synth.workdir / "trailwatch.yaml",
        "--synth-dir",
        default_synth.outdir,
    )
    assert code == 0
    assert set(document) == COVERAGE_KEYS
    stacks = document["stacks"]
    assert stacks == ["trailwatch-primary", "trailwatch-eu"]
    assert document["frameworks"]
    for framework in document["frameworks"]:
        assert set(framework) == COVERAGE_FRAMEWORK_KEYS
        assert framework["controls"]
        for control in framework["controls"]:
            assert set(control) == COVERAGE_CONTROL_KEYS
            assert list(control["stacks"]) == stacks
            for verdict in control["stacks"].values():
                assert set(verdict) == COVERAGE_VERDICT_KEYS


def check_stack(stack: dict[str, Any]) -> None:
    assert set(stack) == STATE_STACK_KEYS
    if stack["trail"] is not None:
        assert set(stack["trail"]) == STATE_TRAIL_KEYS
    if stack["log_group"] is not None:
        assert set(stack["log_group"]) == STATE_LOG_GROUP_KEYS
    for event in stack["events"]:
        assert set(event) == STATE_EVENT_KEYS
        assert isinstance(event["shadow"], bool)
        assert event["status"] in STATE_EVENT_STATUSES
        if event["filter"] is not None:
            assert set(event["filter"]) == STATE_FILTER_KEYS
        if event["alarm"] is not None:
            assert set(event["alarm"]) == STATE_ALARM_KEYS
    for finding in stack["findings"]:
        assert set(finding) == STATE_FINDING_KEYS
    for channel in stack["channels"]:
        assert set(channel) == STATE_CHANNEL_KEYS
    for view in stack["rules"]:
        assert set(view) == STATE_RULE_VIEW_KEYS
        if view["rule"] is not None:
            assert set(view["rule"]) == STATE_RULE_KEYS


def test_state_of_an_undeployed_config(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    # No state file beside the config and no emulator: every stack is "not deployed".
    monkeypatch.delenv("TRAILWATCH_ENDPOINT_URL", raising=False)
    config = tmp_path / "trailwatch.yaml"
    config.write_text(yaml.safe_dump(default_config()))
    code, document = run_json(capsys, "state", "--json", "--config", config)
    assert code == 1
    assert set(document) == STATE_KEYS
    assert [s["target"] for s in document["stacks"]] == ["primary", "eu"]
    for stack in document["stacks"]:
        check_stack(stack)
        assert stack["findings"]


def test_state_of_a_deployed_inventory(default_synth: Synth) -> None:
    # The synthesized stacks are the inventory state would hold after a faithful deploy: every
    # nested kind (trail, log group, filter, alarm) is present, no emulator needed.
    deployment = load_deployment(default_synth.workdir / "trailwatch.yaml")
    names = [deployment.stack_name(t) for t in deployment.targets]
    inventories = read_synth_stacks(default_synth.outdir, names)
    report = DriftReport(
        tuple(
            compare(deployment, target, inventory)
            for target, inventory in zip(deployment.targets, inventories, strict=True)
        )
    )
    document = json.loads(json.dumps(report.to_json()))
    assert set(document) == STATE_KEYS
    for stack in document["stacks"]:
        check_stack(stack)
        assert stack["deployed"] is True
        assert stack["trail"] is not None and stack["log_group"] is not None
        assert len(stack["events"]) == len(deployment.alarms)
        assert all(e["filter"] and e["alarm"] for e in stack["events"])
        assert stack["channels"] and all(c["receivers"] for c in stack["channels"])
