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
            topic_arn="arn:aws:sns:eu-west-1:111122223333:test",
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
        assert watching["alarm_actions"] == ["arn:aws:sns:eu-west-1:111122223333:test"]
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
    from trailwatch.spec.config import Notifications as Settings

    made: list[Any] = []
    existing = "arn:aws:sns:eu-west-1:111122223333:existing"
    data = synth_in_process(
        lambda scope: made.append(
            Notifications(
                scope,
                "notifications",
                where=Where(**WHERE_ARGS),
                name="t-alarms",
                settings=Settings(topic_arn=existing),
                key_arn=None,
            )
        )
    )
    assert made[0].topic_arn == existing
    assert "resource" not in data


def test_notifications_create_an_encrypted_topic_its_policy_and_each_subscriber() -> None:
    from stacks.notifications import Notifications
    from stacks.policies import Where
    from trailwatch.spec import naming
    from trailwatch.spec.config import Notifications as Settings

    settings = Settings(
        emails=("a@example.com", "b@example.com"),
        subscriptions=({"protocol": "https", "endpoint": "https://hooks.example.com/x"},),
    )
    data = synth_in_process(
        lambda scope: Notifications(
            scope,
            "notifications",
            where=Where(**WHERE_ARGS),
            name="t-alarms",
            settings=settings,
            key_arn="arn:aws:kms:eu-west-1:111122223333:key/k",
        )
    )
    topic = resources(data, "aws_sns_topic")[naming.TOPIC_ID]
    assert topic == {
        "name": "t-alarms",
        "kms_master_key_id": "arn:aws:kms:eu-west-1:111122223333:key/k",
    }
    assert set(resources(data, "aws_sns_topic_policy")) == {naming.TOPIC_POLICY_ID}
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
