"""What `trailwatch state` reports: the finding kinds, the findings, and each stack's report.

`Finding` is one difference from the model, of one of the stable kinds below (`--json`
consumers match on them). `StackReport` holds what state holds for a target (its trail, log
group, channels as `ChannelView`, and each enabled event as `EventView`) with its findings;
`OrphanReport` is a stack no target names any more, and `DriftReport` gathers them all into the
`trailwatch state --json` document.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from trailwatch.inventory.model import EventRule, LogGroup, MetricAlarm, MetricFilter, Trail

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
RULE_MISSING = "rule-missing"
RULE_DISABLED = "rule-disabled"
RULE_PATTERN_DIFFERS = "rule-pattern-differs"
RULE_STATE_DIFFERS = "rule-state-differs"
EXTRA_RULE = "extra-rule"
TARGET_MISSING = "event-target-missing"
TARGET_EXTRA = "event-target-extra"

# What `trailwatch state` says of a shadow alarm deployed as such (not drift).
SHADOW_STATUS = "shadow: actions off, CloudWatch.17 not met"


@dataclass(frozen=True)
class EventView:
    """An enabled event of the model and what state holds for it."""

    event_id: str
    filter: MetricFilter | None
    alarm: MetricAlarm | None
    pattern_exact: bool
    # The config deploys the alarm as a shadow: its actions off on purpose.
    shadow: bool = False

    @property
    def status(self) -> str:
        """How the alarm notifies, in words: shadow, live, or what is wrong with it."""
        if self.alarm is None:
            return "missing"
        if not self.alarm.actions_enabled:
            return SHADOW_STATUS if self.shadow else "actions disabled"
        if self.shadow:
            return "live, but the config says shadow"
        return "live" if self.alarm.alarm_actions else "no actions"

    def to_json(self) -> dict[str, Any]:
        return {
            "event_id": self.event_id,
            "filter": self.filter.to_json() if self.filter else None,
            "alarm": self.alarm.to_json() if self.alarm else None,
            "pattern_exact": self.pattern_exact,
            "shadow": self.shadow,
            "status": self.status,
        }


@dataclass(frozen=True)
class RuleView:
    """An event's EventBridge rule in state, the channels its targets reach, and whether its
    pattern is the synthesized one (None: no synthesized stack to compare with)."""

    event_id: str
    rule: EventRule | None
    channels: tuple[str, ...]
    pattern_exact: bool | None

    def to_json(self) -> dict[str, Any]:
        return {
            "event_id": self.event_id,
            "rule": self.rule.to_json() if self.rule else None,
            "channels": list(self.channels),
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
    # Each event's EventBridge rule (the per-event path), when the stack has any.
    rules: tuple[RuleView, ...] = ()

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
            "rules": [r.to_json() for r in self.rules],
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
