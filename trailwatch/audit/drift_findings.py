"""The findings of drift `compare` gathers, one part of a stack's state at a time.

`trail_findings` judges the trail and log group trailwatch creates; `channel_views` each
channel's topic and chat configurations; `event_view` an enabled event's metric filter and
alarm (pattern, settings, routes); `leftover_findings` the filters and alarms in state that no
enabled event accounts for. Each returns `Finding`s whose messages `trailwatch state` prints.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any, TypeVar

from trailwatch.audit.drift_report import (
    ACTIONS_DISABLED,
    ALARM_MISSING,
    CHANNEL_MISSING,
    EXTRA_ALARM,
    EXTRA_FILTER,
    FILTER_LOG_GROUP,
    LOG_GROUP,
    MISSING_EVENT,
    NO_ACTIONS,
    ORPHAN_ALARM,
    PATTERN_DIFFERS,
    ROUTE_DIFFERS,
    SETTING_DIFFERS,
    TRAIL,
    ChannelView,
    EventView,
    Finding,
)
from trailwatch.inventory.model import Inventory, LogGroup, MetricAlarm, MetricFilter, Trail
from trailwatch.spec.alarms import Alarm
from trailwatch.spec.model import Deployment
from trailwatch.spec.targets import CreateTrail, Target

T = TypeVar("T")


def channel_views(
    deployment: Deployment, target: Target, inventory: Inventory
) -> tuple[list[ChannelView], list[Finding]]:
    """Each channel of the target: its topic in state (or the existing one it names), and who
    receives it; a topic or chat configuration missing from state is drift."""
    views, findings = [], []
    for name, channel in deployment.channels_for(target).items():
        topic = inventory.topic_of_channel(name)
        arn = channel.topic_arn or (topic.arn if topic else None)
        receivers = tuple(inventory.receivers(arn)) if arn else ()
        views.append(ChannelView(name, arn, receivers))
        if arn is None:
            findings.append(
                Finding(CHANNEL_MISSING, name, f"channel {name}: its topic is not in state")
            )
            continue
        for kind, chat in (("slack", channel.slack), ("teams", channel.teams)):
            if chat is not None and f"{kind}:{chat.channel_id}" not in receivers:
                findings.append(
                    Finding(
                        CHANNEL_MISSING,
                        name,
                        f"channel {name}: no AWS Chatbot {kind} configuration for channel "
                        f"{chat.channel_id} receives its topic",
                    )
                )
    return views, findings


def leftover_findings(
    filters: list[MetricFilter],
    alarms: list[MetricAlarm],
    used_filters: set[str],
    used_alarms: set[str],
) -> list[Finding]:
    """Filters and alarms in state that no enabled event accounts for."""
    findings = []
    produced = {f.metric for f in filters}
    for extra in filters:
        if extra.name not in used_filters:
            findings.append(
                Finding(
                    EXTRA_FILTER,
                    extra.name,
                    f"filter {extra.name} (metric {extra.namespace}/{extra.metric_name}) "
                    "belongs to no enabled event",
                )
            )
    for other in alarms:
        if other.metric not in produced:
            findings.append(
                Finding(
                    ORPHAN_ALARM,
                    other.name,
                    f"alarm {other.name} watches {other.namespace}/{other.metric_name}, which no "
                    "filter produces: it can never fire",
                )
            )
        elif other.name not in used_alarms:
            findings.append(
                Finding(EXTRA_ALARM, other.name, f"alarm {other.name} belongs to no enabled event")
            )
    return findings


def event_view(
    deployment: Deployment,
    target: Target,
    alarm: Alarm,
    filters: list[MetricFilter],
    alarms: list[MetricAlarm],
    topics: dict[str, str | None],
) -> tuple[EventView, list[Finding]]:
    namespace = deployment.config.namespace
    metric = (namespace, alarm.metric_name)
    findings: list[Finding] = []
    found = _first(f for f in filters if (f.namespace, f.metric_name) == metric)
    if found is None:
        findings.append(
            Finding(
                MISSING_EVENT,
                alarm.id,
                f"event {alarm.id}: no metric filter produces {namespace}/{alarm.metric_name}",
            )
        )
    else:
        findings += _filter_findings(deployment, target, alarm, found)
    watching = [a for a in alarms if (a.namespace, a.metric_name) == metric]
    chosen = _first(a for a in watching if a.name == alarm.alarm_name) or _first(watching)
    if chosen is None:
        findings.append(
            Finding(
                ALARM_MISSING,
                alarm.id,
                f"event {alarm.id}: no alarm watches {namespace}/{alarm.metric_name}",
            )
        )
    else:
        findings += _alarm_findings(alarm, chosen, topics)
    exact = found is not None and found.pattern == alarm.pattern
    return EventView(alarm.id, found, chosen, exact, shadow=alarm.shadow), findings


def _filter_findings(
    deployment: Deployment, target: Target, alarm: Alarm, found: MetricFilter
) -> list[Finding]:
    findings = []
    if found.pattern != alarm.pattern:
        if " ".join(found.pattern.split()) == " ".join(alarm.pattern.split()):
            how = "differs from the catalog's in whitespace only (compared whitespace-exact)"
        else:
            how = "differs from the catalog's (compared whitespace-exact)"
        findings.append(
            Finding(
                PATTERN_DIFFERS,
                alarm.id,
                f"event {alarm.id}: filter {found.name} pattern {how}: deployed {found.pattern!r}, "
                f"catalog {alarm.pattern!r}",
            )
        )
    if (found.default_value is not None) != alarm.default_value:
        findings.append(
            Finding(
                SETTING_DIFFERS,
                alarm.id,
                f"event {alarm.id}: filter {found.name} default_value is "
                f"{_show(found.default_value is not None)}, the config says "
                f"{_show(alarm.default_value)}",
            )
        )
    expected_group = deployment.log_group_name(target)
    if found.log_group_name != expected_group:
        findings.append(
            Finding(
                FILTER_LOG_GROUP,
                alarm.id,
                f"event {alarm.id}: filter {found.name} reads log group {found.log_group_name}, "
                f"not {expected_group}",
            )
        )
    return findings


# Model setting -> the alarm view's attribute, compared one by one.
_SETTINGS = (
    ("threshold", "threshold"),
    ("period", "period"),
    ("evaluation_periods", "evaluation_periods"),
    ("datapoints_to_alarm", "datapoints_to_alarm"),
    ("statistic", "statistic"),
    ("comparison", "comparison"),
    ("treat_missing_data", "treat_missing_data"),
)


def _alarm_findings(
    alarm: Alarm, found: MetricAlarm, topics: dict[str, str | None]
) -> list[Finding]:
    findings = []
    # A shadow alarm's actions are off on purpose: only the other way round is drift.
    if not found.actions_enabled and not alarm.shadow:
        findings.append(
            Finding(
                ACTIONS_DISABLED,
                alarm.id,
                f"event {alarm.id}: alarm {found.name} has its actions disabled: "
                "it notifies nobody (the config does not make it a shadow alarm)",
            )
        )
    elif found.actions_enabled and alarm.shadow:
        findings.append(
            Finding(
                SETTING_DIFFERS,
                alarm.id,
                f"event {alarm.id}: alarm {found.name} has its actions enabled; the config "
                "makes it a shadow alarm (actions off)",
            )
        )
    if not found.alarm_actions:
        findings.append(
            Finding(
                NO_ACTIONS, alarm.id, f"event {alarm.id}: alarm {found.name} has no alarm actions"
            )
        )
    else:
        findings += _route_findings(alarm, found, topics)
    for setting, attribute in _SETTINGS:
        expected = getattr(alarm.settings, setting)
        actual = getattr(found, attribute)
        if actual is None or expected == actual:
            continue
        findings.append(
            Finding(
                SETTING_DIFFERS,
                alarm.id,
                f"event {alarm.id}: alarm {found.name} {setting} is {_show(actual)}, the config "
                f"says {_show(expected)}",
            )
        )
    return findings


def _route_findings(
    alarm: Alarm, found: MetricAlarm, topics: dict[str, str | None]
) -> list[Finding]:
    """The alarm notifies exactly the topics of its channels (unknown ones are not judged)."""
    expected = [topics.get(channel) for channel in alarm.channels]
    if any(arn is None for arn in expected):
        return []  # a channel's topic is missing: reported once, as channel-missing
    if set(found.alarm_actions) == set(expected):
        return []
    names = {arn: name for name, arn in topics.items() if arn}

    def described(actions: Iterable[str | None]) -> str:
        return ", ".join(names.get(a, a) if a else "-" for a in actions) or "nothing"

    return [
        Finding(
            ROUTE_DIFFERS,
            alarm.id,
            f"event {alarm.id}: alarm {found.name} notifies {described(found.alarm_actions)}; "
            f"its routes say {described(expected)}",
        )
    ]


def trail_findings(
    deployment: Deployment,
    target: Target,
    trail: Trail | None,
    log_group: LogGroup | None,
) -> list[Finding]:
    settings = target.trail
    if not isinstance(settings, CreateTrail):
        return []  # an existing trail is not trailwatch's to report on
    name = deployment.log_group_name(target)
    findings = []
    if trail is None:
        findings.append(Finding(TRAIL, target.name, "no trail in state"))
    else:
        if not trail.logging:
            findings.append(Finding(TRAIL, trail.name, f"trail {trail.name} is not logging"))
        if trail.multi_region != settings.multi_region:
            findings.append(
                Finding(
                    TRAIL,
                    trail.name,
                    f"trail {trail.name} multi-region is {_show(trail.multi_region)}, the config "
                    f"says {_show(settings.multi_region)}",
                )
            )
        if not trail.log_group_arn or f":log-group:{name}:" not in trail.log_group_arn:
            findings.append(
                Finding(
                    TRAIL,
                    trail.name,
                    f"trail {trail.name} does not deliver to log group {name} "
                    f"(got {trail.log_group_arn or 'none'})",
                )
            )
        if not trail.role_arn:
            findings.append(Finding(TRAIL, trail.name, f"trail {trail.name} has no delivery role"))
    if log_group is None:
        findings.append(Finding(LOG_GROUP, name, f"log group {name} is not in state"))
    else:
        retention = log_group.retention_days
        # 0 or unset: CloudWatch Logs keeps events forever, which is never too short.
        if retention and retention < settings.retention_days:
            findings.append(
                Finding(
                    LOG_GROUP,
                    name,
                    f"log group {name} keeps events {log_group.retention_days} days, the config "
                    f"says {settings.retention_days}",
                )
            )
        if not log_group.kms_key_id:
            findings.append(Finding(LOG_GROUP, name, f"log group {name} is not KMS-encrypted"))
    return findings


def _first(items: Iterable[T]) -> T | None:
    return next(iter(items), None)


def _show(value: Any) -> str:
    if isinstance(value, bool):
        return "on" if value else "off"
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value)
