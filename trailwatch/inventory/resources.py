"""Raw resources (type, logical id, attribute values) into the inventory's dataclasses.

Synthesized JSON and Terraform state spell attributes the same way, with two differences the
readers here absorb: cdktf writes a single nested block as an object where state has a list, and
synth leaves out arguments whose provider default applies.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any

from trailwatch.inventory.model import (
    ChatChannel,
    EventRule,
    EventTarget,
    Inventory,
    LogGroup,
    MetricAlarm,
    MetricFilter,
    Subscription,
    Topic,
    Trail,
)

# AWS Chatbot configuration resource types, by kind of chat.
CHAT_TYPES = {
    "slack": "aws_chatbot_slack_channel_configuration",
    "teams": "aws_chatbot_teams_channel_configuration",
}
EVENT_RULE_TYPE = "aws_cloudwatch_event_rule"
EVENT_TARGET_TYPE = "aws_cloudwatch_event_target"
# A target's `rule` in synth, when it refers to the rule by a value computed at apply (its id).
_RULE_REFERENCE = re.compile(r"^\$\{aws_cloudwatch_event_rule\.([A-Za-z0-9_-]+)\.[a-z_]+\}$")


@dataclass(frozen=True)
class Resource:
    """One managed resource: type, Terraform logical id and attribute values."""

    type: str
    name: str
    values: Mapping[str, Any]


def build_inventory(
    stack: str,
    source: str,
    resources: Iterable[Resource],
    *,
    account: str = "",
    log_group_of_arn: Any = None,
) -> Inventory:
    """The inventory of one stack from its raw resources."""
    resources = tuple(resources)
    of_type: dict[str, list[Resource]] = {}
    for resource in resources:
        of_type.setdefault(resource.type, []).append(resource)
    group_name = log_group_of_arn or log_group_name_of_arn
    return Inventory(
        stack=stack,
        source=source,
        trails=tuple(_trail(r, group_name) for r in of_type.get("aws_cloudtrail", [])),
        log_groups=tuple(_log_group(r) for r in of_type.get("aws_cloudwatch_log_group", [])),
        filters=tuple(_filter(r) for r in of_type.get("aws_cloudwatch_log_metric_filter", [])),
        alarms=tuple(_alarm(r) for r in of_type.get("aws_cloudwatch_metric_alarm", [])),
        topics=tuple(_topic(r) for r in of_type.get("aws_sns_topic", [])),
        subscriptions=tuple(
            _subscription(r) for r in of_type.get("aws_sns_topic_subscription", [])
        ),
        chat_channels=tuple(
            _chat_channel(kind, r)
            for kind, type_ in CHAT_TYPES.items()
            for r in of_type.get(type_, [])
        ),
        event_rules=tuple(event_rule(r) for r in of_type.get(EVENT_RULE_TYPE, [])),
        event_targets=_event_targets(of_type),
        account=account,
        resource_count=len(resources),
    )


def event_rule(resource: Resource) -> EventRule:
    """One `aws_cloudwatch_event_rule` (plan review reads a change's before and after)."""
    values = resource.values
    return EventRule(
        name=str(values.get("name") or resource.name),
        event_pattern=str(values.get("event_pattern") or ""),
        state=_rule_state(values),
        description=str(values.get("description") or ""),
        arn=str(values.get("arn") or f"${{{EVENT_RULE_TYPE}.{resource.name}.arn}}"),
        logical_id=resource.name,
    )


def _rule_state(values: Mapping[str, Any]) -> str:
    # Provider 5.x writes `state` (and the deprecated `is_enabled` beside it); older ones only
    # `is_enabled`; synth leaves both out when the rule is enabled, the provider's default.
    state = values.get("state")
    if isinstance(state, str) and state:
        return state
    return "DISABLED" if values.get("is_enabled") is False else "ENABLED"


def event_target(resource: Resource, rule_names: Mapping[str, str] | None = None) -> EventTarget:
    """One `aws_cloudwatch_event_target`; `rule_names` resolves a rule referred to by id."""
    values = resource.values
    rule = str(values.get("rule") or "")
    found = _RULE_REFERENCE.match(rule)
    if found and rule_names and found.group(1) in rule_names:
        rule = rule_names[found.group(1)]
    transformer = first(values.get("input_transformer"))
    paths = transformer.get("input_paths") or {}
    return EventTarget(
        rule=rule,
        arn=str(values.get("arn") or ""),
        target_id=str(values.get("target_id") or ""),
        input_paths=tuple(sorted((str(k), str(v)) for k, v in dict(paths).items())),
        input_template=str(transformer.get("input_template") or ""),
        logical_id=resource.name,
    )


def _event_targets(of_type: Mapping[str, list[Resource]]) -> tuple[EventTarget, ...]:
    rule_names = {r.name: event_rule(r).name for r in of_type.get(EVENT_RULE_TYPE, [])}
    return tuple(event_target(r, rule_names) for r in of_type.get(EVENT_TARGET_TYPE, []))


def metric_filter(resource: Resource) -> MetricFilter:
    """One `aws_cloudwatch_log_metric_filter` (plan review reads a change's before and after)."""
    return _filter(resource)


def metric_alarm(resource: Resource) -> MetricAlarm:
    """One `aws_cloudwatch_metric_alarm` (plan review reads a change's before and after)."""
    return _alarm(resource)


def log_group_name_of_arn(arn: str) -> str | None:
    """`arn:aws:logs:REGION:ACCOUNT:log-group:NAME:*` -> NAME."""
    parts = arn.split(":")
    return parts[6] if len(parts) > 6 and parts[5] == "log-group" else None


def first(value: Any) -> Mapping[str, Any]:
    """A nested block: state writes a list of one, cdktf an object."""
    if isinstance(value, list):
        return value[0] if value and isinstance(value[0], Mapping) else {}
    return value if isinstance(value, Mapping) else {}


def strings(value: Any) -> tuple[str, ...]:
    return tuple(str(v) for v in value or ())


def _int_or_none(value: Any) -> int | None:
    return None if value is None else int(value)


def _float_or_none(value: Any) -> float | None:
    # State and plans write an unset default_value as "" (or null).
    return None if value in (None, "") else float(value)


def _trail(resource: Resource, group_name: Any) -> Trail:
    values = resource.values
    arn = values.get("cloud_watch_logs_group_arn") or None
    return Trail(
        name=str(values.get("name", resource.name)),
        multi_region=values.get("is_multi_region_trail") is True,
        # Synth leaves out enable_logging when it is the provider's default, true.
        logging=values.get("enable_logging", True) is not False,
        log_group_arn=str(arn) if arn else None,
        role_arn=values.get("cloud_watch_logs_role_arn") or None,
        kms_key_id=values.get("kms_key_id") or None,
        log_group_name=group_name(str(arn)) if arn else None,
    )


def _log_group(resource: Resource) -> LogGroup:
    values = resource.values
    return LogGroup(
        name=str(values.get("name", resource.name)),
        retention_days=_int_or_none(values.get("retention_in_days")),
        kms_key_id=values.get("kms_key_id") or None,
    )


def _filter(resource: Resource) -> MetricFilter:
    values = resource.values
    transformation = first(values.get("metric_transformation"))
    return MetricFilter(
        name=str(values.get("name", resource.name)),
        log_group_name=str(values.get("log_group_name", "")),
        pattern=str(values.get("pattern", "")),
        metric_name=str(transformation.get("name", "")),
        namespace=str(transformation.get("namespace", "")),
        logical_id=resource.name,
        default_value=_float_or_none(transformation.get("default_value")),
    )


def _alarm(resource: Resource) -> MetricAlarm:
    values = resource.values
    return MetricAlarm(
        name=str(values.get("alarm_name", resource.name)),
        metric_name=str(values.get("metric_name") or ""),
        namespace=str(values.get("namespace") or ""),
        threshold=float(values.get("threshold") or 0),
        comparison=str(values.get("comparison_operator", "")),
        period=int(values.get("period") or 0),
        evaluation_periods=int(values.get("evaluation_periods") or 0),
        datapoints_to_alarm=_int_or_none(values.get("datapoints_to_alarm")),
        statistic=str(values.get("statistic") or ""),
        treat_missing_data=str(values.get("treat_missing_data") or "missing"),
        # The provider's default when the argument is left out.
        actions_enabled=values.get("actions_enabled", True) is not False,
        alarm_actions=strings(values.get("alarm_actions")),
        ok_actions=strings(values.get("ok_actions")),
        insufficient_data_actions=strings(values.get("insufficient_data_actions")),
        logical_id=resource.name,
    )


def _topic(resource: Resource) -> Topic:
    values = resource.values
    return Topic(
        arn=str(values.get("arn") or f"${{aws_sns_topic.{resource.name}.arn}}"),
        name=str(values.get("name", resource.name)),
        kms_key_id=values.get("kms_master_key_id") or None,
        logical_id=resource.name,
    )


def _subscription(resource: Resource) -> Subscription:
    values = resource.values
    return Subscription(
        topic_arn=str(values.get("topic_arn", "")),
        protocol=str(values.get("protocol", "")),
        endpoint=str(values.get("endpoint", "")),
    )


def chat_channel(kind: str, resource: Resource) -> ChatChannel:
    """One AWS Chatbot configuration (plan review reads a change's before and after)."""
    return _chat_channel(kind, resource)


def _chat_channel(kind: str, resource: Resource) -> ChatChannel:
    values = resource.values
    channel = values.get("slack_channel_id") if kind == "slack" else values.get("channel_id")
    return ChatChannel(
        kind=kind,
        name=str(values.get("configuration_name", resource.name)),
        channel_id=str(channel or ""),
        topic_arns=strings(values.get("sns_topic_arns")),
        guardrail_policy_arns=strings(values.get("guardrail_policy_arns")),
        logical_id=resource.name,
    )
