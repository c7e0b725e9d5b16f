"""`trailwatch plan-report`: real plans from Terraform against the emulator, and hand-made ones.

The real plans (tests/plan_fixtures.py) come from the default config deployed onto moto and
three variant configs planned against that state. Hand-made minimal plans cover what no config
switch can produce (logging, validation or encryption turned off) and the masking rules.
"""

from __future__ import annotations

import json
import os
import re
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pytest

from tests.plan_fixtures import EU, EXTERNAL_TOPIC, PRIMARY, PlanLab, plan_variants
from trailwatch.audit.plan import Hidden, Report, load_plan, parse_plan, review
from trailwatch.cli import main
from trailwatch.errors import PlanError
from trailwatch.spec.model import load_deployment

if TYPE_CHECKING:
    from tests.emulator_lab import Lab

# `lab`: the session's emulator with the default config deployed (one deploy for all tests).

GOLDEN = Path(__file__).parent / "golden" / "plan_report.md"


@pytest.fixture(scope="session")
def plan_lab(lab: Lab) -> PlanLab:
    """Every variant of tests/plan_fixtures.py planned against the shared deployment."""
    return plan_variants(lab.workdir, lab.endpoint_url, lab.terraform_env)


def reviewed(lab: PlanLab, variant: str) -> Report:
    deployment = load_deployment(lab.config_path(variant))
    plans = [load_plan(path) for path in lab.plans[variant].values()]
    return review(plans, deployment.catalog, deployment.profile)


def flagged(report: Report) -> dict[str, tuple[str, set[tuple[str, str]]]]:
    """reason -> (kind, {(stack, resource name)})"""
    return {
        f.reason: (f.kind, {(r.stack, r.address.split(".", 1)[1]) for r in f.resources})
        for f in report.findings
    }


def both(name: str) -> set[tuple[str, str]]:
    return {(EU, name), (PRIMARY, name)}


def run_cli(args: list[str], capsys: pytest.CaptureFixture[str]) -> tuple[int, str, str]:
    code = main(["plan-report", *args])
    out, err = capsys.readouterr()
    return code, out, err


# --- real plans --------------------------------------------------------------------------------


def test_each_weakening_is_flagged_with_its_reason(plan_lab: PlanLab) -> None:
    found = flagged(reviewed(plan_lab, "weakened"))
    pattern = "filter pattern of {} changed: "
    rule = "EventBridge rule pattern of {} changed: "
    target = "EventBridge target of {} to channel {} destroyed: the channel no longer gets the "
    # The primary target's EventBridge path loses what its alarms lose: vpc-changes, the
    # narrowed route-table pattern, and the oncall channel's targets.
    events_path = {
        "EventBridge rule of vpc-changes destroyed: its per-event messages stop": (
            "weakening",
            {(PRIMARY, "event_rule_vpc_changes")},
        ),
        rule.format("route-table-changes") + "narrowed, 1 catalog sample no longer matches": (
            "weakening",
            {(PRIMARY, "event_rule_route_table_changes")},
        ),
        rule.format("organizations-changes") + "broader, 2 more catalog samples match": (
            "review",
            {(PRIMARY, "event_rule_organizations_changes")},
        ),
        rule.format("security-group-changes") + "broader, 1 more catalog sample matches": (
            "review",
            {(PRIMARY, "event_rule_security_group_changes")},
        ),
        target.format("vpc-changes", "default") + "event's messages": (
            "weakening",
            {(PRIMARY, "event_target_vpc_changes__default")},
        ),
    } | {
        target.format(event, "oncall") + "event's messages": (
            "weakening",
            {(PRIMARY, f"event_target_{event.replace('-', '_')}__oncall")},
        )
        for event in (
            "aws-config-changes",
            "cloudtrail-changes",
            "console-signin-without-mfa",
            "iam-policy-changes",
            "kms-key-disable-or-deletion",
            "organizations-changes",
            "root-account-usage",
        )
    }
    assert found == events_path | {
        "multi-region turned off: other regions' calls go unseen": (
            "weakening",
            {(PRIMARY, "trail")},
        ),
        "log retention shortened: 365 → 90 days": ("weakening", {(PRIMARY, "log_group")}),
        pattern.format("route-table-changes") + "1 catalog sample no longer matches": (
            "weakening",
            both("filter_route_table_changes"),
        ),
        "metric filter destroyed: its events are no longer counted": (
            "weakening",
            both("filter_vpc_changes"),
        ),
        "alarm destroyed: its events notify nobody": ("weakening", both("alarm_vpc_changes")),
        "alarm threshold raised: 3 → 10": ("weakening", both("alarm_console_signin_failures")),
        "alarm period lengthened: 300 → 900 s": ("weakening", both("alarm_root_account_usage")),
        "alarm needs more breaching periods: 1 → 3 datapoints": (
            "weakening",
            both("alarm_iam_policy_changes"),
        ),
        "topic subscription removed: email security-alerts@example.com": (
            "weakening",
            both("alarm_topic_subscription_0"),
        ),
        # The on-call channel and its route are gone: its topic, its subscriber, and the
        # critical and high alarms' second action.
        "alarm topic of channel oncall destroyed: alarms have nowhere to notify": (
            "weakening",
            both("alarm_topic_oncall"),
        ),
        "topic subscription removed (channel oncall): email oncall@example.com": (
            "weakening",
            both("alarm_topic_oncall_subscription_0"),
        ),
        **{
            f"alarm actions removed: {topic}-oncall (now {topic})": (
                "weakening",
                {(stack, alarm) for alarm in _paged_alarms()},
            )
            for stack, topic in (
                (PRIMARY, "arn:aws:sns:us-east-1:123456789012:trailwatch-primary-alarms"),
                (EU, "arn:aws:sns:eu-west-1:123456789012:trailwatch-eu-alarms"),
            )
        },
        # Broader patterns are shown for review but are not weakenings.
        pattern.format("organizations-changes") + "broader, 2 more catalog samples match": (
            "review",
            both("filter_organizations_changes"),
        ),
        pattern.format("security-group-changes") + "broader, 1 more catalog sample matches": (
            "review",
            both("filter_security_group_changes"),
        ),
        # The primary target's EventBridge rules: vpc-changes' rule no longer publishes there.
        "alarm topic policy changed": ("review", {(PRIMARY, "alarm_topic_policy")}),
    }


def test_ok_actions_added_to_every_alarm_is_not_flagged(plan_lab: PlanLab) -> None:
    report = reviewed(plan_lab, "weakened")
    alarms = [
        c
        for s in report.stacks
        for c in s.changes
        if c.type == "aws_cloudwatch_metric_alarm" and c.action == "update"
    ]
    assert len(alarms) == 2 * 16
    assert all("ok_actions" in {a.name for a in c.attributes()} for c in alarms)
    flagged_alarms = {
        r.address
        for f in report.findings
        for r in f.resources
        if r.address.startswith("aws_cloudwatch_metric_alarm.")
    }
    # Those whose settings changed, and the critical and high ones, which lost on-call.
    assert flagged_alarms == {
        "aws_cloudwatch_metric_alarm.alarm_console_signin_failures",
        "aws_cloudwatch_metric_alarm.alarm_vpc_changes",
    } | {f"aws_cloudwatch_metric_alarm.{name}" for name in _paged_alarms()}


def test_pattern_change_names_the_samples_that_move(plan_lab: PlanLab) -> None:
    patterns = {
        f.pattern.event_id: f.pattern
        for f in reviewed(plan_lab, "weakened").findings
        if f.pattern is not None
    }
    route = patterns["route-table-changes"]
    assert route.before.startswith("{($.eventName=CreateRoute)")
    assert "$.eventSource = ec2.amazonaws.com" in route.after
    assert route.stops_matching == (
        "Prowler's pattern requires eventSource ec2: API Gateway's CreateRoute does not match",
    )
    assert route.starts_matching == ()
    assert patterns["security-group-changes"].starts_matching == (
        "ModifySecurityGroupRules is in Prowler's list",
    )
    assert patterns["organizations-changes"].stops_matching == ()


def test_handing_over_trail_and_topic_flags_key_trail_topic_and_actions(
    plan_lab: PlanLab,
) -> None:
    found = flagged(reviewed(plan_lab, "torn-down"))
    alarms = {(EU, c) for c in _alarm_names() - _paged_alarms()}
    paged = {(EU, c) for c in _paged_alarms()}
    topic = "arn:aws:sns:eu-west-1:123456789012:trailwatch-eu-alarms"
    assert found == {
        "trail destroyed: API calls are no longer logged": ("weakening", {(EU, "trail")}),
        "log group destroyed: its stored events and every filter on it go": (
            "weakening",
            {(EU, "log_group")},
        ),
        "KMS key scheduled for deletion (in 30 days): what it encrypted becomes unreadable": (
            "weakening",
            {(EU, "key")},
        ),
        "log bucket destroyed: the trail's log files go with it": (
            "weakening",
            {(EU, "log_bucket")},
        ),
        "alarm topic destroyed: alarms have nowhere to notify": (
            "weakening",
            {(EU, "alarm_topic")},
        ),
        "topic subscription removed: email security-alerts@example.com": (
            "weakening",
            {(EU, "alarm_topic_subscription_0")},
        ),
        "alarm topic of channel oncall destroyed: alarms have nowhere to notify": (
            "weakening",
            {(EU, "alarm_topic_oncall")},
        ),
        "topic subscription removed (channel oncall): email oncall@example.com": (
            "weakening",
            {(EU, "alarm_topic_oncall_subscription_0")},
        ),
        f"alarm actions removed: {topic} (now {EXTERNAL_TOPIC})": ("weakening", alarms),
        f"alarm actions removed: {topic}, {topic}-oncall (now {EXTERNAL_TOPIC})": (
            "weakening",
            paged,
        ),
    }


def test_a_narrowed_route_flags_exactly_the_alarms_that_stop_paging(plan_lab: PlanLab) -> None:
    topic = "arn:aws:sns:us-east-1:123456789012:trailwatch-primary-alarms"
    deployment = load_deployment()
    high = {f"alarm_{a.id.replace('-', '_')}" for a in deployment.alarms if a.severity == "high"}
    assert len(high) == 5
    assert flagged(reviewed(plan_lab, "rerouted")) == {
        f"alarm actions removed: {topic}-oncall (now {topic})": (
            "weakening",
            {(PRIMARY, name) for name in high},
        ),
        # The high events' EventBridge rules no longer publish to on-call either.
        "alarm topic policy changed": ("review", {(PRIMARY, "alarm_topic_policy_oncall")}),
    } | {
        f"EventBridge target of {a.id} to channel oncall destroyed: the channel no longer gets "
        "the event's messages": (
            "weakening",
            {(PRIMARY, f"event_target_{a.id.replace('-', '_')}__oncall")},
        )
        for a in deployment.alarms
        if a.severity == "high"
    }


def _alarm_names() -> set[str]:
    deployment = load_deployment()
    return {f"alarm_{a.id.replace('-', '_')}" for a in deployment.alarms}


def _paged_alarms() -> set[str]:
    """The alarms the default config's route sends to on-call too (critical and high)."""
    deployment = load_deployment()
    return {f"alarm_{a.id.replace('-', '_')}" for a in deployment.alarms if "oncall" in a.channels}


def test_a_tag_change_is_not_flagged(plan_lab: PlanLab) -> None:
    report = reviewed(plan_lab, "tagged")
    assert report.findings == ()
    assert report.verdict == "No security-relevant change"
    primary = next(s for s in report.stacks if s.stack == PRIMARY)
    assert len(primary.changes) > 20
    assert {c.action for c in primary.changes} == {"update"}
    assert {a.name for c in primary.changes for a in c.attributes()} == {"tags_all"}


def test_a_plan_without_changes_says_so(
    plan_lab: PlanLab, capsys: pytest.CaptureFixture[str]
) -> None:
    path = plan_lab.plans["tagged"][EU]
    assert load_plan(path).changes == ()
    code, out, _ = run_cli([str(path)], capsys)
    assert code == 0
    assert "✅ **No security-relevant change** · 0 to add, 0 to change" in out
    assert "No changes: the deployed resources match the configuration" in out


def test_markdown_report_matches_golden_file(
    plan_lab: PlanLab, capsys: pytest.CaptureFixture[str]
) -> None:
    paths = [str(p) for p in plan_lab.plans["weakened"].values()]
    code, out, _ = run_cli(["--config", str(plan_lab.config_path("weakened")), *paths], capsys)
    assert code == 0
    text = normalise(out)
    if os.environ.get("TRAILWATCH_UPDATE_GOLDEN") == "1":
        GOLDEN.write_text(text, encoding="utf-8")
    assert text == GOLDEN.read_text(encoding="utf-8"), (
        "the report differs from tests/golden/plan_report.md; if the change is intended, "
        "rerun with TRAILWATCH_UPDATE_GOLDEN=1 and review the diff"
    )
    lines = out.splitlines()
    assert lines[0] == "## trailwatch plan review"
    assert lines[2].startswith("⚠️ **28 changes to review (23 weakenings)**")
    # The security review comes before the per-stack tables.
    assert out.index("### Security review") < out.index("### Changes by stack")


def normalise(text: str) -> str:
    """The report without what differs between runs: ids, times, account ids, hashes."""
    text = re.sub(r"\b[0-9a-f]{8}-[0-9a-f-]*", "<id>", text)
    text = re.sub(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d+)?Z?", "<time>", text)
    text = re.sub(r"\b[0-9a-f]{32,}\b", "<hash>", text)
    return re.sub(r"(?<!\d)\d{12}(?!\d)", "<account>", text)


def test_fail_on_weakening_exits_1_only_when_a_weakening_is_flagged(
    plan_lab: PlanLab, capsys: pytest.CaptureFixture[str]
) -> None:
    weakened = [str(p) for p in plan_lab.plans["weakened"].values()]
    tagged = [str(p) for p in plan_lab.plans["tagged"].values()]
    config = ["--config", str(plan_lab.config_path("weakened"))]
    assert run_cli([*config, "--fail-on-weakening", *weakened], capsys)[0] == 1
    assert run_cli([*config, *weakened], capsys)[0] == 0
    assert run_cli([*config, "--fail-on-weakening", *tagged], capsys)[0] == 0


def test_an_unreadable_plan_exits_2_not_1_even_when_gating(
    plan_lab: PlanLab, capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    # A CI gate must tell "a weakening" (1) from "the job is broken" (2).
    broken = tmp_path / "trailwatch-primary.json"
    broken.write_text("{not json", encoding="utf-8")
    config = ["--config", str(plan_lab.config_path("weakened"))]
    code, _out, err = run_cli([*config, "--fail-on-weakening", str(broken)], capsys)
    assert code == 2
    assert str(broken) in err


def test_json_report_carries_findings_and_counts(
    plan_lab: PlanLab, capsys: pytest.CaptureFixture[str]
) -> None:
    paths = [str(p) for p in plan_lab.plans["weakened"].values()]
    code, out, _ = run_cli(["--format", "json", *paths], capsys)
    data = json.loads(out)
    assert code == 0
    assert (data["verdict"], data["weakenings"], data["to_review"]) == (
        "28 changes to review (23 weakenings)",
        23,
        28,
    )
    counts = {s["stack"]: s["counts"] for s in data["stacks"]}
    # Deleted: vpc-changes' filter, alarm, EventBridge rule and its target, the on-call topic,
    # its policy and subscription, and the seven rules' targets on it. Updated too: the three
    # rules whose prowler pattern differs, and the default topic's policy (one rule fewer).
    assert counts[PRIMARY] == {"create": 0, "update": 26, "replace": 1, "delete": 14, "forget": 0}
    subscription = next(
        c
        for s in data["stacks"]
        if s["stack"] == PRIMARY
        for c in s["changes"]
        if c["address"] == "aws_sns_topic_subscription.alarm_topic_subscription_0"
    )
    attributes = {a["name"]: a for a in subscription["attributes"]}
    assert attributes["arn"]["after"] == "(known after apply)"
    assert attributes["endpoint"] == {
        "name": "endpoint",
        "before": "security-alerts@example.com",
        "after": "https://hooks.example.com/alarms",
        "forces_replacement": True,
    }


def test_stacks_option_plans_every_synthesized_stack(
    plan_lab: PlanLab,
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
    tmp_path: Path,
) -> None:
    for key, value in plan_lab.env("tagged").items():
        monkeypatch.setenv(key, value)
    code, out, err = run_cli(
        ["--stacks", "--save-plans", str(tmp_path), "--format", "json"], capsys
    )
    assert code == 0, err
    data = json.loads(out)
    assert data["verdict"] == "No security-relevant change"
    counts = {s["stack"]: s["counts"]["update"] for s in data["stacks"]}
    # The on-call topic and the 17 EventBridge rules are tagged too; the dashboard and the
    # rules' targets take no tags.
    assert counts == {EU: 0, PRIMARY: 41}
    assert sorted(p.name for p in tmp_path.iterdir()) == [f"{EU}.json", f"{PRIMARY}.json"]
    # Progress goes to stderr one whole line at a time (it once ran on without a newline).
    assert err.endswith("\n")
    assert sorted(err.splitlines()) == [f"planning {EU} ...", f"planning {PRIMARY} ..."]


# --- hand-made plans ---------------------------------------------------------------------------


def plan(*changes: dict[str, Any], target: str | None = "primary") -> dict[str, Any]:
    tags = {"trailwatch-target": target} if target else {}
    return {
        "format_version": "1.2",
        "terraform_version": "1.11.4",
        "planned_values": {},
        "resource_changes": list(changes),
        "configuration": {
            "provider_config": {
                "aws": {
                    "name": "aws",
                    "expressions": {
                        "region": {"constant_value": "us-east-1"},
                        "default_tags": [{"tags": {"constant_value": tags}}],
                    },
                }
            }
        },
    }


def change(
    kind: str,
    name: str,
    actions: list[str],
    before: dict[str, Any] | None,
    after: dict[str, Any] | None,
    **masks: Any,
) -> dict[str, Any]:
    return {
        "address": f"{kind}.{name}",
        "mode": "managed",
        "type": kind,
        "name": name,
        "change": {
            "actions": actions,
            "before": before,
            "after": after,
            "after_unknown": masks.get("after_unknown", {}),
            "before_sensitive": masks.get("before_sensitive", {}),
            "after_sensitive": masks.get("after_sensitive", {}),
            "replace_paths": masks.get("replace_paths", []),
        },
    }


def findings_of(*changes: dict[str, Any]) -> dict[str, str]:
    report = review([parse_plan(plan(*changes), source="plan.json")])
    return {f.reason: f.kind for f in report.findings}


def test_sensitive_values_are_masked_everywhere(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    subscription = change(
        "aws_sns_topic_subscription",
        "alarm_topic_subscription_0",
        ["update"],
        {
            "protocol": "https",
            "endpoint": "https://old.example.com/?token=s3cr3t-old",
            "delivery_policy": {"retry": {"token": "nested-s3cr3t", "tries": 3}},
        },
        {
            "protocol": "https",
            "endpoint": "https://new.example.com/?token=s3cr3t-new",
            "delivery_policy": {"retry": {"token": "nested-s3cr3t-2", "tries": 5}},
        },
        before_sensitive={"endpoint": True, "delivery_policy": {"retry": {"token": True}}},
        after_sensitive={"endpoint": True, "delivery_policy": {"retry": {"token": True}}},
    )
    path = tmp_path / "plan.json"
    path.write_text(json.dumps(plan(subscription)))
    for fmt in ("markdown", "json"):
        code, out, _ = run_cli(["--format", fmt, str(path)], capsys)
        assert code == 0
        assert "s3cr3t" not in out
        assert "(sensitive)" in out
    stack = load_plan(path)
    # The subscriber changed: flagged, still without its value.
    assert [f.reason for f in review([stack]).findings] == [
        "topic subscription removed: https (sensitive)"
    ]
    attributes = {a.name: a for a in stack.changes[0].attributes()}
    assert attributes["endpoint"].before is Hidden.SENSITIVE
    assert attributes["delivery_policy"].after == {"retry": {"token": Hidden.SENSITIVE, "tries": 5}}


def test_unknown_values_show_as_known_after_apply_and_are_not_removals() -> None:
    trail = change(
        "aws_cloudtrail",
        "trail",
        ["update"],
        {"kms_key_id": "arn:aws:kms:us-east-1:123456789012:key/old", "enable_logging": True},
        {"enable_logging": True},
        after_unknown={"kms_key_id": True},
    )
    stack = parse_plan(plan(trail), source="plan.json")
    (attribute,) = stack.changes[0].attributes()
    assert (attribute.name, attribute.after) == ("kms_key_id", Hidden.UNKNOWN)
    assert review([stack]).findings == ()


def test_trail_switches_turned_off_are_weakenings() -> None:
    before = {
        "enable_logging": True,
        "enable_log_file_validation": True,
        "is_multi_region_trail": True,
        "include_global_service_events": True,
        "kms_key_id": "arn:aws:kms:us-east-1:123456789012:key/k",
        "cloud_watch_logs_group_arn": "arn:aws:logs:us-east-1:123456789012:log-group:g:*",
    }
    after = {
        **before,
        "enable_logging": False,
        "enable_log_file_validation": False,
        "kms_key_id": None,
        "cloud_watch_logs_group_arn": "",
    }
    assert findings_of(change("aws_cloudtrail", "trail", ["update"], before, after)) == {
        "trail logging turned off: API calls are no longer logged": "weakening",
        "log file validation turned off: tampering goes unseen": "weakening",
        "trail KMS encryption removed: log files are no longer encrypted with the customer key": "weakening",  # noqa: E501
        "trail no longer delivers to CloudWatch Logs: no alarm can fire": "weakening",
    }


def test_key_rotation_off_and_topic_or_log_group_encryption_removed() -> None:
    key = "arn:aws:kms:us-east-1:123456789012:key/k"
    assert findings_of(
        change(
            "aws_kms_key",
            "key",
            ["update"],
            {"enable_key_rotation": True},
            {"enable_key_rotation": False},
        ),
        change(
            "aws_sns_topic",
            "alarm_topic",
            ["update"],
            {"kms_master_key_id": key},
            {"kms_master_key_id": ""},
        ),
        change(
            "aws_cloudwatch_log_group",
            "log_group",
            ["update"],
            {"kms_key_id": key, "retention_in_days": 365},
            {"kms_key_id": None, "retention_in_days": 365},
        ),
        change(
            "aws_sns_topic_policy",
            "alarm_topic_policy",
            ["delete"],
            {"arn": "arn:aws:sns:us-east-1:123456789012:t", "policy": "{}"},
            None,
        ),
    ) == {
        "KMS key rotation turned off": "weakening",
        "alarm topic encryption removed": "weakening",
        "log group KMS encryption removed": "weakening",
        "alarm topic policy removed: the topic falls back to its default policy": "weakening",
    }


def test_alarm_actions_disabled_is_a_weakening() -> None:
    topic = ["arn:aws:sns:us-east-1:123456789012:t"]
    alarm = {
        "actions_enabled": True,
        "alarm_actions": topic,
        "threshold": 1,
        "comparison_operator": "GreaterThanOrEqualToThreshold",
    }
    assert findings_of(
        change(
            "aws_cloudwatch_metric_alarm",
            "alarm_x",
            ["update"],
            alarm,
            {**alarm, "actions_enabled": False},
        )
    ) == {"alarm actions disabled (actions_enabled false): it notifies nobody": "weakening"}


def _vpc_alarm(config_path: Path | None) -> dict[str, Any]:
    """The vpc-changes alarm's attributes as the stack writes them, live or as a shadow."""
    alarm = load_deployment(config_path).alarm("vpc-changes")
    return {
        "actions_enabled": not alarm.shadow,
        "alarm_actions": ["arn:aws:sns:us-east-1:123456789012:t"],
        "alarm_description": alarm.description,
        "threshold": alarm.settings.threshold,
        "comparison_operator": alarm.settings.comparison,
    }


def test_turning_shadow_on_is_a_weakening_and_off_a_strengthening(tmp_path: Path) -> None:
    from tests.shadow_fixtures import rule_and_shadow_config, write_config

    live = _vpc_alarm(None)
    shadow = _vpc_alarm(write_config(rule_and_shadow_config(), tmp_path))
    assert (live["actions_enabled"], shadow["actions_enabled"]) == (True, False)
    kind, name = "aws_cloudwatch_metric_alarm", "alarm_vpc_changes"
    assert findings_of(change(kind, name, ["update"], live, shadow)) == {
        "alarm turned into a shadow (actions_enabled false): it counts, and notifies nobody "
        "until shadow is turned off": "weakening"
    }
    assert findings_of(change(kind, name, ["update"], shadow, live)) == {
        "alarm is no longer a shadow (actions_enabled true): it notifies": "strengthening"
    }
    assert findings_of(change(kind, name, ["create"], None, shadow)) == {
        "alarm created as a shadow (actions off): it counts, and notifies nobody until shadow "
        "is turned off": "review"
    }
    # Actions switched by hand, not by shadow: said without the word.
    by_hand = {**live, "actions_enabled": False}
    assert findings_of(change(kind, name, ["update"], by_hand, live)) == {
        "alarm actions enabled (actions_enabled true): it notifies": "strengthening"
    }


def test_a_strengthening_alone_does_not_fail_the_gate(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    from tests.shadow_fixtures import rule_and_shadow_config, write_config

    shadow = _vpc_alarm(write_config(rule_and_shadow_config(), tmp_path))
    live = _vpc_alarm(None)
    document = plan(
        change("aws_cloudwatch_metric_alarm", "alarm_vpc_changes", ["update"], shadow, live)
    )
    plan_file = tmp_path / "plan.json"
    plan_file.write_text(json.dumps(document))
    code, out, _err = run_cli(["--fail-on-weakening", str(plan_file)], capsys)
    assert code == 0
    assert "- strengthening: alarm is no longer a shadow (actions_enabled true)" in out


@pytest.mark.parametrize(
    ("comparison", "before", "after", "flag"),
    [
        ("GreaterThanOrEqualToThreshold", 1, 5, "alarm threshold raised: 1 → 5"),
        ("GreaterThanOrEqualToThreshold", 5, 1, None),
        ("LessThanThreshold", 5, 1, "alarm threshold lowered: 5 → 1"),
        ("LessThanThreshold", 1, 5, None),
    ],
)
def test_threshold_is_laxer_in_the_direction_of_the_comparison(
    comparison: str, before: float, after: float, flag: str | None
) -> None:
    alarm = {"comparison_operator": comparison, "threshold": before}
    found = findings_of(
        change(
            "aws_cloudwatch_metric_alarm",
            "alarm_x",
            ["update"],
            alarm,
            {**alarm, "threshold": after},
        )
    )
    assert found == ({flag: "weakening"} if flag else {})


BASE_ALARM = {
    "comparison_operator": "GreaterThanOrEqualToThreshold",
    "threshold": 3,
    "statistic": "Sum",
    "evaluation_periods": 5,
    "datapoints_to_alarm": 2,
    "period": 300,
}


@pytest.mark.parametrize(
    ("changes", "flag"),
    [
        (
            {"evaluation_periods": 2},
            "alarm window narrowed: 5 → 2 evaluation periods for 2 breaching",
        ),
        (
            {"comparison_operator": "LessThanThreshold"},
            "alarm comparison reversed: it now fires on the opposite condition: "
            "GreaterThanOrEqualToThreshold → LessThanThreshold",
        ),
        (
            {"statistic": "Average"},
            "alarm can never fire: statistic Average of a metric whose every datapoint is 1 per "
            "matching record never exceeds 1, so >= 3 can never be reached: use Sum to count "
            "records",
        ),
    ],
)
def test_changes_that_stop_an_alarm_firing_are_weakenings(
    changes: dict[str, object], flag: str
) -> None:
    found = findings_of(
        change(
            "aws_cloudwatch_metric_alarm",
            "alarm_x",
            ["update"],
            BASE_ALARM,
            {**BASE_ALARM, **changes},
        )
    )
    assert found[flag] == "weakening"


def test_sample_count_and_a_wider_window_are_not_weakenings() -> None:
    found = findings_of(
        change(
            "aws_cloudwatch_metric_alarm",
            "alarm_x",
            ["update"],
            BASE_ALARM,
            {**BASE_ALARM, "statistic": "SampleCount", "evaluation_periods": 10},
        )
    )
    assert "weakening" not in found.values()


@pytest.mark.parametrize(
    ("before", "after", "flagged_"),
    [(365, 90, True), (0, 365, True), (365, 0, False), (90, 365, False)],
)
def test_retention_zero_means_forever(before: int, after: int, flagged_: bool) -> None:
    found = findings_of(
        change(
            "aws_cloudwatch_log_group",
            "log_group",
            ["update"],
            {"retention_in_days": before},
            {"retention_in_days": after},
        )
    )
    assert bool(found) is flagged_


def test_dropping_the_first_of_two_addresses_flags_only_that_address() -> None:
    topic = "arn:aws:sns:us-east-1:123456789012:t"
    first = {"protocol": "email", "endpoint": "a@example.com", "topic_arn": topic}
    second = {"protocol": "email", "endpoint": "b@example.com", "topic_arn": topic}
    found = findings_of(
        change(
            "aws_sns_topic_subscription",
            "alarm_topic_subscription_0",
            ["delete", "create"],
            first,
            second,
            replace_paths=[["endpoint"]],
        ),
        change(
            "aws_sns_topic_subscription", "alarm_topic_subscription_1", ["delete"], second, None
        ),
    )
    assert found == {
        "topic subscription removed: email a@example.com": "weakening",
        "email subscription b@example.com recreated: it must be confirmed again": "review",
    }


def test_stack_comes_from_the_default_tag_else_the_file_name() -> None:
    assert parse_plan(plan(target="eu"), source="x.json").stack == "trailwatch-eu"
    assert (
        parse_plan(plan(target=None), source="plan-trailwatch-ops.json").stack == "trailwatch-ops"
    )
    assert parse_plan(plan(target=None), source="other.json").stack == "other"


def test_two_plans_of_one_stack_are_refused() -> None:
    plans = [parse_plan(plan(), source=name) for name in ("a.json", "b.json")]
    with pytest.raises(PlanError, match="a.json, b.json: all are plans of trailwatch-primary"):
        review(plans)


@pytest.mark.parametrize(
    ("content", "message"),
    [
        ('{"format_version": "1.0", "values": {}}', "this is state, not a plan"),
        ("not json", "not JSON"),
        ('{"resource_changes": []}', "not the JSON of a Terraform plan"),
    ],
)
def test_bad_input_is_one_line_without_traceback(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], content: str, message: str
) -> None:
    path = tmp_path / "plan.json"
    path.write_text(content)
    code, out, err = run_cli([str(path)], capsys)
    assert (code, out) == (2, "")
    assert err.startswith(f"trailwatch: {path}: ") and message in err
    assert len(err.strip().splitlines()) == 1


def test_plans_or_stacks_must_be_given(capsys: pytest.CaptureFixture[str]) -> None:
    code, _, err = run_cli([], capsys)
    assert code == 2 and "give PLAN_JSON files or --stacks" in err


def test_a_change_whose_values_are_not_objects_is_named(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    plan = {
        "format_version": "1.2",
        "resource_changes": [
            {
                "address": "aws_cloudtrail.trail",
                "type": "aws_cloudtrail",
                "change": {"actions": ["update"], "before": ["x"], "after": {}},
            }
        ],
    }
    path = tmp_path / "trailwatch-primary.json"
    path.write_text(json.dumps(plan))
    assert main(["plan-report", str(path)]) == 2
    err = capsys.readouterr().err
    assert "resource_changes[0] is malformed" in err and "Traceback" not in err


# The `--format json` document: a renamed or dropped field must fail here, not in a consumer.
REPORT_KEYS = {"verdict", "weakenings", "to_review", "findings", "stacks"}
FINDING_KEYS = {"kind", "reason", "resources", "pattern"}
RESOURCE_KEYS = {"stack", "address"}
PATTERN_KEYS = {"event", "before", "after", "no_longer_match", "now_match", "unchecked"}
STACK_KEYS = {"stack", "region", "source", "counts", "changes"}
COUNT_KEYS = {"create", "update", "replace", "delete", "forget"}
CHANGE_KEYS = {"address", "type", "action", "attributes"}
ATTRIBUTE_KEYS = {"name", "before", "after", "forces_replacement"}


def test_json_report_keys_are_pinned(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    root = '{ $.userIdentity.type = "Root" && $.userIdentity.invokedBy NOT EXISTS }'
    changes = (
        change(
            "aws_cloudwatch_log_metric_filter",
            "filter_root_account_usage",
            ["update"],
            {"name": "RootAccountUsage", "pattern": root},
            {"name": "RootAccountUsage", "pattern": '{ $.userIdentity.type = "Root" }'},
        ),
        change(
            "aws_cloudwatch_metric_alarm",
            "alarm_root_account_usage",
            ["delete"],
            {"alarm_name": "root-account-usage", "threshold": 1},
            None,
        ),
        change("aws_sns_topic", "alarm_topic", ["create"], None, {}, after_unknown={"arn": True}),
    )
    path = tmp_path / "trailwatch-primary.json"
    path.write_text(json.dumps(plan(*changes)))
    code, out, _ = run_cli(["--format", "json", str(path)], capsys)
    assert code == 0
    data = json.loads(out)
    assert set(data) == REPORT_KEYS
    assert len(data["findings"]) == 2 and len(data["stacks"]) == 1
    for finding in data["findings"]:
        assert set(finding) == FINDING_KEYS
        assert all(set(r) == RESOURCE_KEYS for r in finding["resources"])
    patterns = [f["pattern"] for f in data["findings"] if f["pattern"] is not None]
    assert len(patterns) == 1 and set(patterns[0]) == PATTERN_KEYS
    (stack,) = data["stacks"]
    assert set(stack) == STACK_KEYS
    assert set(stack["counts"]) == COUNT_KEYS
    assert len(stack["changes"]) == 3
    for planned in stack["changes"]:
        assert set(planned) == CHANGE_KEYS
        assert all(set(a) == ATTRIBUTE_KEYS for a in planned["attributes"])
    created = next(c for c in stack["changes"] if c["action"] == "create")
    assert created["attributes"] == []
    updated = next(c for c in stack["changes"] if c["action"] == "update")
    assert [a["name"] for a in updated["attributes"]] == ["pattern"]
