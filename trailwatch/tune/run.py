"""`tune` over files and folders: one streaming pass, every record evaluated once."""

from __future__ import annotations

from collections.abc import Callable, Iterable
from pathlib import Path

from trailwatch.replay.records import (
    ProgressCallback,
    ReadLimits,
    ReadStats,
    check_paths,
    read_records,
)
from trailwatch.replay.replayer import counted
from trailwatch.spec.model import Deployment
from trailwatch.tune.result import TuneResult
from trailwatch.tune.sides import pattern_set, without_rules
from trailwatch.tune.tuner import Tuner

# The `--noisy` default: an alarm in ALARM more periods than this gets suggestions.
NOISY_PERIODS = 10


def tune(
    paths: Iterable[Path],
    current: Deployment,
    candidate: Deployment | None = None,
    *,
    noisy: int = NOISY_PERIODS,
    target: str | None = None,
    progress: ProgressCallback | None = None,
    limits: ReadLimits | None = None,
    on_records: Callable[[int], None] | None = None,
) -> TuneResult:
    """Read every record under the paths once and count it under both configs.

    `candidate` defaults to the current config without exclusion rules; `target` names the
    target whose alarms are counted (default: the global ones). Raises `InputError`
    for a path that does not exist; unreadable input is skipped and counted, as in replay.
    """
    checked = check_paths(paths)
    tuner = Tuner(pattern_set(current, candidate or without_rules(current), target))
    stats = ReadStats()
    records = read_records(checked, stats, progress, limits)
    tuner.feed(records if on_records is None else counted(records, on_records), stats)
    return tuner.result(stats, noisy)
