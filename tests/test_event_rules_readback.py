"""EventBridge rules read back: the inventory from synth, state and plans, drift, plan review and
coverage's path column, on the resource shape `stacks/` writes and on real records."""

from __future__ import annotations

import copy
import json
from pathlib import Path
from typing import Any

import pytest

from tests.event_rule_stacks import (
    PATTERNS,
    compact,
    plan_change,
    plan_document,
    state_file,
    state_values,
    synth_document,
    topic_arn,
)
from trailwatch.audit.coverage import MET, Verdict, delivery_path
from trailwatch.audit.drift_report import (
    EXTRA_RULE,
    RULE_DISABLED,
    RULE_MISSING,
    RULE_PATTERN_DIFFERS,
    TARGET_EXTRA,
    TARGET_MISSING,
)
from trailwatch.audit.drift_rules import rule_views
from trailwatch.audit.plan import parse_plan, review
from trailwatch.eventbridge.envelope import wrap
from trailwatch.eventbridge.matching import event_matcher
from trailwatch.inventory.model import Inventory
from trailwatch.inventory.resources import build_inventory
from trailwatch.inventory.state import read_state_file, resources_from_values
from trailwatch.inventory.synth import inventory_of_synth
from trailwatch.patterns import compile_pattern
from trailwatch.replay import synthetic
from trailwatch.spec.model import load_deployment

RULE, TARGET = "aws_cloudwatch_event_rule", "aws_cloudwatch_event_target"


@pytest.fixture(scope="module")
def catalog() -> Any:
    return load_deployment(None).catalog


@pytest.fixture(scope="module")
def shared_records(shared_samples_dir: Path) -> list[dict[str, Any]]:
    return synthetic.load_samples(shared_samples_dir)


def synth() -> Inventory:
    return inventory_of_synth(synth_document(), "trailwatch-primary")


def state(values: dict[str, Any] | None = None) -> Inventory:
    values = state_values() if values is None else values
    return build_inventory("trailwatch-primary", "state", resources_from_values(values))


def edit(values: dict[str, Any], name: str, **changes: Any) -> dict[str, Any]:
    """A copy of show-json values with one resource's values changed (None: removed)."""
    edited = copy.deepcopy(values)
    resources = edited["root_module"]["resources"]
    for resource in list(resources):
        if resource["name"] == name:
            if changes.get("remove"):
                resources.remove(resource)
            else:
                resource["values"].update(changes)
    return edited


# --- the hand-written patterns the rest relies on ------------------------------------------


def test_each_hand_written_pattern_agrees_with_its_catalog_pattern_on_the_shared_records(
    catalog: Any, shared_records: list[dict[str, Any]]
) -> None:
    for event_id, pattern in PATTERNS.items():
        engine = compile_pattern(catalog[event_id].pattern)
        rule = event_matcher(pattern)
        samples = [s.record for s in (*catalog[event_id].samples.match,)]
        verdicts = [(engine.matches(r), rule.matches(r)) for r in shared_records + samples]
        assert all(a == b for a, b in verdicts), event_id
        assert sum(a for a, _ in verdicts) >= 1, event_id


def test_the_envelope_is_what_cloudtrail_sends_to_eventbridge(
    shared_records: list[dict[str, Any]],
) -> None:
    sign_in = next(r for r in shared_records if r.get("eventName") == "ConsoleLogin")
    event = wrap(sign_in)
    assert event["detail-type"] == "AWS Console Sign In via CloudTrail"
    assert event["source"] == "aws.signin"
    assert event["id"] and event["id"] == wrap(dict(sign_in))["id"]  # the same record, same id
    assert event["time"] == sign_in["eventTime"] and event["version"] == "0"
    assert event["region"] == sign_in["awsRegion"] and event["detail"] == sign_in
    odd = next(r for r in shared_records if r.get("eventType") == "AwsConsoleSignin")
    assert wrap(odd)["detail-type"] == "AWS Console Sign In via CloudTrail"
    call = next(r for r in shared_records if r.get("eventName") == "AuthorizeSecurityGroupIngress")
    assert wrap(call)["detail-type"] == "AWS API Call via CloudTrail"
    assert wrap(call)["source"] == "aws.ec2"
    assert wrap(call)["account"] == call["recipientAccountId"]


# --- the inventory -------------------------------------------------------------------------


def test_synth_rules_and_targets_are_read_with_their_references_resolved() -> None:
    inventory = synth()
    rule = inventory.rule_of_event("security-group-changes")
    assert rule is not None and rule.name == "trailwatch-security-group-changes"
    assert rule.enabled and rule.pattern() == PATTERNS["security-group-changes"]
    [target] = inventory.targets_of(rule)
    assert target.arn == "${aws_sns_topic.alarm_topic.arn}"
    assert target.event_and_channel == ("security-group-changes", "default")
    assert dict(target.input_paths)["actor"] == "$.detail.userIdentity.arn"
    assert len(inventory.event_rules) == 3 and len(inventory.event_targets) == 3


def test_state_file_and_show_json_give_the_same_rules(tmp_path: Path) -> None:
    path = tmp_path / "trailwatch-primary.tfstate"
    path.write_text(json.dumps(state_file(state_values())))
    from_file = read_state_file(path, "trailwatch-primary")
    from_show = state()
    assert from_file.event_rules == from_show.event_rules
    assert from_file.event_targets == from_show.event_targets
    rule = from_file.rule_of_event("vpc-changes")
    assert rule is not None and rule.arn.endswith(":rule/trailwatch-vpc-changes")
    assert [t.arn for t in from_file.targets_of(rule)] == [topic_arn()]


def test_a_rule_state_is_read_from_state_or_from_is_enabled_on_older_providers() -> None:
    values = state_values()
    disabled = edit(values, "event_rule_vpc_changes", state="DISABLED", is_enabled=False)
    assert state(disabled).rule_of_event("vpc-changes").state == "DISABLED"  # type: ignore[union-attr]
    older = edit(values, "event_rule_vpc_changes", state=None, is_enabled=False)
    assert state(older).rule_of_event("vpc-changes").enabled is False  # type: ignore[union-attr]


# --- drift ---------------------------------------------------------------------------------


def test_state_as_synthesized_has_no_rule_drift() -> None:
    views, findings = rule_views(synth(), state())
    assert findings == []
    assert [(v.event_id, v.channels, v.pattern_exact) for v in views] == [
        ("root-account-usage", ("default",), True),
        ("security-group-changes", ("default",), True),
        ("vpc-changes", ("default",), True),
    ]


def test_a_pattern_written_with_other_spacing_and_key_order_is_not_drift() -> None:
    pattern = json.dumps(PATTERNS["vpc-changes"], indent=2)
    values = edit(state_values(), "event_rule_vpc_changes", event_pattern=pattern)
    assert rule_views(synth(), state(values))[1] == []


def test_every_kind_of_rule_drift_is_named() -> None:
    narrowed = copy.deepcopy(PATTERNS["security-group-changes"])
    narrowed["detail"]["eventName"].remove("CreateSecurityGroup")
    values = state_values()
    values = edit(values, "event_rule_vpc_changes", state="DISABLED", is_enabled=False)
    values = edit(values, "event_rule_security_group_changes", event_pattern=compact(narrowed))
    values = edit(values, "event_target_root_account_usage__default", remove=True)
    _, findings = rule_views(synth(), state(values))
    assert sorted((f.kind, f.subject) for f in findings) == [
        (TARGET_MISSING, "root-account-usage"),
        (RULE_DISABLED, "vpc-changes"),
        (RULE_PATTERN_DIFFERS, "security-group-changes"),
    ]
    messages = {f.kind: f.message for f in findings}
    assert messages[RULE_DISABLED] == (
        "event vpc-changes: EventBridge rule trailwatch-vpc-changes is DISABLED: it sends nothing"
    )
    assert messages[TARGET_MISSING] == (
        "event root-account-usage: EventBridge rule trailwatch-root-account-usage has no target "
        "for channel default"
    )


def test_a_rule_missing_from_state_or_in_state_only_is_drift() -> None:
    values = edit(state_values(), "event_rule_vpc_changes", remove=True)
    views, findings = rule_views(synth(), state(values))
    assert [(f.kind, f.subject) for f in findings] == [(RULE_MISSING, "vpc-changes")]
    assert next(v for v in views if v.event_id == "vpc-changes").rule is None
    fewer = inventory_of_synth(
        synth_document({"vpc-changes": PATTERNS["vpc-changes"]}), "trailwatch-primary"
    )
    _, findings = rule_views(fewer, state())
    assert sorted(f.kind for f in findings) == [EXTRA_RULE, EXTRA_RULE]


def test_a_target_to_a_channel_synth_does_not_have_is_extra() -> None:
    values = state_values()
    extra = copy.deepcopy(
        next(
            r
            for r in values["root_module"]["resources"]
            if r["name"] == "event_target_vpc_changes__default"
        )
    )
    extra["name"] = "event_target_vpc_changes__oncall"
    values["root_module"]["resources"].append(extra)
    _, findings = rule_views(synth(), state(values))
    assert [(f.kind, f.message) for f in findings] == [
        (
            TARGET_EXTRA,
            "event vpc-changes: EventBridge rule trailwatch-vpc-changes also sends to oncall, "
            "which the synthesized stack does not",
        )
    ]


def test_without_synth_only_what_state_says_of_itself_is_judged() -> None:
    values = edit(state_values(), "event_target_vpc_changes__default", remove=True)
    views, findings = rule_views(None, state(values))
    assert [v.pattern_exact for v in views] == [None, None, None]
    assert [(f.kind, f.subject) for f in findings] == [(TARGET_MISSING, "vpc-changes")]
    assert "it notifies nobody" in findings[0].message


# --- plan review ---------------------------------------------------------------------------


def rule_values(event_id: str, **changes: Any) -> dict[str, Any]:
    values = next(
        r["values"]
        for r in state_values()["root_module"]["resources"]
        if r["name"] == f"event_rule_{event_id.replace('-', '_')}"
    )
    return {**values, **changes}


def reviewed(catalog: Any, *changes: dict[str, Any]) -> list[tuple[str, str]]:
    report = review([parse_plan(plan_document(list(changes)), source="primary.json")], catalog)
    return [(f.kind, f.reason) for f in report.findings]


def test_a_rule_destroyed_or_disabled_is_a_weakening(catalog: Any) -> None:
    before = rule_values("vpc-changes")
    disabled = {**before, "state": "DISABLED", "is_enabled": False}
    assert reviewed(
        catalog,
        plan_change(RULE, "event_rule_vpc_changes", ["update"], before, disabled),
        plan_change(
            RULE,
            "event_rule_root_account_usage",
            ["delete"],
            rule_values("root-account-usage"),
            None,
        ),
    ) == [
        (
            "weakening",
            "EventBridge rule of root-account-usage destroyed: its per-event messages stop",
        ),
        ("weakening", "EventBridge rule of vpc-changes disabled (DISABLED): it sends nothing"),
    ]


def test_a_narrowed_pattern_is_a_weakening_by_the_catalog_samples(catalog: Any) -> None:
    narrowed = copy.deepcopy(PATTERNS["security-group-changes"])
    narrowed["detail"]["eventName"].remove("AuthorizeSecurityGroupIngress")
    before = rule_values("security-group-changes")
    after = {**before, "event_pattern": compact(narrowed)}
    name = "event_rule_security_group_changes"
    samples = [
        s.record
        for s in catalog["security-group-changes"].samples.match
        if s.record["eventName"] == "AuthorizeSecurityGroupIngress"
    ]
    assert samples
    n = len(samples)
    assert reviewed(catalog, plan_change(RULE, name, ["update"], before, after)) == [
        (
            "weakening",
            "EventBridge rule pattern of security-group-changes changed: narrowed, "
            f"{n} catalog sample{'s' * (n != 1)} no longer match{'es' * (n == 1)}",
        )
    ]
    # The other way round the same samples start matching: broader, to review only.
    broader = reviewed(catalog, plan_change(RULE, name, ["update"], after, before))
    assert broader == [
        (
            "review",
            "EventBridge rule pattern of security-group-changes changed: broader, "
            f"{n} more catalog sample{'s' * (n != 1)} match{'es' * (n == 1)}",
        )
    ]


def test_a_target_destroyed_is_a_weakening_and_one_created_a_strengthening(
    catalog: Any,
) -> None:
    target = next(
        r["values"]
        for r in state_values()["root_module"]["resources"]
        if r["name"] == "event_target_vpc_changes__default"
    )
    name = "event_target_vpc_changes__default"
    assert reviewed(catalog, plan_change(TARGET, name, ["delete"], target, None)) == [
        (
            "weakening",
            "EventBridge target of vpc-changes to channel default destroyed: the channel no "
            "longer gets the event's messages",
        )
    ]
    oncall = "event_target_vpc_changes__oncall"
    assert reviewed(catalog, plan_change(TARGET, oncall, ["create"], None, target)) == [
        ("review", "strengthening: EventBridge target of vpc-changes to channel oncall created")
    ]


# --- coverage's path column ----------------------------------------------------------------


def test_the_path_column_names_the_alarm_the_rule_or_both() -> None:
    with_rules = state()
    missed = Verdict("not met", "disabled", "")
    assert delivery_path(MET, with_rules, "vpc-changes") == "both"
    assert delivery_path(missed, with_rules, "vpc-changes") == "events"
    assert delivery_path(MET, with_rules, "nacl-changes") == "alarm"
    assert delivery_path(missed, with_rules, "nacl-changes") == "-"
    disabled = state(edit(state_values(), "event_rule_vpc_changes", state="DISABLED"))
    assert delivery_path(MET, disabled, "vpc-changes") == "alarm"
    assert delivery_path(MET, with_rules, None) == ""


def test_coverage_of_a_synthesized_stack_with_rules_shows_both_paths(default_synth: Any) -> None:
    from tests.event_rule_stacks import synth_resources
    from trailwatch.audit.coverage import assess
    from trailwatch.spec.frameworks import load_frameworks

    deployment = load_deployment(default_synth.workdir / "trailwatch.yaml")
    document = default_synth.stack("trailwatch-primary")
    rules = synth_resources({"vpc-changes": PATTERNS["vpc-changes"]})
    for kind in (RULE, TARGET):
        document["resource"][kind] = rules[kind]
    stack = inventory_of_synth(document, "trailwatch-primary")
    report = assess(deployment, [stack], load_frameworks())
    paths = {
        c.control.event_id: c.path
        for f in report.frameworks
        if f.spec.id == "security-hub"
        for c in f.controls
    }
    assert paths["vpc-changes"] == "both"
    assert paths["nacl-changes"] == "alarm"
    assert paths[None] == ""


def test_trailwatch_state_lists_the_rules_and_their_drift(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    import yaml

    from tests.helpers import default_config
    from tests.test_json_schema import check_stack
    from trailwatch.cli import main

    monkeypatch.delenv("TRAILWATCH_ENDPOINT_URL", raising=False)
    monkeypatch.setenv("CDKTF_OUTDIR", str(tmp_path / "cdktf.out"))
    config = tmp_path / "trailwatch.yaml"
    config.write_text(yaml.safe_dump(default_config()))
    values = edit(state_values(), "event_rule_vpc_changes", state="DISABLED", is_enabled=False)
    (tmp_path / "state").mkdir()
    (tmp_path / "state" / "trailwatch-primary.tfstate").write_text(json.dumps(state_file(values)))
    code = main(["state", "--json", "--target", "primary", "--config", str(config)])
    [stack] = json.loads(capsys.readouterr().out)["stacks"]
    assert code == 1
    check_stack(stack)
    assert [r["event_id"] for r in stack["rules"]] == sorted(PATTERNS)
    assert [r["pattern_exact"] for r in stack["rules"]] == [None, None, None]  # no synth here
    assert {f["kind"] for f in stack["findings"]} >= {RULE_DISABLED}
    main(["state", "--target", "primary", "--config", str(config)])
    out = capsys.readouterr().out
    assert "EventBridge rules (per-event messages)" in out
    assert "trailwatch-vpc-changes" in out and "DISABLED" in out


def test_a_rule_pattern_known_only_at_apply_is_checked_by_hand(catalog: Any) -> None:
    before = rule_values("vpc-changes")
    after = {k: v for k, v in before.items() if k != "event_pattern"}
    change = plan_change(RULE, "event_rule_vpc_changes", ["update"], before, after)
    change["change"]["after_unknown"] = {"event_pattern": True}
    assert reviewed(catalog, change) == [
        (
            "weakening",
            "EventBridge rule pattern of vpc-changes changed: the new pattern is known at "
            "apply; check it by hand",
        )
    ]
    older = {**before, "state": None, "is_enabled": False}
    disabled = plan_change(RULE, "event_rule_vpc_changes", ["update"], before, older)
    assert reviewed(catalog, disabled) == [
        ("weakening", "EventBridge rule of vpc-changes disabled (DISABLED): it sends nothing")
    ]


def test_a_rule_that_stops_seeing_read_only_calls_is_drift_and_a_weakening(catalog: Any) -> None:
    from trailwatch.audit.drift_report import RULE_STATE_DIFFERS
    from trailwatch.inventory.model import ALL_MANAGEMENT_EVENTS

    # root-account-usage matches read-only calls too: its rule takes every management event.
    document = synth_document()
    rules = document["resource"][RULE]
    rules["event_rule_root_account_usage"]["state"] = ALL_MANAGEMENT_EVENTS
    expected = inventory_of_synth(document, "trailwatch-primary")
    _, findings = rule_views(expected, state())
    assert [(f.kind, f.message) for f in findings] == [
        (
            RULE_STATE_DIFFERS,
            "event root-account-usage: EventBridge rule trailwatch-root-account-usage is "
            f"ENABLED, the synthesized one {ALL_MANAGEMENT_EVENTS}",
        )
    ]
    before = rule_values("root-account-usage", state=ALL_MANAGEMENT_EVENTS)
    after = {**before, "state": "ENABLED"}
    change = plan_change(RULE, "event_rule_root_account_usage", ["update"], before, after)
    assert reviewed(catalog, change) == [
        (
            "weakening",
            "EventBridge rule of root-account-usage state "
            f"{ALL_MANAGEMENT_EVENTS} → ENABLED: it no longer sees read-only calls",
        )
    ]
