"""`--jobs N`: replay files in N processes, with the answer one process would give.

The parent walks the paths (as `read_records` does, noting where each folder problem falls
between files), cuts the files into runs of consecutive files of about equal size, and hands
the runs to a pool of processes, each with its own `Replayer`. Each run comes back with its
counts (`ReplayPart`) and one `ReadStats` per file; the parent adds them up in file order, so
counts, periods and the first skip and ignore reasons are exactly those of one process.

Processes are forked where the system can (they inherit the compiled patterns and start at
once), spawned elsewhere. Workers ignore Ctrl-C: the parent stops the pool and reports it.
"""

from __future__ import annotations

import contextlib
import multiprocessing
import os
import signal
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from trailwatch.replay.records import (
    ProgressCallback,
    ReadLimits,
    ReadStats,
    input_files,
    read_records,
)
from trailwatch.replay.replayer import Replayer, ReplayPart
from trailwatch.spec.alarms import Alarm

# Runs per process: enough to even out files of different sizes, few enough to cost nothing.
RUNS_PER_JOB = 4


def default_jobs() -> int:
    """The processors this process may run on."""
    try:
        return len(os.sched_getaffinity(0))
    except (AttributeError, OSError):
        return os.cpu_count() or 1


class _WalkRecorder(ReadStats):
    """Notes each folder problem of the walk with how many files came before it."""

    def __init__(self, files: list[Path]) -> None:
        super().__init__()
        self._files = files
        self.events: list[tuple[int, str, str, str]] = []

    def skip(self, where: str, reason: str) -> None:
        self.events.append((len(self._files), "skip", where, reason))

    def ignore(self, where: str, reason: str) -> None:
        self.events.append((len(self._files), "ignore", where, reason))


@dataclass(frozen=True)
class _RunResult:
    part: ReplayPart
    stats: tuple[ReadStats, ...]  # one per file of the run, in order
    size: int


# What each worker process replays with, set once when it starts.
_worker: tuple[Sequence[Alarm], ReadLimits | None] | None = None


def _start_worker(alarms: Sequence[Alarm], limits: ReadLimits | None) -> None:
    global _worker
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    _worker = (alarms, limits)


def _replay_run(run: tuple[str, ...]) -> _RunResult:
    assert _worker is not None
    alarms, limits = _worker
    replayer = Replayer(alarms)
    per_file = []
    size = 0
    for name in run:
        path = Path(name)
        stats = ReadStats()
        replayer.feed(read_records([path], stats, None, limits), stats)
        per_file.append(_slim(stats))
        with contextlib.suppress(OSError):  # vanished: reading it said so
            size += path.stat().st_size
    return _RunResult(replayer.part(), tuple(per_file), size)


def _slim(stats: ReadStats) -> ReadStats:
    # Only the counts and reasons travel back; where the reader last was does not matter.
    return ReadStats(
        files=stats.files,
        skipped=stats.skipped,
        reasons=stats.reasons,
        ignored=stats.ignored,
        ignored_reasons=stats.ignored_reasons,
        incomplete=stats.incomplete,
    )


def _runs(files: list[Path], jobs: int) -> list[tuple[str, ...]]:
    """Consecutive files cut into runs of about equal bytes, `RUNS_PER_JOB` per job."""
    sizes = []
    for path in files:
        try:
            sizes.append(max(path.stat().st_size, 1))
        except OSError:
            sizes.append(1)
    target = sum(sizes) / (jobs * RUNS_PER_JOB)
    runs: list[tuple[str, ...]] = []
    current: list[str] = []
    held = 0
    for path, size in zip(files, sizes, strict=True):
        current.append(str(path))
        held += size
        if held >= target:
            runs.append(tuple(current))
            current, held = [], 0
    if current:
        runs.append(tuple(current))
    return runs


def _context() -> Any:
    methods = multiprocessing.get_all_start_methods()
    return multiprocessing.get_context("fork" if "fork" in methods else "spawn")


def replay_parallel(
    paths: list[Path],
    alarms: Sequence[Alarm],
    jobs: int,
    progress: ProgressCallback | None,
    limits: ReadLimits | None,
    on_records: Callable[[int], None] | None = None,
) -> tuple[Replayer, ReadStats] | None:
    """The replay of the paths' files in `jobs` processes; None when there are fewer than two
    files (one process does that best)."""
    files: list[Path] = []
    walk = _WalkRecorder(files)
    for path in input_files(paths, walk):
        files.append(path)
    if len(files) < 2:
        return None
    jobs = min(jobs, len(files))
    runs = _runs(files, jobs)
    events = walk.events
    stats = ReadStats()
    replayer = Replayer(alarms)
    done_files = 0

    def walk_events_until(position: int) -> None:
        nonlocal events
        while events and events[0][0] <= position:
            _, kind, where, reason = events.pop(0)
            (stats.skip if kind == "skip" else stats.ignore)(where, reason)

    with _context().Pool(jobs, initializer=_start_worker, initargs=(alarms, limits)) as pool:
        for result in pool.imap(_replay_run, runs):
            for file_stats in result.stats:
                walk_events_until(done_files)
                stats.add(file_stats)
                done_files += 1
            replayer.add_part(result.part)
            if progress is not None:
                progress(result.size)
            if on_records is not None:
                on_records(result.part.records)
    walk_events_until(len(files))
    return replayer, stats
