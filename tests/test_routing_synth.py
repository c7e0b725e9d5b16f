"""What `main.py` synthesizes for a routed config (examples/routed.yaml): every channel kind and
route kind, per-target layering, a pattern override, default_value and a dashboard; and what
coverage and drift make of it."""

from __future__ import annotations

import dataclasses
import json
from pathlib import Path
from typing import Any

import pytest
import yaml

from tests.helpers import REPO, Synth, SynthFactory, run_synth
from trailwatch.audit.coverage import assess
from trailwatch.audit.drift import compare
from trailwatch.audit.drift_report import ROUTE_DIFFERS, TRAIL
from trailwatch.inventory.synth import read_synth_stacks
from trailwatch.spec.config import Environment
from trailwatch.spec.frameworks import load_frameworks
from trailwatch.spec.model import Deployment, load_deployment

pytestmark = pytest.mark.synth

EXAMPLE = REPO / "examples" / "routed.yaml"
PROD, STAGING = "trailwatch-prod", "trailwatch-staging"
LEGACY = "arn:aws:sns:eu-west-1:444455556666:existing-security-alerts"
HIGH = (
    "aws-config-changes",
    "console-signin-without-mfa",
    "iam-policy-changes",
    "kms-key-disable-or-deletion",
    "organizations-changes",
)


def topic(channel: str) -> str:
    return f"${{aws_sns_topic.alarm_topic_{channel.replace('-', '_')}.arn}}"


def routed_example() -> dict[str, Any]:
    data: dict[str, Any] = yaml.safe_load(EXAMPLE.read_text())
    return data


@pytest.fixture(scope="module")
def routed(synth_config: SynthFactory) -> Synth:
    return synth_config("routed-example", routed_example())


def deployment_of(synth: Synth) -> Deployment:
    path = synth.workdir / "trailwatch.yaml"
    return load_deployment(path, Environment(config_path=path, outdir=synth.outdir))


def actions(synth: Synth, stack: str) -> dict[str, list[str]]:
    alarms = synth.resources(stack, "aws_cloudwatch_metric_alarm")
    return {name.removeprefix("alarm_"): a["alarm_actions"] for name, a in alarms.items()}


def test_every_alarm_notifies_exactly_the_topics_of_its_routes(routed: Synth) -> None:
    expected = {key: [topic("security-email")] for key in actions(routed, PROD)}
    for event in HIGH:
        expected[event.replace("-", "_")] = [topic("security-email"), topic("oncall")]
    expected["root_account_usage"] = [topic("security-email"), topic("oncall")]
    # Two routes match: critical, and critical and cloudtrail-changes.
    expected["cloudtrail_changes"] = [topic("security-email"), topic("oncall"), topic("teams")]
    expected["authorization_failures"] = [topic("chat")]
    assert actions(routed, PROD) == expected
    assert len(expected) == 17


def test_a_target_with_its_own_routes_disabled_events_and_overrides(routed: Synth) -> None:
    staging = actions(routed, STAGING)
    assert "ec2_instance_changes" not in staging and len(staging) == 16
    assert staging["root_account_usage"] == [topic("oncall"), LEGACY]
    assert staging["cloudtrail_changes"] == [topic("oncall"), LEGACY]
    assert staging["authorization_failures"] == [topic("teams")]
    for event in HIGH:
        assert staging[event.replace("-", "_")] == [topic("security-email")]
    signin = routed.resources(STAGING, "aws_cloudwatch_metric_alarm")[
        "alarm_console_signin_failures"
    ]
    # The target's threshold over the global override's period.
    assert (signin["threshold"], signin["period"]) == (10, 600)
    prod = routed.resources(PROD, "aws_cloudwatch_metric_alarm")["alarm_console_signin_failures"]
    assert (prod["threshold"], prod["period"]) == (5, 600)


def test_each_target_creates_the_topics_of_the_channels_it_uses(routed: Synth) -> None:
    assert sorted(routed.resources(PROD, "aws_sns_topic")) == [
        "alarm_topic_chat",
        "alarm_topic_oncall",
        "alarm_topic_security_email",
        "alarm_topic_teams",
    ]
    # staging does not use chat; legacy is an existing topic: nothing is made for it.
    assert sorted(routed.resources(STAGING, "aws_sns_topic")) == [
        "alarm_topic_oncall",
        "alarm_topic_security_email",
        "alarm_topic_teams",
    ]
    for stack in (PROD, STAGING):
        for made in routed.resources(stack, "aws_sns_topic").values():
            assert made["kms_master_key_id"] == "${aws_kms_key.key.arn}"
            assert made["name"].startswith(stack + "-alarms-")
        assert len(routed.resources(stack, "aws_sns_topic_policy")) == len(
            routed.resources(stack, "aws_sns_topic")
        )
    subscriptions = routed.resources(PROD, "aws_sns_topic_subscription")
    assert {n: (s["topic_arn"], s["protocol"]) for n, s in subscriptions.items()} == {
        "alarm_topic_security_email_subscription_0": (topic("security-email"), "email"),
        "alarm_topic_oncall_subscription_0": (topic("oncall"), "https"),
    }


def test_chat_channels_are_chatbot_configurations_on_their_topics(routed: Synth) -> None:
    slack = routed.resources(PROD, "aws_chatbot_slack_channel_configuration")
    teams = routed.resources(PROD, "aws_chatbot_teams_channel_configuration")
    assert slack["chat_slack_chat"]["sns_topic_arns"] == [topic("chat")]
    assert teams["chat_teams_teams"]["sns_topic_arns"] == [topic("teams")]
    for made in (slack["chat_slack_chat"], teams["chat_teams_teams"]):
        assert made["guardrail_policy_arns"] == [
            "arn:${data.aws_partition.current.partition}:iam::aws:policy/CloudWatchReadOnlyAccess"
        ]
        # us-east-1 serves no Chatbot API: the configurations go through a provider in us-east-2.
        assert made["provider"] == "aws.chatbot"
    providers = routed.stack(PROD)["provider"]["aws"]
    assert [(p.get("alias"), p["region"]) for p in providers] == [
        (None, "us-east-1"),
        ("chatbot", "us-east-2"),
    ]
    assert all(p["allowed_account_ids"] == ["111122223333"] for p in providers)
    roles = routed.resources(PROD, "aws_iam_role")
    assert sorted(n for n in roles if n.startswith("chat_")) == [
        "chat_role_chat",
        "chat_role_teams",
    ]
    # eu-west-1 serves the Chatbot API itself: no second provider.
    staging = routed.stack(STAGING)
    assert [p["region"] for p in staging["provider"]["aws"]] == ["eu-west-1"]
    assert "provider" not in only_one(
        routed.resources(STAGING, "aws_chatbot_teams_channel_configuration")
    )


def only_one(resources: dict[str, dict[str, Any]]) -> dict[str, Any]:
    assert len(resources) == 1, sorted(resources)
    return next(iter(resources.values()))


def test_pattern_override_and_default_value_reach_the_filter(routed: Synth) -> None:
    filters = routed.resources(PROD, "aws_cloudwatch_log_metric_filter")
    vpc = filters["filter_vpc_changes"]
    assert "CreateDefaultVpc" in vpc["pattern"]
    assert vpc["metric_transformation"]["default_value"] == "0"
    assert "default_value" not in filters["filter_nacl_changes"]["metric_transformation"]


def test_only_the_target_that_asks_gets_a_dashboard(routed: Synth) -> None:
    dashboard = only_one(routed.resources(PROD, "aws_cloudwatch_dashboard"))
    assert dashboard["dashboard_name"] == "trailwatch-prod"
    widgets = json.loads(dashboard["dashboard_body"])["widgets"]
    assert len([w for w in widgets if w["type"] == "metric"]) == 17
    assert "aws_cloudwatch_dashboard" not in routed.stack(STAGING)["resource"]


def test_coverage_meets_every_control_and_names_the_overridden_pattern(routed: Synth) -> None:
    deployment = deployment_of(routed)
    report = assess(
        deployment, read_synth_stacks(routed.outdir, [PROD, STAGING]), load_frameworks()
    )
    by_id = {c.control.id: c for f in report.frameworks for c in f.controls}
    # authorization-failures notifies only the Slack channel's topic: Chatbot is its receiver.
    assert by_id["CloudWatch.2"].status == "met"
    vpc = by_id["CloudWatch.14"].verdicts[PROD]
    assert (vpc.status, vpc.reason) == ("not met", "pattern overridden")
    assert "overrides.vpc-changes.pattern replaces the catalog pattern" in vpc.detail
    assert [c.control.id for c in report.failed_claims] == ["3.14", "4.14", "CloudWatch.14"]


def test_drift_of_a_faithful_deploy_is_none_and_a_rerouted_alarm_is_named(routed: Synth) -> None:
    deployment = deployment_of(routed)
    inventories = read_synth_stacks(routed.outdir, [PROD, STAGING])
    for target, inventory in zip(deployment.targets, inventories, strict=True):
        report = compare(deployment, target, inventory)
        # Synth knows the trail's log group ARN only as a reference: that one is not drift.
        assert [f for f in report.findings if f.kind != TRAIL] == [], report.findings
        assert [c.name for c in report.channels] == list(deployment.channels_for(target))
    prod = inventories[0]
    rerouted = tuple(
        dataclasses.replace(a, alarm_actions=(topic("security-email"),))
        if a.name == "CloudTrailRootAccountUsage"
        else a
        for a in prod.alarms
    )
    report = compare(deployment, deployment.targets[0], dataclasses.replace(prod, alarms=rerouted))
    (finding,) = [f for f in report.findings if f.kind != TRAIL]
    assert finding.kind == ROUTE_DIFFERS
    assert finding.message == (
        "event root-account-usage: alarm CloudTrailRootAccountUsage notifies security-email; "
        "its routes say security-email, oncall"
    )


def test_skipped_samples_are_synthesized_with_a_warning(tmp_path: Path) -> None:
    config = routed_example()
    config["overrides"]["vpc-changes"] = {
        "pattern": "{$.eventName=CreateVpc}",
        "samples": "skip",
        "reason": "only new VPCs matter here",
    }
    result = run_synth(config, tmp_path)
    assert result.returncode == 0, result.stderr
    assert (
        "trailwatch: warning: overrides.vpc-changes.pattern is deployed without passing the "
        "samples of vpc-changes (samples: skip: only new VPCs matter here)"
    ) in result.stderr
    stack = json.loads((tmp_path / "cdktf.out" / "stacks" / PROD / "cdk.tf.json").read_text())
    assert (
        stack["resource"]["aws_cloudwatch_log_metric_filter"]["filter_vpc_changes"]["pattern"]
        == "{$.eventName=CreateVpc}"
    )
