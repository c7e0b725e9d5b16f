"""EventBridge rules on the emulator: read back through boto3 (the AWS inventory), and judged by
the emulator's TestEventPattern as the drill asks it, on catalog samples."""

from __future__ import annotations

import copy
import json
from collections.abc import Iterator
from typing import Any

import pytest

from tests.event_rule_stacks import INPUT_PATHS, PATTERNS, TEMPLATE, compact
from trailwatch.drill.event_rules import NO_EVENTS_PATH, RuleCheck
from trailwatch.inventory.aws import read_inventory
from trailwatch.inventory.model import EventRule
from trailwatch.spec import naming
from trailwatch.spec.model import load_deployment

pytestmark = pytest.mark.emulator
REGION = "us-east-1"


@pytest.fixture(scope="module")
def events() -> Iterator[Any]:
    """An EventBridge client of a fresh emulator holding the hand-written rules, one target each."""
    import boto3  # type: ignore[import-untyped]

    from tests.helpers import missing_tool
    from trailwatch.tooling.emulator import Emulator, moto_available

    if not moto_available():
        missing_tool("moto[server] is not installed (make install)")
    with Emulator() as emulator:
        session = boto3.Session(
            aws_access_key_id="test", aws_secret_access_key="test", region_name=REGION
        )
        client = session.client("events", endpoint_url=emulator.endpoint_url)
        sns = session.client("sns", endpoint_url=emulator.endpoint_url)
        topic = sns.create_topic(Name="trailwatch-primary-alarms")["TopicArn"]
        for event_id, pattern in PATTERNS.items():
            name = naming.event_rule_name("", event_id)
            client.put_rule(Name=name, EventPattern=compact(pattern), State="ENABLED")
            client.put_targets(
                Rule=name,
                Targets=[
                    {
                        "Id": "default",
                        "Arn": topic,
                        "InputTransformer": {
                            "InputPathsMap": INPUT_PATHS,
                            "InputTemplate": TEMPLATE,
                        },
                    }
                ],
            )
        # Another tool's rule: the name prefix leaves it out.
        client.put_rule(Name="other-rule", EventPattern=json.dumps({"source": ["aws.ec2"]}))
        yield client


@pytest.fixture(scope="module")
def catalog() -> Any:
    return load_deployment(None).catalog


def test_the_aws_inventory_reads_trailwatchs_rules_and_their_targets(events: Any) -> None:
    inventory = read_inventory(
        lambda service: events, stack="s", log_groups=[], trails=False, event_rule_prefix="trail"
    )
    assert sorted(r.event_id or "" for r in inventory.event_rules) == sorted(PATTERNS)
    rule = inventory.rule_of_event("root-account-usage")
    assert rule is not None and rule.enabled and rule.pattern() == PATTERNS["root-account-usage"]
    [target] = inventory.targets_of(rule)
    assert target.arn.endswith(":trailwatch-primary-alarms") and target.target_id == "default"
    assert dict(target.input_paths) == INPUT_PATHS and target.input_template == TEMPLATE
    # An empty prefix (ListRules refuses one) reads every rule of the bus.
    every = read_inventory(
        lambda service: events, stack="s", log_groups=[], trails=False, event_rule_prefix=""
    )
    assert "other-rule" in {r.name for r in every.event_rules}


def test_test_event_pattern_judges_catalog_samples_as_the_catalog_says(
    events: Any, catalog: Any
) -> None:
    rules = read_inventory(
        lambda service: events,
        stack="s",
        log_groups=[],
        trails=False,
        event_rule_prefix="trailwatch-",
    ).event_rules
    check = RuleCheck(events, rules)
    for event_id in PATTERNS:
        samples = catalog[event_id].samples
        assert samples.match and samples.no_match
        for sample in samples.match:
            verdict = check.judge(event_id, sample.record)
            assert verdict.matched is True, (event_id, sample.note)
            assert verdict.rule_name == f"trailwatch-{event_id}" and verdict.note == ""
        for sample in samples.no_match:
            assert check.judge(event_id, sample.record).matched is False, (event_id, sample.note)


def test_an_event_without_a_rule_has_no_events_path_and_a_disabled_rule_fails(
    events: Any, catalog: Any
) -> None:
    record = catalog["vpc-changes"].samples.match[0].record
    check = RuleCheck(events, [])
    assert check.judge("vpc-changes", record).note == NO_EVENTS_PATH
    assert check.judge("vpc-changes", record).matched is None
    disabled = EventRule(
        name="trailwatch-vpc-changes",
        event_pattern=compact(PATTERNS["vpc-changes"]),
        state="DISABLED",
    )
    verdict = RuleCheck(events, [disabled]).judge("vpc-changes", record)
    assert verdict.matched is False and verdict.note == "rule trailwatch-vpc-changes is DISABLED"


def test_a_narrowed_deployed_rule_misses_the_record_it_no_longer_names(
    events: Any, catalog: Any
) -> None:
    narrowed = copy.deepcopy(PATTERNS["vpc-changes"])
    narrowed["detail"]["eventName"].remove("CreateVpc")
    record = next(
        s.record
        for s in catalog["vpc-changes"].samples.match
        if s.record["eventName"] == "CreateVpc"
    )
    rule = EventRule(
        name="trailwatch-vpc-changes", event_pattern=compact(narrowed), state="ENABLED"
    )
    verdict = RuleCheck(events, [rule]).judge("vpc-changes", record)
    assert verdict.matched is False
    assert verdict.note == "rule trailwatch-vpc-changes's pattern does not match the record"


# --- the drill, on the lab's deployment with rules put beside it ---------------------------


@pytest.fixture
def lab_rules(lab: Any) -> Iterator[Any]:
    """The primary target's region gets rules for two drilled events (one narrowed, so that it
    misses the drill's CreateSecurityGroup call); removed again after the test."""
    client = lab.client("events", "us-east-1")
    narrowed = copy.deepcopy(PATTERNS["security-group-changes"])
    narrowed["detail"]["eventName"].remove("CreateSecurityGroup")
    rules = {"vpc-changes": PATTERNS["vpc-changes"], "security-group-changes": narrowed}
    for event_id, pattern in rules.items():
        client.put_rule(Name=naming.event_rule_name("", event_id), EventPattern=compact(pattern))
    yield client
    for event_id in rules:
        client.delete_rule(Name=naming.event_rule_name("", event_id))


def test_the_drill_checks_each_call_against_the_deployed_rule(lab: Any, lab_rules: Any) -> None:
    code, out, err = lab.cli(["drill", "--json", "--target", "primary"])
    report = json.loads(out)
    assert code == 1, err  # the narrowed rule misses a call
    [target] = report["targets"]
    by_event: dict[str, list[dict[str, Any]]] = {}
    for result in target["results"]:
        by_event.setdefault(result["event_id"], []).append(result)
    assert all(r["matched"] for r in target["results"])  # the filters all match
    vpc = by_event["vpc-changes"]
    assert {r["rule_name"] for r in vpc} == {"trailwatch-vpc-changes"}
    assert all(r["rule_matched"] is True for r in vpc)
    groups = {r["call"]: r["rule_matched"] for r in by_event["security-group-changes"]}
    assert groups["ec2:CreateSecurityGroup"] is False
    assert any(matched is True for matched in groups.values())
    others = [
        r
        for e, rs in by_event.items()
        if e not in ("vpc-changes", "security-group-changes")
        for r in rs
    ]
    assert others and all(
        r["rule_matched"] is None and r["rule_note"] == NO_EVENTS_PATH for r in others
    )


def test_a_pattern_eventbridge_refuses_fails_that_event_only(events: Any, catalog: Any) -> None:
    record = catalog["vpc-changes"].samples.match[0].record
    broken = EventRule(name="trailwatch-vpc-changes", event_pattern="{not json", state="ENABLED")
    verdict = RuleCheck(events, [broken]).judge("vpc-changes", record)
    assert verdict.matched is False and verdict.note.startswith("TestEventPattern failed: ")
