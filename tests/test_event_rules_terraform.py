"""EventBridge rules through real Terraform on the emulator: applied, read back from state,
refreshed after a change made outside Terraform, and planned into a weakened shape.

The stack is the rules' resource shape (`tests/event_rule_stacks.py`) as Terraform JSON with a
topic, applied with the AWS provider from the offline mirror against moto; the plan review and
drift then read what Terraform itself wrote.
"""

from __future__ import annotations

import copy
import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from tests.event_rule_stacks import PATTERNS, REGION, compact, synth_resources
from trailwatch.audit.drift_report import RULE_DISABLED
from trailwatch.audit.drift_rules import rule_views
from trailwatch.audit.plan import parse_plan, review
from trailwatch.inventory.model import Inventory
from trailwatch.inventory.resources import build_inventory
from trailwatch.inventory.state import read_state_file, resources_from_values
from trailwatch.inventory.synth import inventory_of_synth
from trailwatch.spec import naming
from trailwatch.spec.model import load_deployment

pytestmark = pytest.mark.emulator
STACK = "trailwatch-primary"


def document(endpoint: str, resources: dict[str, Any]) -> dict[str, Any]:
    from trailwatch.tooling.terraform import emulator_provider_settings

    provider = emulator_provider_settings(endpoint)
    provider["endpoints"] = [{**provider["endpoints"][0], "events": endpoint}]
    return {
        "terraform": {
            "required_providers": {
                "aws": {"source": "aws", "version": naming.AWS_PROVIDER_CONSTRAINT}
            }
        },
        "provider": {
            "aws": [
                {
                    **provider,
                    "region": REGION,
                    "default_tags": [{"tags": {naming.TARGET_TAG: "primary"}}],
                }
            ]
        },
        "resource": resources,
    }


class RuleStack:
    """One folder of Terraform JSON on the emulator, with its state beside it."""

    def __init__(self, workdir: Path, endpoint: str, env: dict[str, str]) -> None:
        from trailwatch.tooling.terraform import Terraform

        self.workdir, self.endpoint = workdir, endpoint
        self.terraform = Terraform(workdir, stack=STACK, env=env)

    def write(self, resources: dict[str, Any]) -> None:
        text = json.dumps(document(self.endpoint, resources), indent=2)
        (self.workdir / "main.tf.json").write_text(text)

    def expected(self) -> Inventory:
        data = json.loads((self.workdir / "main.tf.json").read_text())
        return inventory_of_synth(data, STACK)

    def plan_json(self, name: str, **refresh: bool) -> dict[str, Any]:
        plan_file = self.workdir / f"{name}.tfplan"
        self.terraform.plan(out=plan_file, **refresh)
        return self.terraform.show_plan(plan_file)


@pytest.fixture(scope="module")
def stack(
    tmp_path_factory: pytest.TempPathFactory, terraform_env: dict[str, str]
) -> Iterator[RuleStack]:
    from tests.helpers import missing_tool
    from trailwatch.tooling.emulator import Emulator, moto_available

    if not moto_available():
        missing_tool("moto[server] is not installed (make install)")
    with Emulator() as emulator:
        applied = RuleStack(
            tmp_path_factory.mktemp("event-rules"), emulator.endpoint_url, terraform_env
        )
        applied.write(synth_resources())
        applied.terraform.init()
        applied.terraform.apply()
        yield applied


def events_client(stack: RuleStack) -> Any:
    import boto3  # type: ignore[import-untyped]

    return boto3.Session(
        aws_access_key_id="test", aws_secret_access_key="test", region_name=REGION
    ).client("events", endpoint_url=stack.endpoint)


def test_applied_rules_read_back_from_state_as_synthesized(stack: RuleStack) -> None:
    state = read_state_file(stack.workdir / "terraform.tfstate", STACK)
    assert sorted(r.event_id or "" for r in state.event_rules) == sorted(PATTERNS)
    assert all(r.enabled and r.arn.startswith("arn:aws:events:") for r in state.event_rules)
    topic = state.topic_of_channel("default")
    assert topic is not None and topic.arn.startswith("arn:aws:sns:")
    assert {t.arn for t in state.event_targets} == {topic.arn}
    views, findings = rule_views(stack.expected(), state)
    assert findings == []
    assert all(v.pattern_exact and v.channels == ("default",) for v in views)
    shown = build_inventory(
        STACK, "show", resources_from_values(stack.terraform.show_state()["values"])
    )
    assert shown.event_rules == state.event_rules and shown.event_targets == state.event_targets


def test_a_rule_disabled_outside_terraform_is_drift_once_refreshed(stack: RuleStack) -> None:
    client = events_client(stack)
    name = naming.event_rule_name("", "vpc-changes")
    client.disable_rule(Name=name)
    try:
        prior = stack.plan_json("refresh", refresh_only=True)["prior_state"]["values"]
    finally:
        client.enable_rule(Name=name)
    refreshed = build_inventory(STACK, "refreshed", resources_from_values(prior))
    _, findings = rule_views(stack.expected(), refreshed)
    assert [(f.kind, f.subject) for f in findings] == [(RULE_DISABLED, "vpc-changes")]


def test_a_real_plan_of_weakened_rules_is_flagged(stack: RuleStack) -> None:
    resources = copy.deepcopy(synth_resources())
    rules = resources["aws_cloudwatch_event_rule"]
    rules[naming.event_rule_id("vpc-changes")]["state"] = "DISABLED"
    narrowed = copy.deepcopy(PATTERNS["security-group-changes"])
    narrowed["detail"]["eventName"].remove("AuthorizeSecurityGroupIngress")
    rules[naming.event_rule_id("security-group-changes")]["event_pattern"] = compact(narrowed)
    del resources["aws_cloudwatch_event_target"][
        naming.event_target_id("root-account-usage", "default")
    ]
    original = (stack.workdir / "main.tf.json").read_text()
    stack.write(resources)
    try:
        plan = stack.plan_json("weakened")
    finally:
        (stack.workdir / "main.tf.json").write_text(original)
    parsed = parse_plan(plan, source="primary.json")
    assert parsed.stack == STACK
    catalog = load_deployment(None).catalog
    report = review([parsed], catalog)
    found = {(f.kind, f.reason) for f in report.findings}
    samples = [
        s
        for s in catalog["security-group-changes"].samples.match
        if s.record["eventName"] == "AuthorizeSecurityGroupIngress"
    ]
    n = len(samples)
    assert found == {
        ("weakening", "EventBridge rule of vpc-changes disabled (DISABLED): it sends nothing"),
        (
            "weakening",
            "EventBridge rule pattern of security-group-changes changed: narrowed, "
            f"{n} catalog sample{'s' * (n != 1)} no longer match{'es' * (n == 1)}",
        ),
        (
            "weakening",
            "EventBridge target of root-account-usage to channel default destroyed: the channel "
            "no longer gets the event's messages",
        ),
    }
    assert report.weakenings == 3
