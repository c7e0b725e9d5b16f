"""What the EventBridge path cannot say, event by event: a pure report over the catalog.

Three kinds of row: `untranslated` (a construct with no EventBridge equivalent: the event gets
no rule), `difference` (the rule is made, and disagrees with the metric filter on values the
row names) and `counted` (the alarm fires at a count above one; a rule fires per record).
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Literal

from trailwatch.eventbridge.compiler import Translation, translate
from trailwatch.spec.catalog import DEFAULT_PROFILE, EventDefinition

LimitKind = Literal["untranslated", "difference", "counted"]


@dataclass(frozen=True)
class EventLimit:
    """One thing the event's EventBridge rule does not do as its alarm does."""

    event_id: str
    kind: LimitKind
    text: str

    def to_json(self) -> dict[str, str]:
        return {"event": self.event_id, "kind": self.kind, "text": self.text}


def event_limits(
    catalog: Mapping[str, EventDefinition], profile: str = DEFAULT_PROFILE
) -> tuple[EventLimit, ...]:
    """Every limit of every event's rule under a pattern profile, in catalog order."""
    rows: list[EventLimit] = []
    for event_id, event in catalog.items():
        rows.extend(limits_of(event_id, event, translate(event.pattern_for(profile))))
    return tuple(rows)


def limits_of(event_id: str, event: EventDefinition, translation: Translation) -> list[EventLimit]:
    """The limits of one event's rule, given its translation."""
    rows = [EventLimit(event_id, "untranslated", text) for text in translation.limits]
    rows += [EventLimit(event_id, "difference", text) for text in translation.differences]
    counted = records_to_fire(event)
    if counted > 1:
        alarm = event.alarm
        periods = (
            f"in {alarm.datapoints_to_alarm} of {alarm.evaluation_periods} periods of "
            f"{alarm.period} s"
            if alarm.evaluation_periods > 1
            else f"in {alarm.period} s"
        )
        rows.append(
            EventLimit(
                event_id,
                "counted",
                f"the alarm fires at {counted} records {periods}; the rule sends a message for "
                "each record, and the alarm stays the counted path",
            )
        )
    return rows


def records_to_fire(event: EventDefinition) -> int:
    """The fewest matching records that put the event's alarm in ALARM (Sum of a count)."""
    alarm = event.alarm
    threshold = alarm.threshold
    per_period = (
        math.ceil(threshold)
        if alarm.comparison.endswith("OrEqualToThreshold")
        else (math.floor(threshold) + 1)
    )
    if alarm.statistic != "Sum" or alarm.comparison.startswith("Less"):
        return 1  # not a count that grows with records: nothing to compare
    return max(per_period, 1) * alarm.datapoints_to_alarm
