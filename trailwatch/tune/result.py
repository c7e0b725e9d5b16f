"""What `trailwatch tune` found: per event, the two configs' counts and what each rule removed."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from trailwatch.replay.records import Record
from trailwatch.tune.sides import Side
from trailwatch.tune.suggestions import Suggestion, principal_of


@dataclass(frozen=True)
class Example:
    """A record a rule removed, as the report shows it."""

    time: str
    principal: str
    event_name: str
    source_ip: str

    @classmethod
    def of(cls, record: Record) -> Example:
        def text(value: Any) -> str:
            return value if isinstance(value, str) and value else "-"

        return cls(
            time=text(record.get("eventTime")),
            principal=principal_of(record) or "-",
            event_name=text(record.get("eventName")),
            source_ip=text(record.get("sourceIPAddress")),
        )

    def to_json(self) -> dict[str, str]:
        return {
            "time": self.time,
            "principal": self.principal,
            "event_name": self.event_name,
            "source_ip": self.source_ip,
        }


@dataclass(frozen=True)
class Tally:
    """One event under one config: its matches and the periods its alarm is in ALARM (ISO)."""

    matches: int
    alarm_periods: tuple[str, ...]
    # False when this config does not enable the event: then both counts are 0.
    enabled: bool = True

    def to_json(self) -> dict[str, int]:
        return {"matches": self.matches, "alarm_periods": len(self.alarm_periods)}


@dataclass(frozen=True)
class Removal:
    """What one rule removed from one event's alarm (`trailwatch.tune.tuner` defines it)."""

    rule_id: str
    # The config the rule was checked in: the candidate's version of a rule both hold.
    side: Side
    reason: str
    matches: int
    alarm_periods: int
    examples: tuple[Example, ...]

    def to_json(self) -> dict[str, int]:
        return {"matches": self.matches, "alarm_periods": self.alarm_periods}


@dataclass(frozen=True)
class EventTune:
    event_id: str
    current: Tally
    candidate: Tally
    removed_by: tuple[Removal, ...]

    def to_json(self) -> dict[str, Any]:
        return {
            "current": self.current.to_json(),
            "candidate": self.candidate.to_json(),
            "removed_by": {r.rule_id: r.to_json() for r in self.removed_by},
        }


@dataclass(frozen=True)
class TuneResult:
    """Everything tune found, per event id enabled in either config (sorted)."""

    records: int
    files: int
    skipped: int
    skip_reasons: tuple[str, ...]
    events: tuple[EventTune, ...]
    noisy: int
    suggestions: tuple[Suggestion, ...]
    ignored: int = 0

    @property
    def idle_rules(self) -> tuple[Removal, ...]:
        """Rules that removed no record from an event they name: dead weight, or a typo."""
        return tuple(r for e in self.events for r in e.removed_by if r.matches == 0)

    def to_json(self) -> dict[str, Any]:
        """The `--json` document, in the shape the issue gives (examples and suggestions are
        the text report's)."""
        return {
            "records": self.records,
            "events": {event.event_id: event.to_json() for event in self.events},
        }
