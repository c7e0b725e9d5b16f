"""Replay: what the enabled events would have matched and fired for recorded CloudTrail.

Public API:
    replay(paths, deployment) -> ReplayResult      # files and folders, streamed
    Replayer(alarms).feed(records); .outcomes()    # the same over records already decoded
    read_records(paths, stats) / ReadStats         # the file readers (`records`)
    AlarmSimulation(settings)                      # CloudWatch's period and M-of-N logic
    check_evidence(deployment)                     # every event's samples (`evidence`)
"""

from trailwatch.replay.alarm_simulation import AlarmPeriod, AlarmSimulation
from trailwatch.replay.records import ReadStats, check_paths, read_records
from trailwatch.replay.replayer import EventOutcome, Replayer, ReplayResult, replay

__all__ = [
    "AlarmPeriod",
    "AlarmSimulation",
    "EventOutcome",
    "ReadStats",
    "ReplayResult",
    "Replayer",
    "check_paths",
    "read_records",
    "replay",
]
