"""Each construct on its own, synthesized in-process with cdktf's `Testing`, without main.py.

The stack tests (test_stacks.py) check what `python main.py` writes for whole configs; these pin
each construct's own contract: the resources it makes from typed parameters, and nothing else.
"""

from __future__ import annotations

import json
from typing import Any

import pytest

from tests.helpers import REPO

pytestmark = pytest.mark.synth

WHERE_ARGS = {"account_id": "111122223333", "partition": "aws", "region": "eu-west-1"}


def synth_in_process(build: Any) -> dict[str, Any]:
    """Build the construct under test on a stack of a test app and synthesize that stack.

    `Testing.synth_scope` would be the natural call, but jsii cannot hand it a Python callback;
    `Testing.app()` + `Testing.synth(stack)` is the same synthesis, in this process.
    """
    # Through the seam, like every stack module; renamed: pytest collects classes named Test*.
    from stacks.aws import AwsProvider, TerraformStack
    from stacks.aws import Testing as CdkTesting

    stack = TerraformStack(CdkTesting.app(), "construct-under-test")
    AwsProvider(stack, "aws", region=WHERE_ARGS["region"])
    build(stack)
    data: dict[str, Any] = json.loads(CdkTesting.synth(stack))
    return data


def resources(data: dict[str, Any], kind: str) -> dict[str, dict[str, Any]]:
    found: dict[str, dict[str, Any]] = data.get("resource", {}).get(kind, {})
    return {name: {k: v for k, v in body.items() if k != "//"} for name, body in found.items()}


def deployment() -> Any:
    """The default config's model (every event of the catalog)."""
    from trailwatch.spec.config import Environment
    from trailwatch.spec.model import load_deployment

    path = REPO / "trailwatch.yaml"
    return load_deployment(path, Environment(config_path=path, outdir=REPO / "cdktf.out"))


def test_alarm_set_makes_one_filter_and_one_alarm_per_event_on_its_topic() -> None:
    from stacks.alarm_set import AlarmSet
    from trailwatch.spec import naming

    model = deployment()
    data = synth_in_process(
        lambda scope: AlarmSet(
            scope,
            "alarms",
            alarms=model.alarms,
            log_group_name="/test/cloudtrail",
            namespace="TestMetrics",
            topic_arns={
                "default": "arn:aws:sns:eu-west-1:111122223333:default",
                "oncall": "arn:aws:sns:eu-west-1:111122223333:oncall",
            },
            ok_actions=False,
            insufficient_data_actions=False,
        )
    )
    filters = resources(data, "aws_cloudwatch_log_metric_filter")
    alarms = resources(data, "aws_cloudwatch_metric_alarm")
    assert set(filters) == {naming.filter_id(a.id) for a in model.alarms}
    assert set(alarms) == {naming.alarm_id(a.id) for a in model.alarms}
    for alarm in model.alarms:
        made = filters[naming.filter_id(alarm.id)]
        assert made["pattern"] == alarm.pattern
        assert made["log_group_name"] == "/test/cloudtrail"
        assert made["metric_transformation"] == {
            "name": alarm.metric_name,
            "namespace": "TestMetrics",
            "value": "1",
        }
        watching = alarms[naming.alarm_id(alarm.id)]
        assert (watching["metric_name"], watching["namespace"]) == (
            alarm.metric_name,
            "TestMetrics",
        )
        assert watching["alarm_actions"] == [
            f"arn:aws:sns:eu-west-1:111122223333:{channel}" for channel in alarm.channels
        ]
        assert watching["alarm_description"] == alarm.description
        assert "ok_actions" not in watching
        assert watching["threshold"] == alarm.settings.threshold
    # Nothing but filters and alarms (and the test's provider).
    assert set(data["resource"]) == {
        "aws_cloudwatch_log_metric_filter",
        "aws_cloudwatch_metric_alarm",
    }


def test_notifications_with_an_existing_topic_create_nothing() -> None:
    from stacks.notifications import Notifications
    from stacks.policies import Where
    from trailwatch.spec.notifications import Channel

    made: list[Any] = []
    existing = "arn:aws:sns:eu-west-1:111122223333:existing"
    data = synth_in_process(
        lambda scope: made.append(
            Notifications(
                scope,
                "notifications",
                where=Where(**WHERE_ARGS),
                channels={"legacy": Channel(topic_arn=existing)},
                topic_names={"legacy": "t-alarms-legacy"},
                key_arn=None,
            )
        )
    )
    assert made[0].topic_arns == {"legacy": existing}
    assert "resource" not in data


def test_notifications_create_an_encrypted_topic_its_policy_and_each_subscriber() -> None:
    from stacks.notifications import Notifications
    from stacks.policies import Where
    from trailwatch.spec import naming
    from trailwatch.spec.notifications import Channel

    default = Channel(
        emails=("a@example.com", "b@example.com"),
        subscriptions=({"protocol": "https", "endpoint": "https://hooks.example.com/x"},),
    )
    oncall = Channel(emails=("oncall@example.com",))
    data = synth_in_process(
        lambda scope: Notifications(
            scope,
            "notifications",
            where=Where(**WHERE_ARGS),
            channels={"default": default, "on-call": oncall},
            topic_names={"default": "t-alarms", "on-call": "t-alarms-on-call"},
            key_arn="arn:aws:kms:eu-west-1:111122223333:key/k",
        )
    )
    topics = resources(data, "aws_sns_topic")
    # The channel default keeps the single topic's logical ids.
    assert topics == {
        naming.TOPIC_ID: {
            "name": "t-alarms",
            "kms_master_key_id": "arn:aws:kms:eu-west-1:111122223333:key/k",
        },
        "alarm_topic_on_call": {
            "name": "t-alarms-on-call",
            "kms_master_key_id": "arn:aws:kms:eu-west-1:111122223333:key/k",
        },
    }
    assert set(resources(data, "aws_sns_topic_policy")) == {
        naming.TOPIC_POLICY_ID,
        "alarm_topic_policy_on_call",
    }
    subscriptions = resources(data, "aws_sns_topic_subscription")
    assert [
        (
            subscriptions[naming.subscription_id(i)]["protocol"],
            subscriptions[naming.subscription_id(i)]["endpoint"],
        )
        for i in range(3)
    ] == [
        ("email", "a@example.com"),
        ("email", "b@example.com"),
        ("https", "https://hooks.example.com/x"),
    ]
    assert subscriptions["alarm_topic_on_call_subscription_0"] == {
        "protocol": "email",
        "endpoint": "oncall@example.com",
        "topic_arn": "${aws_sns_topic.alarm_topic_on_call.arn}",
    }


def test_chat_channels_get_a_configuration_a_role_and_a_read_only_guardrail() -> None:
    from stacks.chat import ChatChannels
    from stacks.policies import Where
    from trailwatch.spec.notifications import Channel

    slack = Channel(slack={"workspace_id": "T0123ABCD", "channel_id": "C0123ABCD"})
    teams = Channel(
        teams={
            "team_id": "5ad4b2cd-1b25-4a70-a0ad-0bbd9ac9d1a2",
            "tenant_id": "2b1a7c3e-4d5f-4a6b-8c7d-9e0f1a2b3c4d",
            "channel_id": "19%3ab6ef35dc%40thread.tacv2",
        }
    )
    mail = Channel(emails=("a@example.com",))
    topic = "arn:aws:sns:eu-west-1:111122223333:"
    data = synth_in_process(
        lambda scope: ChatChannels(
            scope,
            "chat",
            where=Where(**WHERE_ARGS),
            channels={"chat": slack, "ms": teams, "mail": mail},
            topic_arns={"chat": topic + "chat", "ms": topic + "ms", "mail": topic + "mail"},
            names={"chat": "t-chat", "ms": "t-ms", "mail": "t-mail"},
            provider=None,
        )
    )
    configured = resources(data, "aws_chatbot_slack_channel_configuration")["chat_slack_chat"]
    assert configured == {
        "configuration_name": "t-chat-slack",
        "slack_team_id": "T0123ABCD",
        "slack_channel_id": "C0123ABCD",
        "iam_role_arn": "${aws_iam_role.chat_role_chat.arn}",
        "sns_topic_arns": [topic + "chat"],
        "guardrail_policy_arns": ["arn:aws:iam::aws:policy/CloudWatchReadOnlyAccess"],
        "logging_level": "ERROR",
    }
    teams_made = resources(data, "aws_chatbot_teams_channel_configuration")["chat_teams_ms"]
    assert teams_made["sns_topic_arns"] == [topic + "ms"]
    assert teams_made["tenant_id"] == "2b1a7c3e-4d5f-4a6b-8c7d-9e0f1a2b3c4d"
    roles = resources(data, "aws_iam_role")
    # The e-mail channel needs no Chatbot.
    assert set(roles) == {"chat_role_chat", "chat_role_ms"}
    trust = json.loads(roles["chat_role_chat"]["assume_role_policy"])["Statement"]
    assert [s["Principal"] for s in trust] == [{"Service": "chatbot.amazonaws.com"}]
    (allowed,) = json.loads(
        resources(data, "aws_iam_role_policy")["chat_role_policy_chat"]["policy"]
    )["Statement"]
    assert all(a.startswith("cloudwatch:") for a in allowed["Action"])


def test_dashboard_has_a_widget_per_alarm_grouped_by_severity() -> None:
    from stacks.dashboard import AlarmDashboard

    model = deployment()
    arns = {a.id: f"arn:aws:cloudwatch:eu-west-1:111122223333:alarm:{a.id}" for a in model.alarms}
    data = synth_in_process(
        lambda scope: AlarmDashboard(
            scope, "dashboard", name="t", region="eu-west-1", alarms=model.alarms, alarm_arns=arns
        )
    )
    dashboard = resources(data, "aws_cloudwatch_dashboard")["dashboard"]
    assert dashboard["dashboard_name"] == "t"
    widgets = json.loads(dashboard["dashboard_body"])["widgets"]
    headings = [w["properties"]["markdown"] for w in widgets if w["type"] == "text"]
    assert headings == [
        "## Critical: 2 alarms",
        "## High: 5 alarms",
        "## Medium: 8 alarms",
        "## Low: 2 alarms",
    ]
    graphs = [w for w in widgets if w["type"] == "metric"]
    assert [g["properties"]["annotations"]["alarms"] for g in graphs][:2] == [
        [arns["cloudtrail-changes"]],
        [arns["root-account-usage"]],
    ]
    assert len(graphs) == len(model.alarms)
    # No two widgets overlap on the 24-wide grid.
    cells = [
        (x, y)
        for w in widgets
        for x in range(w["x"], w["x"] + w["width"])
        for y in range(w["y"], w["y"] + w["height"])
    ]
    assert len(cells) == len(set(cells)) and max(x for x, _ in cells) < 24


def test_encryption_key_rotates_and_grants_only_the_services_asked_for() -> None:
    from stacks.encryption import EncryptionKey
    from stacks.policies import Where

    data = synth_in_process(
        lambda scope: EncryptionKey(
            scope,
            "encryption",
            where=Where(**WHERE_ARGS),
            alias="t",
            trail_arn=None,
            log_group_name=None,
            alarms=True,
        )
    )
    key = resources(data, "aws_kms_key")["key"]
    assert key["enable_key_rotation"] is True
    assert key["deletion_window_in_days"] == 30
    sids = {s["Sid"] for s in json.loads(key["policy"])["Statement"]}
    # No trail and no log group here: CloudTrail and CloudWatch Logs get nothing.
    assert sids == {"AccountAdministers", "CloudWatchAlarmsPublishToEncryptedTopic"}
    assert resources(data, "aws_kms_alias")["key_alias"]["name"] == "alias/t"
