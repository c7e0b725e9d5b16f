"""Replay CloudTrail records through the enabled events: what would have matched and fired."""

from __future__ import annotations

import time
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from trailwatch.replay.alarm_simulation import (
    AlarmPeriod,
    AlarmSimulation,
    TimeSpan,
    parse_event_time,
)
from trailwatch.replay.records import (
    ProgressCallback,
    ReadLimits,
    ReadStats,
    Record,
    check_paths,
    read_records,
)
from trailwatch.spec.alarms import Alarm
from trailwatch.spec.model import Deployment


@dataclass(frozen=True)
class EventOutcome:
    """One event's share of a replay: its matches and the periods its alarm is in ALARM."""

    event_id: str
    matches: int
    alarms: tuple[AlarmPeriod, ...]
    # Matches without a readable eventTime: counted, but in no period.
    untimed: int = 0

    def to_json(self) -> dict[str, Any]:
        """This event's entries of the replay document: each goes in the map of its key."""
        return {"matches": self.matches, "alarms": [p.to_json() for p in self.alarms]}


@dataclass(frozen=True)
class ReplayResult:
    """Everything a replay found, per event in the deployment's order (sorted by id).

    `records` were evaluated; `incomplete` of them lack `eventName` or `eventSource`. `skipped`
    units of input gave no record (`skip_reasons`: the first, with file and line); `ignored`
    files and folders were not CloudTrail input (`ignore_reasons`: the first).
    """

    records: int
    skipped: int
    files: int
    skip_reasons: tuple[str, ...]
    events: tuple[EventOutcome, ...]
    incomplete: int = 0
    ignored: int = 0
    ignore_reasons: tuple[str, ...] = ()
    # Which engine answered (`python`, `duckdb`, `athena`) and how long the replay took.
    engine: str = "python"
    elapsed_s: float = field(default=0.0, compare=False)

    def to_json(self) -> dict[str, Any]:
        """The `--json` document: every enabled event is present, zeros included.

        Per event, `matches` and `alarms` are maps from event id to its `EventOutcome` entry.
        """
        outcomes = {e.event_id: e.to_json() for e in self.events}
        return {
            "records": self.records,
            "incomplete": self.incomplete,
            "skipped": self.skipped,
            "skipped_reasons": list(self.skip_reasons),
            "ignored": self.ignored,
            "ignored_reasons": list(self.ignore_reasons),
            "matches": {event_id: o["matches"] for event_id, o in outcomes.items()},
            "alarms": {event_id: o["alarms"] for event_id, o in outcomes.items()},
            "engine": self.engine,
            "elapsed_s": round(self.elapsed_s, 3),
        }


@dataclass(frozen=True)
class ReplayPart:
    """What one `Replayer` counted, to add to another's (`--jobs`: one per process)."""

    records: int
    counts: dict[str, dict[int, int]]
    untimed: dict[str, int]
    # The first and last record time of the input, epoch seconds.
    first: int | None
    last: int | None


class Replayer:
    """Evaluates records against a set of alarms, counting matches and feeding each simulation.

    A record the engine cannot evaluate (nested so deep that evaluating it exhausts Python's
    recursion) is skipped, counted in the `ReadStats` given to `feed` (or `self.stats`), and
    not counted in `records`. Records without `eventName` or `eventSource` are evaluated as
    they are; the reader counts them (`ReadStats.incomplete`), as it looks at those keys anyway.
    """

    def __init__(self, alarms: Sequence[Alarm]) -> None:
        from trailwatch.patterns import compile_many

        self.alarms = tuple(alarms)
        self.records = 0
        self.stats = ReadStats()
        self._match = compile_many({alarm.id: alarm.pattern for alarm in self.alarms})
        self._untimed = dict.fromkeys(self._match.names, 0)
        self._simulations = {alarm.id: AlarmSimulation(alarm.settings) for alarm in self.alarms}
        # Only `treat_missing_data: breaching` needs the input's time span; skip the work otherwise.
        self._track_span = any(a.settings.treat_missing_data == "breaching" for a in self.alarms)
        self._span = TimeSpan()

    def feed(self, records: Iterable[Record], stats: ReadStats | None = None) -> None:
        """Evaluate every record; the hot loop of a replay.

        `stats` is where the records were read (`read_records`): it names the file and line of
        a record that cannot be evaluated, and counts it as skipped.
        """
        match, count, track_span = self._match, 0, self._track_span
        # One bound method per event: a match costs a dict lookup and a call.
        add = {event_id: simulation.add for event_id, simulation in self._simulations.items()}
        for record in records:
            try:
                hits = match(record)
            except RecursionError:
                self._unevaluable(record, stats, count)
                continue
            count += 1
            if track_span:
                self._span.widen(parse_event_time(record.get("eventTime")))
            if hits:
                epoch = parse_event_time(record.get("eventTime"))
                if epoch is None:
                    for event_id in hits:
                        self._untimed[event_id] += 1
                else:
                    for event_id in hits:
                        add[event_id](epoch)
        self.records += count

    def _unevaluable(self, record: Record, stats: ReadStats | None, count: int) -> None:
        if stats is None:
            stats, where = self.stats, f"record {self.records + count + 1}"
        else:
            where = stats.where()
            if "eventName" not in record or "eventSource" not in record:
                stats.incomplete -= 1  # the reader counted it; skipped, it is no record
        stats.skip(where, "nested too deeply to evaluate")

    def part(self) -> ReplayPart:
        """What this replayer counted so far, for `add_part` in another process."""
        return ReplayPart(
            records=self.records,
            counts={event: sim.counts for event, sim in self._simulations.items()},
            untimed=dict(self._untimed),
            first=self._span.first,
            last=self._span.last,
        )

    def add_part(self, part: ReplayPart) -> None:
        """Add what another replayer of the same alarms counted."""
        self.records += part.records
        for event, counts in part.counts.items():
            self._simulations[event].add_counts(counts)
        for event, untimed in part.untimed.items():
            self._untimed[event] += untimed
        for moment in (part.first, part.last):
            self._span.widen(moment)

    def outcomes(self) -> tuple[EventOutcome, ...]:
        """Matches and alarm periods per event, in the alarms' order."""
        span = self._span.bounds()
        return tuple(
            EventOutcome(
                event_id=alarm.id,
                matches=self._simulations[alarm.id].matches + self._untimed[alarm.id],
                alarms=tuple(self._simulations[alarm.id].alarm_periods(span)),
                untimed=self._untimed[alarm.id],
            )
            for alarm in self.alarms
        )


def replay(
    paths: Iterable[Path],
    deployment: Deployment,
    progress: ProgressCallback | None = None,
    limits: ReadLimits | None = None,
    jobs: int = 1,
    on_records: Callable[[int], None] | None = None,
) -> ReplayResult:
    """Read every record under the paths and replay it through the deployment's alarms.

    Raises `InputError` for a path that does not exist; anything unreadable inside is skipped,
    anything that is not CloudTrail ignored (`records` says how, `limits` how much is read).
    With `jobs` > 1 and several files, the files are spread over that many processes
    (`parallel`); the result is the same. `on_records` hears how many more records were read.
    """
    started = time.perf_counter()
    checked = check_paths(paths)
    if jobs > 1:
        from trailwatch.replay.parallel import replay_parallel

        parallel = replay_parallel(checked, deployment.alarms, jobs, progress, limits, on_records)
        if parallel is not None:
            replayer, stats = parallel
            return _result(replayer, stats, time.perf_counter() - started)
    stats = ReadStats()
    replayer = Replayer(deployment.alarms)
    records = read_records(checked, stats, progress, limits)
    replayer.feed(records if on_records is None else counted(records, on_records), stats)
    return _result(replayer, stats, time.perf_counter() - started)


def counted(records: Iterator[Record], on_records: Callable[[int], None]) -> Iterator[Record]:
    """The records, telling `on_records` how many have passed (for a progress display)."""
    # Tell the progress display every 4096 records: often enough, and cheap.
    count = 0
    for record in records:
        yield record
        count += 1
        if not count & 0xFFF:
            on_records(0x1000)
    on_records(count & 0xFFF)


def _result(replayer: Replayer, stats: ReadStats, elapsed: float) -> ReplayResult:
    return ReplayResult(
        records=replayer.records,
        skipped=stats.skipped,
        files=stats.files,
        skip_reasons=tuple(stats.reasons),
        events=replayer.outcomes(),
        incomplete=stats.incomplete,
        ignored=stats.ignored,
        ignore_reasons=tuple(stats.ignored_reasons),
        elapsed_s=elapsed,
    )
