"""How each stack's deployed inventory drifted from the model (`trailwatch state`).

`compare(deployment, target, inventory)` is pure: it turns the inventory that
`trailwatch.inventory.state.read_state` read into a `StackReport` with the trail, the log group,
each event's filter and alarm, and every `Finding` of drift. Patterns are compared
whitespace-exact: the catalog's text is the compliance text, and a finding says when only
whitespace differs. `orphan(inventory, target)` reports a stack no target names any more.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any, TypeVar

from trailwatch.inventory.model import Inventory, LogGroup, MetricAlarm, MetricFilter, Trail
from trailwatch.spec.alarms import Alarm
from trailwatch.spec.model import Deployment
from trailwatch.spec.targets import CreateTrail, Target

# Finding kinds (stable: `--json` consumers match on them).
NOT_DEPLOYED = "not-deployed"
MISSING_EVENT = "missing-event"
EXTRA_FILTER = "extra-filter"
PATTERN_DIFFERS = "pattern-differs"
FILTER_LOG_GROUP = "filter-log-group"
ALARM_MISSING = "alarm-missing"
EXTRA_ALARM = "extra-alarm"
ORPHAN_ALARM = "orphan-alarm"
ACTIONS_DISABLED = "actions-disabled"
NO_ACTIONS = "no-actions"
SETTING_DIFFERS = "setting-differs"
ROUTE_DIFFERS = "route-differs"
CHANNEL_MISSING = "channel-missing"
TRAIL = "trail"
LOG_GROUP = "log-group"

T = TypeVar("T")


@dataclass(frozen=True)
class EventView:
    """An enabled event of the model and what state holds for it."""

    event_id: str
    filter: MetricFilter | None
    alarm: MetricAlarm | None
    pattern_exact: bool

    def to_json(self) -> dict[str, Any]:
        return {
            "event_id": self.event_id,
            "filter": self.filter.to_json() if self.filter else None,
            "alarm": self.alarm.to_json() if self.alarm else None,
            "pattern_exact": self.pattern_exact,
        }


@dataclass(frozen=True)
class ChannelView:
    """A channel of the target and what state holds for it: its topic and who receives it."""

    name: str
    topic_arn: str | None
    receivers: tuple[str, ...]

    def to_json(self) -> dict[str, Any]:
        return {"name": self.name, "topic_arn": self.topic_arn, "receivers": list(self.receivers)}


@dataclass(frozen=True)
class Finding:
    kind: str
    subject: str
    message: str

    def to_json(self) -> dict[str, Any]:
        return {"kind": self.kind, "subject": self.subject, "message": self.message}


@dataclass(frozen=True)
class StackReport:
    stack: str
    target: str
    region: str
    source: str
    refreshed: bool
    deployed: bool
    trail: Trail | None
    log_group: LogGroup | None
    topic_arn: str | None
    subscriptions: tuple[str, ...]
    events: tuple[EventView, ...]
    findings: tuple[Finding, ...]
    channels: tuple[ChannelView, ...] = ()

    @property
    def drift(self) -> bool:
        return bool(self.findings)

    def to_json(self) -> dict[str, Any]:
        return {
            "stack": self.stack,
            "target": self.target,
            "region": self.region,
            "source": self.source,
            "refreshed": self.refreshed,
            "deployed": self.deployed,
            "trail": self.trail.to_json() if self.trail else None,
            "log_group": self.log_group.to_json() if self.log_group else None,
            "topic_arn": self.topic_arn,
            "subscriptions": list(self.subscriptions),
            "channels": [c.to_json() for c in self.channels],
            "events": [e.to_json() for e in self.events],
            "findings": [f.to_json() for f in self.findings],
        }


@dataclass(frozen=True)
class OrphanReport:
    """A stack whose state still holds resources, though no target of the config names it.

    Removing a target from the config leaves its stack deployed: cdktf no longer synthesizes
    it, so neither `cdktf destroy` nor a plan of the configured stacks sees it any more.
    """

    stack: str
    target: str
    source: str
    resources: int
    filters: int
    alarms: int

    @property
    def message(self) -> str:
        return (
            f"orphaned: {self.resources} resources ({self.filters} filters, {self.alarms} "
            f"alarms) in {self.source}, and no target of the config names {self.target}"
        )

    def to_json(self) -> dict[str, Any]:
        return {"stack": self.stack, "source": self.source, "resources": self.resources}


def orphan(inventory: Inventory, target: str) -> OrphanReport:
    """The report of an orphaned stack's inventory (read from its state)."""
    return OrphanReport(
        stack=inventory.stack,
        target=target,
        source=inventory.source,
        resources=inventory.resource_count,
        filters=len(inventory.filters),
        alarms=len(inventory.alarms),
    )


@dataclass(frozen=True)
class DriftReport:
    """Every selected stack's report, and the orphaned stacks: what `trailwatch state` prints."""

    stacks: tuple[StackReport, ...]
    orphans: tuple[OrphanReport, ...] = ()

    @property
    def drift(self) -> bool:
        """A stack differs from the model, or an orphaned stack is still deployed."""
        return any(s.drift for s in self.stacks) or bool(self.orphans)

    def to_json(self) -> dict[str, Any]:
        """The `trailwatch state --json` document."""
        return {
            "drift": self.drift,
            "stacks": [s.to_json() for s in self.stacks],
            "orphans": [o.to_json() for o in self.orphans],
        }


# --- comparing with the model -------------------------------------------------------------


def compare(
    deployment: Deployment,
    target: Target,
    inventory: Inventory | None,
    *,
    source: str = "",
    refreshed: bool = False,
) -> StackReport:
    """What state holds for a target, and every difference from the model."""
    stack = deployment.stack_name(target)
    if inventory is not None and not source:
        source = inventory.source
    if inventory is None or not inventory.resource_count:
        nothing = Finding(NOT_DEPLOYED, stack, f"nothing deployed (no resources in {source})")
        return StackReport(
            stack, target.name, target.region, source, refreshed, False, None, None, None, (),
            (), (nothing,),
        )  # fmt: skip
    filters = list(inventory.filters)
    alarms = list(inventory.alarms)
    trail = inventory.trails[0] if inventory.trails else None
    log_group = inventory.log_group(deployment.log_group_name(target))
    channels, channel_findings = _channels(deployment, target, inventory)
    topics = {c.name: c.topic_arn for c in channels}
    topic_arn = next((c.topic_arn for c in channels), None)
    subscriptions = tuple(f"{s.protocol}:{s.endpoint}" for s in inventory.subscriptions)

    findings: list[Finding] = []
    findings += _trail_findings(deployment, target, trail, log_group)
    findings += channel_findings
    events: list[EventView] = []
    used_filters: set[str] = set()
    used_alarms: set[str] = set()
    for alarm in deployment.alarms_for(target):
        view, event_findings = _event(deployment, target, alarm, filters, alarms, topics)
        events.append(view)
        findings += event_findings
        if view.filter:
            used_filters.add(view.filter.name)
        if view.alarm:
            used_alarms.add(view.alarm.name)
    findings += _leftovers(filters, alarms, used_filters, used_alarms)
    return StackReport(
        stack=stack,
        target=target.name,
        region=target.region,
        source=source,
        refreshed=refreshed,
        deployed=True,
        trail=trail,
        log_group=log_group,
        topic_arn=topic_arn,
        subscriptions=subscriptions,
        events=tuple(events),
        findings=tuple(findings),
        channels=tuple(channels),
    )


def _channels(
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


def _leftovers(
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


def _event(
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
    return EventView(alarm.id, found, chosen, exact), findings


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
    if not found.actions_enabled:
        findings.append(
            Finding(
                ACTIONS_DISABLED,
                alarm.id,
                f"event {alarm.id}: alarm {found.name} has its actions disabled: "
                "it notifies nobody",
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


def _trail_findings(
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


def _int_or_none(value: Any) -> int | None:
    return None if value in (None, "") else int(value)


def _show(value: Any) -> str:
    if isinstance(value, bool):
        return "on" if value else "off"
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value)
