"""Simulate a CloudWatch alarm on a metric filter's metric from the times of matching records.

The model, and where it simplifies CloudWatch:
- Every match publishes one datapoint of value 1 at its `eventTime`. A period with n matches
  then has Sum = SampleCount = n and Minimum = Maximum = Average = 1 (CloudWatch may batch a
  filter's datapoints, which changes SampleCount; for the catalog's Sum alarms it changes nothing).
- Periods are `period` seconds aligned on the epoch (00:00, 00:05, ... for 300 s).
- A period with data breaches when its statistic compares true against the threshold. A period
  with no data: `notBreaching` does not breach, `breaching` breaches, `ignore` and `missing`
  are not counted either way (CloudWatch's "keep the previous state" and INSUFFICIENT_DATA are
  not modelled).
- The alarm is in ALARM at a period when at least `datapoints_to_alarm` of the
  `evaluation_periods` periods ending with it breach. Those periods are reported, including the
  ones after the last match that a window still holds (with their Sum, 0 when empty).
- `breaching` makes every empty period breach, forever: the simulation counts empty periods only
  inside the span of the input's records, given by the caller.
"""

from __future__ import annotations

import operator
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from trailwatch.spec.catalog import AlarmSettings, Comparison, Statistic

_COMPARE: dict[Comparison, Callable[[float, float], bool]] = {
    "GreaterThanOrEqualToThreshold": operator.ge,
    "GreaterThanThreshold": operator.gt,
    "LessThanThreshold": operator.lt,
    "LessThanOrEqualToThreshold": operator.le,
}


def statistic_value(statistic: Statistic, count: int) -> float:
    """The statistic of a period holding `count` datapoints, each of value 1."""
    if statistic in ("Sum", "SampleCount"):
        return float(count)
    return 1.0  # Minimum, Maximum and Average of ones


@dataclass
class TimeSpan:
    """The earliest and latest record time seen, in epoch seconds: the span `alarm_periods`
    fills with breaching periods. Compared as times, not text: records mix
    `2024-12-16 18:41:07.000000000` and `2024-12-16T18:41:07Z`, and a space sorts before a T."""

    first: int | None = None
    last: int | None = None

    def widen(self, epoch: int | None) -> None:
        if epoch is not None:
            if self.first is None or epoch < self.first:
                self.first = epoch
            if self.last is None or epoch > self.last:
                self.last = epoch

    def bounds(self) -> tuple[int, int] | None:
        """(first, last), or None before any timed record."""
        if self.first is None or self.last is None:
            return None
        return (self.first, self.last)


def parse_event_time(value: Any) -> int | None:
    """CloudTrail's `eventTime` (`2024-01-01T00:05:00Z`) as epoch seconds; None if it is not one.

    A time without a zone is taken as UTC, as CloudTrail writes every time in UTC.
    """
    if not isinstance(value, str):
        return None
    try:
        moment = datetime.fromisoformat(value)
    except ValueError:
        return None
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=UTC)
    return int(moment.timestamp())


def iso_utc(epoch: int) -> str:
    """Epoch seconds as `2024-01-01T00:05:00Z`."""
    return time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(epoch))


@dataclass(frozen=True)
class AlarmPeriod:
    """A period at whose end the alarm is in ALARM, and the Sum of that period."""

    start: int  # epoch seconds
    sum: int

    def to_json(self) -> dict[str, Any]:
        return {"start": iso_utc(self.start), "sum": self.sum}


class AlarmSimulation:
    """Counts matches per period and says in which periods the alarm would be in ALARM.

    Memory is one counter per period that holds a match, however many records pass.
    """

    __slots__ = ("_counts", "_period", "settings")

    def __init__(self, settings: AlarmSettings) -> None:
        self.settings = settings
        self._period = settings.period
        self._counts: dict[int, int] = {}

    def add(self, epoch: int) -> None:
        """One match at `epoch` seconds."""
        start = epoch - epoch % self._period
        self._counts[start] = self._counts.get(start, 0) + 1

    def add_counts(self, counts: dict[int, int]) -> None:
        """Matches counted elsewhere (another process), per period start."""
        mine = self._counts
        for start, count in counts.items():
            mine[start] = mine.get(start, 0) + count

    @property
    def matches(self) -> int:
        """How many matches were added."""
        return sum(self._counts.values())

    @property
    def counts(self) -> dict[int, int]:
        """Matches per period start, in time order."""
        return dict(sorted(self._counts.items()))

    def alarm_periods(self, span: tuple[int, int] | None = None) -> list[AlarmPeriod]:
        """The periods the alarm is in ALARM, in time order.

        `span` is the first and last record time of the whole input (epoch seconds); only
        `breaching` needs it, for the empty periods inside it.
        """
        settings = self.settings
        period = self._period
        compare = _COMPARE[settings.comparison]
        breaching = {
            start
            for start, count in self._counts.items()
            if compare(statistic_value(settings.statistic, count), settings.threshold)
        }
        missing_breaches = settings.treat_missing_data == "breaching"
        known = self._known_range(span) if missing_breaches else None

        def breaches(start: int) -> bool:
            if start in self._counts:
                return start in breaching
            return known is not None and known[0] <= start <= known[1]

        alarms = []
        for end in self._candidates(breaching, known):
            window = range(end - (settings.evaluation_periods - 1) * period, end + 1, period)
            if sum(1 for start in window if breaches(start)) >= settings.datapoints_to_alarm:
                alarms.append(AlarmPeriod(end, self._counts.get(end, 0)))
        return alarms

    def _known_range(self, span: tuple[int, int] | None) -> tuple[int, int] | None:
        # The aligned periods from the first to the last thing we know of: records and matches.
        edges = list(self._counts)
        if span is not None:
            edges += [span[0] - span[0] % self._period, span[1] - span[1] % self._period]
        return (min(edges), max(edges)) if edges else None

    def _candidates(self, breaching: set[int], known: tuple[int, int] | None) -> Iterator[int]:
        # A window can only alarm if it holds a breaching period: one with data, or with
        # `breaching`, any empty one in the known range.
        period = self._period
        ends: set[int] = set()
        for start in breaching:
            ends.update(range(start, start + self.settings.evaluation_periods * period, period))
        if known is not None:
            ends.update(range(known[0], known[1] + 1, period))
        return iter(sorted(ends))
