"""`tune --from-metrics`: a deployed filter's metric read back, and the periods it would alarm.

A shadow alarm (`overrides.<id>.shadow`) deploys its filter and metric with the alarm's actions
off; this reads the metric's datapoints with CloudWatch GetMetricData (the Sum per alarm period,
each match publishing 1) and runs them through the same alarm simulation as replay.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from trailwatch.errors import InputError
from trailwatch.replay.alarm_simulation import AlarmPeriod, AlarmSimulation, iso_utc
from trailwatch.spec.alarms import Alarm
from trailwatch.spec.model import Deployment
from trailwatch.spec.targets import Target


@dataclass(frozen=True)
class MetricPeriods:
    """One alarm's metric in one target: its datapoints and the periods it would be in ALARM."""

    target: str
    event_id: str
    metric_name: str
    shadow: bool
    # Periods with a datapoint, and the Sum over them (matches of the filter).
    datapoints: int
    matches: int
    alarms: tuple[AlarmPeriod, ...]

    def to_json(self) -> dict[str, Any]:
        return {
            "target": self.target,
            "event": self.event_id,
            "metric_name": self.metric_name,
            "shadow": self.shadow,
            "datapoints": self.datapoints,
            "matches": self.matches,
            "alarm_periods": [p.to_json() for p in self.alarms],
        }


@dataclass(frozen=True)
class MetricsResult:
    """What `tune --from-metrics` read, between `since` and `until` (epoch seconds)."""

    namespace: str
    since: int
    until: int
    metrics: tuple[MetricPeriods, ...]

    @property
    def alarmed(self) -> bool:
        return any(m.alarms for m in self.metrics)

    def to_json(self) -> dict[str, Any]:
        return {
            "namespace": self.namespace,
            "since": iso_utc(self.since),
            "until": iso_utc(self.until),
            "metrics": [m.to_json() for m in self.metrics],
        }


def is_shadow(alarm: Alarm) -> bool:
    return alarm.shadow


def chosen_alarms(alarms: Sequence[Alarm], events: Sequence[str] | None) -> list[Alarm]:
    """The alarms named by `--event`; by default the shadow ones, or every one if none is."""
    if events:
        known = {a.id: a for a in alarms}
        unknown = [e for e in events if e not in known]
        if unknown:
            raise InputError(
                f"--event: {', '.join(unknown)} is not an enabled event; known: {', '.join(known)}"
            )
        return [known[e] for e in dict.fromkeys(events)]
    shadow = [a for a in alarms if is_shadow(a)]
    return shadow or list(alarms)


def metric_periods(
    deployment: Deployment,
    targets: Sequence[Target],
    since: int,
    until: int,
    *,
    events: Sequence[str] | None = None,
    endpoint_url: str | None = None,
) -> MetricsResult:
    """Read each chosen alarm's metric in each target and simulate its alarm on the datapoints."""
    from trailwatch.drill.clients import AwsClients
    from trailwatch.errors import DrillError

    if until <= since:
        raise InputError(f"--since {iso_utc(since)} is not before --until {iso_utc(until)}")
    namespace = deployment.config.namespace
    found = []
    for target in targets:
        try:
            clients = AwsClients(target, endpoint_url or deployment.endpoint_url)
        except DrillError as err:
            # The drill's clients say "drill <target>: ..."; here it is tune that asked.
            raise InputError(str(err).replace("drill ", "tune --from-metrics: ", 1)) from None
        cloudwatch = clients("cloudwatch")
        for alarm in chosen_alarms(deployment.alarms_for(target), events):
            sums = _sums(cloudwatch, namespace, alarm, since, until)
            simulation = AlarmSimulation(alarm.settings)
            simulation.add_counts(sums)
            found.append(
                MetricPeriods(
                    target=target.name,
                    event_id=alarm.id,
                    metric_name=alarm.metric_name,
                    shadow=is_shadow(alarm),
                    datapoints=len(sums),
                    matches=sum(sums.values()),
                    alarms=tuple(simulation.alarm_periods((since, until))),
                )
            )
    return MetricsResult(namespace, since, until, tuple(found))


def _sums(cloudwatch: Any, namespace: str, alarm: Alarm, since: int, until: int) -> dict[int, int]:
    """The metric's Sum per alarm period, by period start (epoch seconds)."""
    from botocore.exceptions import BotoCoreError, ClientError  # type: ignore[import-untyped]

    period = alarm.settings.period
    query = {
        "Id": "matches",
        "MetricStat": {
            "Metric": {"Namespace": namespace, "MetricName": alarm.metric_name},
            "Period": period,
            "Stat": "Sum",
        },
        "ReturnData": True,
    }
    params: dict[str, Any] = {
        "MetricDataQueries": [query],
        # Aligned on the period, so each datapoint is one whole alarm period.
        "StartTime": datetime.fromtimestamp(since - since % period, UTC),
        "EndTime": datetime.fromtimestamp(until, UTC),
        "ScanBy": "TimestampAscending",
    }
    sums: dict[int, int] = {}
    try:
        while True:
            page = cloudwatch.get_metric_data(**params)
            for result in page.get("MetricDataResults", []):
                for moment, value in zip(result["Timestamps"], result["Values"], strict=True):
                    start = int(moment.timestamp())
                    start -= start % period
                    sums[start] = sums.get(start, 0) + round(value)
            if not page.get("NextToken"):
                return sums
            params["NextToken"] = page["NextToken"]
    except (BotoCoreError, ClientError) as err:
        raise InputError(f"GetMetricData {namespace}/{alarm.metric_name} failed: {err}") from None
