"""EventBridge rules on the emulator: read back through boto3 (the AWS inventory), and judged by
the emulator's TestEventPattern as the drill asks it, on catalog samples."""

from __future__ import annotations

import copy
import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import yaml

from tests.conftest import default_config
from tests.event_rule_stacks import INPUT_PATHS, PATTERNS, TEMPLATE, compact
from trailwatch.drill.event_rules import NO_EVENTS_PATH, RULE_MISSING, RuleCheck
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


# --- the drill, on the lab's deployment (the default config: 17 rules on the primary target) --
# The lab is shared by every emulator test: these never change its Terraform-managed rules.


def _by_event(report: dict[str, Any]) -> dict[str, list[dict[str, Any]]]:
    [target] = report["targets"]
    by_event: dict[str, list[dict[str, Any]]] = {}
    for result in target["results"]:
        by_event.setdefault(result["event_id"], []).append(result)
    return by_event


def test_the_drill_checks_each_call_against_the_rule_terraform_deployed(lab: Any) -> None:
    deployment = lab.deployment()
    primary = lab.target("primary")
    expected = {r.id: r.rule_name for r in deployment.event_rules_for(primary)}
    assert len(expected) == 17
    code, out, err = lab.cli(["drill", "--json", "--target", "primary"])
    assert code == 0, err
    by_event = _by_event(json.loads(out))
    drilled = [r for rs in by_event.values() for r in rs if r["call"]]
    assert drilled and all(r["matched"] for r in drilled)  # the filters all match
    with_rule = [r for r in drilled if r["event_id"] in expected]
    # Every drilled event of the primary target has its rule there, and it takes the call.
    assert {r["event_id"] for r in drilled} <= set(expected)
    assert {r["event_id"] for r in with_rule} == {
        "cloudtrail-changes",
        "iam-policy-changes",
        "nacl-changes",
        "network-gateway-changes",
        "route-table-changes",
        "s3-bucket-activity",
        "security-group-changes",
        "vpc-changes",
    }
    for result in with_rule:
        assert result["rule_name"] == expected[result["event_id"]], result
        assert result["rule_matched"] is True and result["rule_note"] == "", result
    assert expected["vpc-changes"] == "trailwatch-vpc-changes"
    assert {r["call"] for r in by_event["security-group-changes"]} >= {"ec2:CreateSecurityGroup"}


def test_a_rule_the_config_delivers_but_aws_lacks_fails_the_drill(
    lab: Any, tmp_path: Path, catalog: Any
) -> None:
    """The eu target told to deliver events too: the lab deployed none of its rules there, so
    each of its regional events is "rule missing"; its global-service events' rules live in the
    primary target (us-east-1), and their results say so."""
    config = default_config()
    eu = next(t for t in config["targets"] if t["name"] == "eu")
    eu["delivery"] = ["alarms", "events"]
    path = tmp_path / "trailwatch.yaml"
    path.write_text(yaml.safe_dump(config))
    code, out, err = lab.cli(["drill", "--json", "--config", str(path), "--target", "eu"])
    assert code == 1, err
    by_event = _by_event(json.loads(out))
    results = [r for rs in by_event.values() for r in rs if r["call"]]
    assert all(r["matched"] for r in results)  # the filters still match: only rules are missing
    missing = [r for r in results if r["rule_note"] == RULE_MISSING]
    assert missing and all(r["rule_matched"] is False for r in missing)
    vpc = by_event["vpc-changes"]
    assert {(r["rule_name"], r["rule_note"]) for r in vpc} == {
        ("trailwatch-vpc-changes", RULE_MISSING)
    }
    placed = [r for r in results if r["rule_note"].startswith("rule in target primary")]
    assert placed and all(r["rule_matched"] is None for r in placed)
    for result in placed:
        name = naming.event_rule_name("", result["event_id"])
        assert result["rule_note"] == f"rule in target primary (us-east-1): {name}"
    assert all(catalog[r["event_id"]].global_service for r in placed)
    assert not any(catalog[r["event_id"]].global_service for r in missing)
    assert len(missing) + len(placed) == len(results)


def test_the_default_eu_target_has_no_events_path(lab: Any) -> None:
    code, out, err = lab.cli(["drill", "--json", "--target", "eu"])
    assert code == 0, err
    results = [r for rs in _by_event(json.loads(out)).values() for r in rs if r["call"]]
    assert results and all(
        r["rule_matched"] is None and r["rule_note"] == NO_EVENTS_PATH for r in results
    )


SCRATCH_REGION = "ap-southeast-2"  # no target of the lab's config deploys here
SCRATCH_PREFIX = "scratch-trailwatch-"


@pytest.fixture
def scratch_rule(lab: Any) -> Iterator[Any]:
    """A narrowed security-group-changes rule (no CreateSecurityGroup) in a region and under a
    name prefix of its own: the lab's rules stay as Terraform made them. Removed afterwards."""
    client = lab.client("events", SCRATCH_REGION)
    narrowed = copy.deepcopy(PATTERNS["security-group-changes"])
    narrowed["detail"]["eventName"].remove("CreateSecurityGroup")
    name = f"{SCRATCH_PREFIX}security-group-changes"
    client.put_rule(Name=name, EventPattern=compact(narrowed))
    yield client
    for target in client.list_targets_by_rule(Rule=name)["Targets"]:
        client.remove_targets(Rule=name, Ids=[target["Id"]])
    client.delete_rule(Name=name)
    assert client.list_rules(NamePrefix=SCRATCH_PREFIX)["Rules"] == []


def test_a_narrowed_rule_misses_the_call_it_no_longer_names(
    lab: Any, scratch_rule: Any, catalog: Any
) -> None:
    listed = read_inventory(
        lambda service: scratch_rule,
        stack="s",
        log_groups=[],
        trails=False,
        event_rule_prefix=SCRATCH_PREFIX,
    ).event_rules
    name = f"{SCRATCH_PREFIX}security-group-changes"
    check = RuleCheck(scratch_rule, listed, {"security-group-changes": name})
    by_call = {
        s.record["eventName"]: check.judge("security-group-changes", s.record)
        for s in catalog["security-group-changes"].samples.match
    }
    assert by_call["CreateSecurityGroup"].matched is False
    assert by_call["CreateSecurityGroup"].note == f"rule {name}'s pattern does not match the record"
    others = [v for call, v in by_call.items() if call != "CreateSecurityGroup"]
    assert others and all(v.matched is True and v.rule_name == name for v in others)
    # The lab's own rule is untouched: still Terraform's pattern.
    primary = lab.target("primary")
    [rule] = [
        r for r in lab.deployment().event_rules_for(primary) if r.id == "security-group-changes"
    ]
    deployed = lab.client("events", primary.region).describe_rule(Name=rule.rule_name)
    assert json.loads(deployed["EventPattern"]) == rule.event_pattern


def test_a_pattern_eventbridge_refuses_fails_that_event_only(events: Any, catalog: Any) -> None:
    record = catalog["vpc-changes"].samples.match[0].record
    broken = EventRule(name="trailwatch-vpc-changes", event_pattern="{not json", state="ENABLED")
    verdict = RuleCheck(events, [broken]).judge("vpc-changes", record)
    assert verdict.matched is False and verdict.note.startswith("TestEventPattern failed: ")
