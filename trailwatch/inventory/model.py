"""Deployed resources, as every audit sees them: one frozen dataclass per kind.

The loaders (`synth`, `state`, `aws`) fill these from synthesized JSON, Terraform state or the
AWS APIs; coverage, drift, drill and plan review read nothing else. Values a loader cannot know
(an ARN computed at apply time, in synthesized JSON) stay as the Terraform reference string.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any

from trailwatch.spec import naming


@dataclass(frozen=True)
class Trail:
    name: str
    multi_region: bool
    logging: bool
    log_group_arn: str | None
    role_arn: str | None
    kms_key_id: str | None
    # The log group name the trail delivers to, when the loader could resolve it.
    log_group_name: str | None = None
    # Known when read from AWS (the drill's UpdateTrail needs both); None from other loaders.
    arn: str | None = None
    include_global_service_events: bool | None = None

    def delivers_to(self, log_group: str) -> bool:
        if self.log_group_name is not None:
            return self.log_group_name == log_group
        return f":log-group:{log_group}:" in (self.log_group_arn or "")

    def to_json(self) -> dict[str, Any]:
        return {
            "name": self.name,
            "multi_region": self.multi_region,
            "logging": self.logging,
            "log_group_arn": self.log_group_arn,
            "role_arn": self.role_arn,
            "kms_key_id": self.kms_key_id,
        }


@dataclass(frozen=True)
class LogGroup:
    name: str
    # None or 0: CloudWatch Logs keeps events forever.
    retention_days: int | None
    kms_key_id: str | None

    @property
    def encrypted(self) -> bool:
        return bool(self.kms_key_id)

    def to_json(self) -> dict[str, Any]:
        return {
            "name": self.name,
            "retention_days": self.retention_days,
            "kms_key_id": self.kms_key_id,
        }


@dataclass(frozen=True)
class MetricFilter:
    name: str
    log_group_name: str
    pattern: str
    metric_name: str
    namespace: str
    # Terraform's logical id (synth, state); None when read from AWS.
    logical_id: str | None = None
    # The value reported for records that do not match (None: nothing is reported).
    default_value: float | None = None

    @property
    def metric(self) -> tuple[str, str]:
        return (self.namespace, self.metric_name)

    @property
    def event_id(self) -> str | None:
        """The event trailwatch made this filter for, from its logical id."""
        return naming.event_of_filter(self.logical_id) if self.logical_id else None

    def to_json(self) -> dict[str, Any]:
        return {
            "name": self.name,
            "log_group_name": self.log_group_name,
            "pattern": self.pattern,
            "metric_name": self.metric_name,
            "namespace": self.namespace,
            "default_value": self.default_value,
        }


_SYMBOLS = {
    "GreaterThanOrEqualToThreshold": ">=",
    "GreaterThanThreshold": ">",
    "LessThanThreshold": "<",
    "LessThanOrEqualToThreshold": "<=",
}


@dataclass(frozen=True)
class MetricAlarm:
    name: str
    metric_name: str
    namespace: str
    threshold: float
    comparison: str
    period: int
    evaluation_periods: int
    datapoints_to_alarm: int | None
    statistic: str
    treat_missing_data: str
    actions_enabled: bool
    alarm_actions: tuple[str, ...]
    ok_actions: tuple[str, ...] = ()
    insufficient_data_actions: tuple[str, ...] = ()
    logical_id: str | None = None

    @property
    def metric(self) -> tuple[str, str]:
        return (self.namespace, self.metric_name)

    @property
    def comparison_symbol(self) -> str:
        return _SYMBOLS.get(self.comparison, self.comparison)

    @property
    def event_id(self) -> str | None:
        return naming.event_of_alarm(self.logical_id) if self.logical_id else None

    def to_json(self) -> dict[str, Any]:
        return {
            "name": self.name,
            "metric_name": self.metric_name,
            "namespace": self.namespace,
            "threshold": self.threshold,
            "comparison": self.comparison,
            "period": self.period,
            "evaluation_periods": self.evaluation_periods,
            "datapoints_to_alarm": self.datapoints_to_alarm,
            "statistic": self.statistic,
            "treat_missing_data": self.treat_missing_data,
            "actions_enabled": self.actions_enabled,
            "alarm_actions": list(self.alarm_actions),
            "ok_actions": list(self.ok_actions),
            "insufficient_data_actions": list(self.insufficient_data_actions),
        }


@dataclass(frozen=True)
class Topic:
    # The ARN (state, AWS) or the reference to it (synth).
    arn: str
    name: str
    kms_key_id: str | None
    logical_id: str | None = None

    @property
    def channel(self) -> str | None:
        """The channel trailwatch made this topic for, from its logical id."""
        return naming.channel_of_topic(self.logical_id) if self.logical_id else None


@dataclass(frozen=True)
class Subscription:
    topic_arn: str
    protocol: str
    endpoint: str


@dataclass(frozen=True)
class ChatChannel:
    """An AWS Chatbot channel configuration (Slack or Teams) and the topics it receives."""

    kind: str
    name: str
    # The Slack or Teams channel id.
    channel_id: str
    topic_arns: tuple[str, ...]
    guardrail_policy_arns: tuple[str, ...]
    logical_id: str | None = None

    def to_json(self) -> dict[str, Any]:
        return {
            "kind": self.kind,
            "name": self.name,
            "channel_id": self.channel_id,
            "topic_arns": list(self.topic_arns),
        }


# The rule state that also matches read-only management calls (Describe*, Get*, List*).
ALL_MANAGEMENT_EVENTS = naming.RULE_STATE_ALL_MANAGEMENT_EVENTS


@dataclass(frozen=True)
class EventRule:
    """An EventBridge rule: the event pattern (JSON text, as Terraform and AWS hold it)."""

    name: str
    event_pattern: str
    # "ENABLED", "DISABLED" (or "ENABLED_WITH_ALL_CLOUDTRAIL_MANAGEMENT_EVENTS").
    state: str
    description: str = ""
    # The rule's ARN (state, AWS) or the reference to it (synth).
    arn: str = ""
    logical_id: str | None = None

    @property
    def enabled(self) -> bool:
        return self.state.startswith("ENABLED")

    @property
    def event_id(self) -> str | None:
        """The event trailwatch made this rule for: its logical id, else its name."""
        if self.logical_id:
            return naming.event_of_rule(self.logical_id)
        marker = "trailwatch-"
        return self.name.rsplit(marker, 1)[1] if marker in self.name else None

    def pattern(self) -> dict[str, Any] | None:
        """The event pattern as data; None when it is not a JSON object."""
        try:
            value = json.loads(self.event_pattern)
        except (TypeError, ValueError):
            return None
        return value if isinstance(value, dict) else None

    def to_json(self) -> dict[str, Any]:
        return {
            "name": self.name,
            "event_pattern": self.event_pattern,
            "state": self.state,
            "description": self.description,
        }


@dataclass(frozen=True)
class EventTarget:
    """An EventBridge target: where a rule sends its events (a channel's topic)."""

    # The rule's name (state, AWS; synth resolves the reference to it).
    rule: str
    arn: str
    target_id: str
    input_paths: tuple[tuple[str, str], ...] = ()
    input_template: str = ""
    logical_id: str | None = None

    @property
    def event_and_channel(self) -> tuple[str, str] | None:
        """(event id, channel) from the logical id; None when read from AWS."""
        return naming.event_and_channel_of_target(self.logical_id) if self.logical_id else None

    def to_json(self) -> dict[str, Any]:
        return {
            "rule": self.rule,
            "arn": self.arn,
            "target_id": self.target_id,
            "input_paths": dict(self.input_paths),
            "input_template": self.input_template,
        }


@dataclass(frozen=True)
class Inventory:
    """Everything one stack (or one account and region, read from AWS) holds."""

    stack: str
    source: str
    trails: tuple[Trail, ...] = ()
    log_groups: tuple[LogGroup, ...] = ()
    filters: tuple[MetricFilter, ...] = ()
    alarms: tuple[MetricAlarm, ...] = ()
    topics: tuple[Topic, ...] = ()
    subscriptions: tuple[Subscription, ...] = ()
    chat_channels: tuple[ChatChannel, ...] = ()
    event_rules: tuple[EventRule, ...] = ()
    event_targets: tuple[EventTarget, ...] = ()
    # Which account the stack deploys to, as far as its provider settings tell (synth only).
    account: str = ""
    # Managed resources of every type the loader saw (for "orphaned: N resources").
    resource_count: int = 0

    def alarms_on(self, metric_filter: MetricFilter) -> list[MetricAlarm]:
        """Alarms on exactly the filter's metric and namespace."""
        return [a for a in self.alarms if a.metric == metric_filter.metric]

    def log_group(self, name: str) -> LogGroup | None:
        return next((g for g in self.log_groups if g.name == name), None)

    def filters_by_metric(self) -> dict[tuple[str, str], MetricFilter]:
        return {f.metric: f for f in self.filters}

    def trail_to(self, log_group: str) -> Trail | None:
        return next((t for t in self.trails if t.delivers_to(log_group)), None)

    def topic_of_channel(self, channel: str) -> Topic | None:
        return next((t for t in self.topics if t.channel == channel), None)

    def receivers(self, topic_arn: str) -> list[str]:
        """Who a topic reaches: its subscriptions and the chat channels that take it."""
        found = [
            f"{s.protocol}:{s.endpoint}" for s in self.subscriptions if s.topic_arn == topic_arn
        ]
        found += [
            f"{c.kind}:{c.channel_id}" for c in self.chat_channels if topic_arn in c.topic_arns
        ]
        return found

    def rule_of_event(self, event_id: str) -> EventRule | None:
        """The EventBridge rule trailwatch made for an event, if any."""
        return next((r for r in self.event_rules if r.event_id == event_id), None)

    def targets_of(self, rule: EventRule) -> list[EventTarget]:
        """The targets of a rule (by its name; synth resolves the rule reference to it)."""
        return [t for t in self.event_targets if t.rule == rule.name]
