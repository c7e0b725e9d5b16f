"""What `main.py` synthesizes for the per-event path: a rule per event, a target per channel with
the message's input transformer, and topic and key policies that let exactly those rules
publish."""

from __future__ import annotations

import json
from typing import Any

import pytest

from tests.helpers import Synth, SynthFactory, default_config
from trailwatch.eventbridge.message import INPUT_PATHS, input_template
from trailwatch.spec import naming
from trailwatch.spec.config import Environment
from trailwatch.spec.model import Deployment, load_deployment

pytestmark = pytest.mark.synth

PRIMARY, EU = "trailwatch-primary", "trailwatch-eu"
RULE_ARN = (
    "arn:${data.aws_partition.current.partition}:events:us-east-1:"
    "${data.aws_caller_identity.current.account_id}:rule/"
)


def deployment_of(synth: Synth) -> Deployment:
    path = synth.workdir / "trailwatch.yaml"
    return load_deployment(path, Environment(config_path=path, outdir=synth.outdir))


def topic(channel: str) -> str:
    suffix = "" if channel == "default" else f"_{channel}"
    return f"${{aws_sns_topic.alarm_topic{suffix}.arn}}"


def statements(document: str) -> dict[str, Any]:
    return {s["Sid"]: s for s in json.loads(document)["Statement"]}


@pytest.fixture(scope="module")
def events_only(synth_config: SynthFactory) -> Synth:
    config = default_config()
    config["targets"][0]["delivery"] = ["events"]
    config["targets"][1]["delivery"] = ["alarms"]
    return synth_config("events-only", config)


def test_the_primary_target_has_a_rule_per_event_with_the_compiled_pattern(
    default_synth: Synth,
) -> None:
    d = deployment_of(default_synth)
    primary, eu = d.targets
    rules = default_synth.resources(PRIMARY, "aws_cloudwatch_event_rule")
    expected = d.event_rules_for(primary)
    assert expected and sorted(rules) == sorted(
        f"event_rule_{r.id.replace('-', '_')}" for r in expected
    )
    for rule in expected:
        body = rules[f"event_rule_{rule.id.replace('-', '_')}"]
        assert body == {
            "name": rule.rule_name,
            "description": rule.description,
            "event_pattern": rule.pattern_json,
            "state": rule.state,
        }
        # Compact JSON with sorted keys: the same text every synth.
        assert body["event_pattern"] == json.dumps(
            json.loads(body["event_pattern"]), sort_keys=True, separators=(",", ":")
        )
    # Refused calls and the root's calls include reads (Describe*, Get*, List*), which EventBridge
    # shows only a rule in this state; every other event's pattern names write calls.
    reads = {r.id for r in expected if r.state == naming.RULE_STATE_ALL_MANAGEMENT_EVENTS}
    assert reads == {"authorization-failures", "root-account-usage"}
    assert {r.state for r in expected if r.id not in reads} == {"ENABLED"}
    assert d.event_rules_for(eu) == ()
    assert "aws_cloudwatch_event_rule" not in default_synth.stack(EU)["resource"]


def test_each_rule_sends_its_message_to_each_routed_channels_topic(default_synth: Synth) -> None:
    d = deployment_of(default_synth)
    targets = default_synth.resources(PRIMARY, "aws_cloudwatch_event_target")
    expected = {
        f"event_target_{r.id.replace('-', '_')}__{c}": (r, c)
        for r in d.event_rules_for(d.targets[0])
        for c in r.channels
    }
    assert sorted(targets) == sorted(expected)
    for name, (rule, channel) in expected.items():
        assert targets[name] == {
            "rule": f"${{aws_cloudwatch_event_rule.event_rule_{rule.id.replace('-', '_')}.name}}",
            "target_id": channel,
            "arn": topic(channel),
            "input_transformer": {
                "input_paths": INPUT_PATHS,
                "input_template": input_template(rule.title, rule.severity, rule.id),
            },
        }
    # The default config's route: critical and high events page on-call too.
    assert "event_target_iam_policy_changes__oncall" in targets
    assert "event_target_authorization_failures__oncall" not in targets


def test_topic_policies_let_exactly_the_rules_that_send_there_publish(
    default_synth: Synth,
) -> None:
    d = deployment_of(default_synth)
    rules = d.event_rules_for(d.targets[0])
    policies = default_synth.resources(PRIMARY, "aws_sns_topic_policy")
    for channel, policy_id in (
        ("default", "alarm_topic_policy"),
        ("oncall", "alarm_topic_policy_oncall"),
    ):
        statement = statements(policies[policy_id]["policy"])["EventRulesPublish"]
        assert statement == {
            "Sid": "EventRulesPublish",
            "Effect": "Allow",
            "Principal": {"Service": "events.amazonaws.com"},
            "Action": "sns:Publish",
            "Resource": topic(channel),
            "Condition": {
                "ArnEquals": {
                    "aws:SourceArn": [
                        RULE_ARN + r.rule_name for r in rules if channel in r.channels
                    ]
                }
            },
        }
    # The eu stack has no rule: its topic policies are the alarms' alone.
    for body in default_synth.resources(EU, "aws_sns_topic_policy").values():
        assert list(statements(body["policy"])) == ["AccountAlarmsPublish"]


def test_the_topic_key_lets_eventbridge_encrypt_for_the_rules(default_synth: Synth) -> None:
    (key,) = default_synth.resources(PRIMARY, "aws_kms_key").values()
    statement = statements(key["policy"])["EventRulesPublishToEncryptedTopic"]
    assert statement["Principal"] == {"Service": "events.amazonaws.com"}
    assert statement["Action"] == ["kms:Decrypt", "kms:GenerateDataKey*"]
    assert statement["Condition"] == {
        "StringEquals": {"aws:SourceAccount": "${data.aws_caller_identity.current.account_id}"}
    }
    (eu_key,) = default_synth.resources(EU, "aws_kms_key").values()
    assert "EventRulesPublishToEncryptedTopic" not in statements(eu_key["policy"])


def test_events_alone_makes_rules_and_no_filter_alarm_or_dashboard(events_only: Synth) -> None:
    resources = events_only.stack(PRIMARY)["resource"]
    for kind in (
        "aws_cloudwatch_log_metric_filter",
        "aws_cloudwatch_metric_alarm",
        "aws_cloudwatch_dashboard",
    ):
        assert kind not in resources
    assert len(resources["aws_cloudwatch_event_rule"]) == len(
        deployment_of(events_only).event_rules_for(deployment_of(events_only).targets[0])
    )
    assert len(events_only.resources(EU, "aws_cloudwatch_metric_alarm")) == 17


def test_coverage_says_an_events_only_target_delivers_no_alarm(
    events_only: Synth, capsys: pytest.CaptureFixture[str]
) -> None:
    from trailwatch.cli import main

    config = events_only.workdir / "trailwatch.yaml"
    code = main(
        ["coverage", "--json", "--config", str(config), "--synth-dir", str(events_only.outdir)]
    )
    report = json.loads(capsys.readouterr().out)
    # eu (alarms only, regional trail) does not meet the controls primary's trail would.
    assert code == 1
    (hub,) = [f for f in report["frameworks"] if f["id"] == "security-hub"]
    root = next(c for c in hub["controls"] if c["id"] == "CloudWatch.1")
    assert root["stacks"][PRIMARY]["reason"] == "alarms not delivered"
    assert root["stacks"][PRIMARY]["detail"] == (
        "target primary delivers events only: no metric filter or alarm, which the control asks for"
    )
    assert any(
        "target primary delivers events only" in w for w in deployment_of(events_only).warnings
    )
