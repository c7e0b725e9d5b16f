"""`drill --wait`: watch the real alarms of the drilled events until they reach ALARM.

On a real account CloudTrail delivers to CloudWatch Logs within minutes and the alarm follows
its period; the emulator never evaluates alarms, so there this only shows which alarms it asks.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterable, Mapping
from dataclasses import replace
from typing import Any

from trailwatch.drill.run import AlarmState, TargetDrill
from trailwatch.errors import DrillError
from trailwatch.inventory.aws import read_alarms
from trailwatch.spec.model import Deployment
from trailwatch.spec.targets import Target

ClientsFor = Callable[[Target], Callable[[str], Any]]


def wait_for_alarms(
    deployment: Deployment,
    drills: Iterable[TargetDrill],
    clients_for: ClientsFor,
    *,
    timeout: float,
    interval: float = 30.0,
    sleep: Callable[[float], None] = time.sleep,
) -> tuple[TargetDrill, ...]:
    """Poll the drilled events' alarms until all are in ALARM or the timeout passes."""
    from botocore.exceptions import BotoCoreError, ClientError  # type: ignore[import-untyped]

    try:
        return _wait(
            deployment, drills, clients_for, timeout=timeout, interval=interval, sleep=sleep
        )
    except (BotoCoreError, ClientError) as err:
        raise DrillError(f"drill --wait: {err}") from None


def _watched_alarms(deployment: Deployment, drill: TargetDrill, cloudwatch: Any) -> dict[str, str]:
    """Alarm name -> event id, for every alarm on a metric of an event the drill matched."""
    names: dict[str, str] = {}
    for event_id in dict.fromkeys(r.event_id for r in drill.results if r.matched):
        metric = (deployment.config.namespace, deployment.alarm(event_id).metric_name)
        for alarm in read_alarms(cloudwatch, metric=metric):
            names[alarm.name] = event_id
    return names


def _wait(
    deployment: Deployment,
    drills: Iterable[TargetDrill],
    clients_for: ClientsFor,
    *,
    timeout: float,
    interval: float,
    sleep: Callable[[float], None],
) -> tuple[TargetDrill, ...]:
    targets = {t.name: t for t in deployment.targets}
    watched: list[tuple[TargetDrill, Any, dict[str, str]]] = []
    for drill in drills:
        cloudwatch = clients_for(targets[drill.target])("cloudwatch")
        watched.append((drill, cloudwatch, _watched_alarms(deployment, drill, cloudwatch)))
    deadline = time.monotonic() + timeout
    while True:
        states = [_alarm_states(cloudwatch, names) for _drill, cloudwatch, names in watched]
        done = all(s.state == "ALARM" for group in states for s in group)
        if done or time.monotonic() >= deadline:
            return tuple(
                replace(drill, alarms=group)
                for (drill, _cw, _names), group in zip(watched, states, strict=True)
            )
        sleep(min(interval, max(0.0, deadline - time.monotonic())))


def _alarm_states(cloudwatch: Any, names: Mapping[str, str]) -> tuple[AlarmState, ...]:
    states = []
    listed = sorted(names)
    # DescribeAlarms takes at most 100 names.
    for start in range(0, len(listed), 100):
        chunk = listed[start : start + 100]
        for alarm in cloudwatch.describe_alarms(AlarmNames=chunk)["MetricAlarms"]:
            states.append(
                AlarmState(names[alarm["AlarmName"]], alarm["AlarmName"], alarm["StateValue"])
            )
    return tuple(sorted(states, key=lambda s: (s.event_id, s.alarm_name)))
