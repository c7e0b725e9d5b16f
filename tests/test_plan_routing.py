"""Plan review of routing: a route removed, a channel's subscriber removed, a Chatbot channel
destroyed or unsubscribed, and alarm settings that can never fire. Hand-made minimal plans, as
`terraform show -json` writes them; the real plans of a routed deployment are in
tests/test_plan_report.py."""

from __future__ import annotations

from typing import Any

from tests.test_plan_report import change, findings_of

TOPIC = "arn:aws:sns:us-east-1:123456789012:trailwatch-primary-alarms"
ONCALL = TOPIC + "-oncall"
CHAT = TOPIC + "-chat"
ALARM = {
    "alarm_name": "CloudTrailRootAccountUsage",
    "metric_name": "RootAccountUsageCount",
    "namespace": "CloudTrailMetrics",
    "actions_enabled": True,
    "alarm_actions": [TOPIC, ONCALL],
    "statistic": "Sum",
    "comparison_operator": "GreaterThanOrEqualToThreshold",
    "threshold": 1,
    "evaluation_periods": 1,
    "datapoints_to_alarm": 1,
    "period": 300,
}
SLACK = {
    "configuration_name": "trailwatch-primary-chat-slack",
    "slack_team_id": "T0123ABCD",
    "slack_channel_id": "C0123ABCD",
    "sns_topic_arns": [CHAT],
    "guardrail_policy_arns": ["arn:aws:iam::aws:policy/CloudWatchReadOnlyAccess"],
    "iam_role_arn": "arn:aws:iam::123456789012:role/trailwatch-primary-chat-chatbot",
}


def alarm(**changes: Any) -> dict[str, Any]:
    return {**ALARM, **changes}


def test_a_removed_route_is_a_weakening_naming_the_topic() -> None:
    assert findings_of(
        change(
            "aws_cloudwatch_metric_alarm",
            "alarm_root_account_usage",
            ["update"],
            alarm(),
            alarm(alarm_actions=[TOPIC]),
        )
    ) == {f"alarm actions removed: {ONCALL} (now {TOPIC})": "weakening"}


def test_a_channel_topic_destroyed_names_the_channel() -> None:
    found = findings_of(
        change("aws_sns_topic", "alarm_topic_oncall", ["delete"], {"arn": ONCALL}, None),
        change(
            "aws_sns_topic_policy", "alarm_topic_policy_oncall", ["delete"], {"arn": ONCALL}, None
        ),
    )
    # The policy goes with its topic: reported once, as the topic.
    assert found == {
        "alarm topic of channel oncall destroyed: alarms have nowhere to notify": "weakening"
    }


def test_a_subscriber_removed_from_one_channel_is_a_weakening_even_if_another_has_it() -> None:
    address = {"protocol": "email", "endpoint": "oncall@example.com"}
    found = findings_of(
        change(
            "aws_sns_topic_subscription",
            "alarm_topic_oncall_subscription_0",
            ["delete"],
            {**address, "topic_arn": ONCALL},
            None,
        ),
        change(
            "aws_sns_topic_subscription",
            "alarm_topic_subscription_1",
            ["create"],
            None,
            {**address, "topic_arn": TOPIC},
        ),
    )
    assert found == {
        "topic subscription removed (channel oncall): email oncall@example.com": "weakening"
    }


def test_a_chatbot_configuration_destroyed_is_a_weakening() -> None:
    assert findings_of(
        change(
            "aws_chatbot_slack_channel_configuration", "chat_slack_chat", ["delete"], SLACK, None
        )
    ) == {
        "AWS Chatbot Slack configuration destroyed: channel C0123ABCD no longer receives alarms": (
            "weakening"
        )
    }


def test_a_chatbot_channel_losing_its_topic_or_guardrail_is_a_weakening() -> None:
    found = findings_of(
        change(
            "aws_chatbot_slack_channel_configuration",
            "chat_slack_chat",
            ["update"],
            SLACK,
            {**SLACK, "sns_topic_arns": [], "guardrail_policy_arns": []},
        )
    )
    assert found == {
        f"AWS Chatbot Slack channel C0123ABCD no longer receives topic {CHAT}": "weakening",
        "AWS Chatbot Slack channel C0123ABCD guardrail removed: channel members may do what "
        "AdministratorAccess allows": "weakening",
    }


def test_a_teams_configuration_recreated_is_for_review() -> None:
    teams = {
        "team_id": "t",
        "tenant_id": "u",
        "channel_id": "19%3ax%40thread.tacv2",
        "sns_topic_arns": [CHAT],
        "guardrail_policy_arns": [],
    }
    assert findings_of(
        change(
            "aws_chatbot_teams_channel_configuration",
            "chat_teams_ms",
            ["delete", "create"],
            teams,
            {**teams, "tenant_id": "v"},
        )
    ) == {"AWS Chatbot Teams configuration for channel 19%3ax%40thread.tacv2 recreated": "review"}


def test_settings_that_can_never_fire_are_flagged_when_a_change_brings_them() -> None:
    found = findings_of(
        change(
            "aws_cloudwatch_metric_alarm",
            "alarm_root_account_usage",
            ["update"],
            alarm(),
            alarm(statistic="Maximum", threshold=2, datapoints_to_alarm=3),
        )
    )
    assert found["alarm threshold raised: 1 → 2"] == "weakening"
    assert (
        found[
            "alarm can never fire: statistic Maximum of a metric whose every datapoint is 1 "
            "per matching record never exceeds 1, so >= 2 can never be reached: use Sum to "
            "count records"
        ]
        == "weakening"
    )
    assert (
        found[
            "alarm can never fire: datapoints_to_alarm (3) cannot exceed evaluation_periods "
            "(1): the alarm would need more breaching periods than it looks at"
        ]
        == "weakening"
    )


def test_a_new_alarm_that_can_never_fire_is_flagged() -> None:
    assert findings_of(
        change(
            "aws_cloudwatch_metric_alarm",
            "alarm_x",
            ["create"],
            None,
            alarm(comparison_operator="LessThanThreshold"),
        )
    ) == {
        "alarm can never fire: comparison LessThanThreshold fires when matching records are few, "
        "not when they occur: a security alarm must use GreaterThanOrEqualToThreshold or "
        "GreaterThanThreshold": "weakening"
    }


def test_sample_count_on_a_filter_given_default_value_is_flagged() -> None:
    def metric_filter(default_value: str | None) -> dict[str, Any]:
        transformation = {
            "name": "RootAccountUsageCount",
            "namespace": "CloudTrailMetrics",
            "value": "1",
            "default_value": default_value,
        }
        return {
            "name": "RootAccountUsageCount",
            "pattern": "{}",
            "log_group_name": "g",
            "metric_transformation": [transformation],
        }

    found = findings_of(
        change(
            "aws_cloudwatch_log_metric_filter",
            "filter_root_account_usage",
            ["update"],
            metric_filter(""),
            metric_filter("0"),
        ),
        change(
            "aws_cloudwatch_metric_alarm",
            "alarm_root_account_usage",
            ["update"],
            alarm(),
            alarm(statistic="SampleCount"),
        ),
    )
    assert (
        found[
            "alarm can never fire: statistic SampleCount with default_value counts every record "
            "the log group receives (the zeros of non-matching records too), so it fires "
            "whatever matched: use Sum"
        ]
        == "weakening"
    )
    # SampleCount alone is Sum on a metric of ones: not flagged.
    assert (
        "weakening"
        not in findings_of(
            change(
                "aws_cloudwatch_metric_alarm",
                "alarm_root_account_usage",
                ["update"],
                alarm(),
                alarm(statistic="SampleCount"),
            )
        ).values()
    )


def test_a_dashboard_destroyed_is_for_review_only() -> None:
    assert findings_of(
        change("aws_cloudwatch_dashboard", "dashboard", ["delete"], {"dashboard_name": "d"}, None)
    ) == {"alarm dashboard destroyed": "review"}
