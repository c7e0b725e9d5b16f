"""Replay records under two configs at once, and what each exclusion rule removed.

What a rule removed, per event (and per config holding the rule):
- matches: the records the event's pattern before any exclusion matches that the rule describes
  (every `match` key holds), the records the deployed pattern drops because of that rule. A record
  two rules describe counts for both.
- alarm periods: the periods in ALARM under the event's deployed pattern with only this rule left
  out, that are not in ALARM under the deployed pattern. Where rules overlap, a period that
  another rule would keep quiet anyway is not this rule's.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass

from trailwatch.replay.alarm_simulation import (
    AlarmSimulation,
    TimeSpan,
    iso_utc,
    parse_event_time,
)
from trailwatch.replay.records import ReadStats, Record
from trailwatch.tune.result import EventTune, Example, Removal, Tally, TuneResult
from trailwatch.tune.sides import SIDES, PatternSet
from trailwatch.tune.suggestions import DIMENSIONS, Suggestion, suggest

# Example records kept per rule and event.
EXAMPLES = 5
# Distinct values counted per event and dimension for the suggestions: beyond this, new values
# are not counted, so memory stays flat on any input (the top values are seen early or often).
MAX_DISTINCT = 10_000
# Values per event and dimension whose first record is kept, as the `removes:` sample of a
# suggestion: a value behind a noisy alarm is nearly always among the first ones seen.
MAX_EVIDENCE = 100


@dataclass
class _Count:
    """The matches of one named pattern: per period, and those without an eventTime."""

    simulation: AlarmSimulation
    untimed: int = 0


class Tuner:
    """Feeds records through every pattern of a `PatternSet` once and counts what tune reports."""

    def __init__(self, patterns: PatternSet) -> None:
        from trailwatch.patterns import compile_many

        self.set = patterns
        self.records = 0
        self._match = compile_many(patterns.patterns)
        self._counts: dict[str, _Count] = {}
        for side in SIDES:
            for event_id, name in patterns.deployed[side].items():
                settings = patterns.alarms[side][event_id].settings
                self._counts[name] = _Count(AlarmSimulation(settings))
        for check in patterns.checks:
            settings = patterns.alarms[check.side][check.event_id].settings
            self._counts[check.without] = _Count(AlarmSimulation(settings))
        self._removed = [0] * len(patterns.checks)
        self._examples: list[list[Example]] = [[] for _ in patterns.checks]
        # What is behind each current alarm's matches, for the suggestions.
        self._behind = {
            event_id: {key: Counter[str]() for key in DIMENSIONS}
            for event_id in patterns.deployed["current"]
        }
        self._evidence: dict[str, dict[str, dict[str, Record]]] = {
            event_id: {key: {} for key in DIMENSIONS} for event_id in patterns.deployed["current"]
        }
        self._span = TimeSpan()

    def feed(self, records: Iterable[Record], stats: ReadStats) -> None:
        """Evaluate every record once against every pattern; the hot loop of tune.

        `stats` is where the records were read: a record too deeply nested to evaluate is
        skipped there, named by its file and line.
        """
        match, counts, checks = self._match, self._counts, self.set.checks
        current = {name: event_id for event_id, name in self.set.deployed["current"].items()}
        for record in records:
            try:
                hits = set(match(record))
            except RecursionError:
                stats.skip(stats.where(), "nested too deeply to evaluate")
                continue
            self.records += 1
            epoch = parse_event_time(record.get("eventTime"))
            self._span.widen(epoch)
            if not hits:
                continue
            for name in hits:
                count = counts.get(name)
                if count is None:
                    continue
                if epoch is None:
                    count.untimed += 1
                else:
                    count.simulation.add(epoch)
                if name in current:
                    self._note_behind(current[name], record)
            for index, check in enumerate(checks):
                if check.base in hits and check.matcher in hits:
                    self._removed[index] += 1
                    if len(self._examples[index]) < EXAMPLES:
                        self._examples[index].append(Example.of(record))

    def _note_behind(self, event_id: str, record: Record) -> None:
        for key, counter in self._behind[event_id].items():
            value = DIMENSIONS[key](record)
            if value is not None and (value in counter or len(counter) < MAX_DISTINCT):
                counter[value] += 1
                kept = self._evidence[event_id][key]
                if value not in kept and len(kept) < MAX_EVIDENCE:
                    kept[value] = record

    def _periods(self, name: str) -> set[int]:
        span = self._span.bounds()
        return {p.start for p in self._counts[name].simulation.alarm_periods(span)}

    def _tally(self, name: str | None) -> Tally:
        if name is None:
            return Tally(matches=0, alarm_periods=(), enabled=False)
        count = self._counts[name]
        periods = tuple(iso_utc(start) for start in sorted(self._periods(name)))
        return Tally(matches=count.simulation.matches + count.untimed, alarm_periods=periods)

    def events(self) -> tuple[EventTune, ...]:
        """Per event id (sorted): current, candidate and what each rule removed."""
        found = []
        for event_id in self.set.event_ids:
            removals = []
            for index, check in enumerate(self.set.checks):
                if check.event_id != event_id:
                    continue
                deployed = self._periods(self.set.deployed[check.side][event_id])
                removals.append(
                    Removal(
                        rule_id=check.rule.id,
                        side=check.side,
                        reason=check.rule.reason,
                        matches=self._removed[index],
                        alarm_periods=len(self._periods(check.without) - deployed),
                        examples=tuple(self._examples[index]),
                    )
                )
            found.append(
                EventTune(
                    event_id=event_id,
                    current=self._tally(self.set.deployed["current"].get(event_id)),
                    candidate=self._tally(self.set.deployed["candidate"].get(event_id)),
                    removed_by=tuple(removals),
                )
            )
        return tuple(found)

    def suggestions(self, events: Iterable[EventTune], noisy: int) -> tuple[Suggestion, ...]:
        """Rule snippets for each current alarm in ALARM more than `noisy` periods."""
        found: list[Suggestion] = []
        for event in events:
            periods = len(event.current.alarm_periods)
            if event.current.enabled and periods > noisy:
                found += suggest(
                    event.event_id,
                    periods,
                    event.current.matches,
                    self._behind[event.event_id],
                    self._evidence[event.event_id],
                )
        return tuple(found)

    def result(self, stats: ReadStats, noisy: int) -> TuneResult:
        events = self.events()
        return TuneResult(
            records=self.records,
            files=stats.files,
            skipped=stats.skipped,
            skip_reasons=tuple(stats.reasons),
            ignored=stats.ignored,
            events=events,
            noisy=noisy,
            suggestions=self.suggestions(events, noisy),
        )
