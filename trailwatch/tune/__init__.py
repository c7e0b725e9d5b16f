"""Tune: what exclusion rules remove, replayed over real records, and shadow metrics read back.

Public API:
    tune(paths, current, candidate) -> TuneResult     # files and folders, streamed
    without_rules(deployment) -> Deployment           # the default candidate
    Tuner(pattern_set(current, candidate)).feed(records, stats)
    metric_periods(deployment, ...) -> MetricsResult  # `--from-metrics` (`metrics`)
"""

from trailwatch.tune.result import EventTune, Removal, Tally, TuneResult
from trailwatch.tune.run import tune
from trailwatch.tune.sides import pattern_set, without_rules
from trailwatch.tune.tuner import Tuner

__all__ = [
    "EventTune",
    "Removal",
    "Tally",
    "TuneResult",
    "Tuner",
    "pattern_set",
    "tune",
    "without_rules",
]
