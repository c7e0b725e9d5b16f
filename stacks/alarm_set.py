"""One metric filter and one alarm per enabled event: the loop over `events/`."""

from __future__ import annotations

from collections.abc import Sequence

from stacks.aws import (
    CloudwatchLogMetricFilter,
    CloudwatchLogMetricFilterMetricTransformation,
    CloudwatchMetricAlarm,
    Construct,
)
from trailwatch.spec import naming
from trailwatch.spec.model import Alarm


class AlarmSet(Construct):
    """Filters count matching records into metrics; alarms on exactly those metrics notify."""

    def __init__(
        self,
        scope: Construct,
        construct_id: str,
        *,
        alarms: Sequence[Alarm],
        log_group_name: str,
        namespace: str,
        topic_arn: str,
        ok_actions: bool,
        insufficient_data_actions: bool,
    ) -> None:
        super().__init__(scope, construct_id)
        for alarm in alarms:
            settings = alarm.settings
            metric_filter = CloudwatchLogMetricFilter(
                self,
                f"filter-{alarm.id}",
                name=alarm.metric_name,
                log_group_name=log_group_name,
                pattern=alarm.pattern,
                metric_transformation=CloudwatchLogMetricFilterMetricTransformation(
                    name=alarm.metric_name, namespace=namespace, value="1"
                ),
            )
            metric_filter.override_logical_id(naming.filter_id(alarm.id))
            CloudwatchMetricAlarm(
                self,
                f"alarm-{alarm.id}",
                alarm_name=alarm.alarm_name,
                alarm_description=(
                    f"{alarm.event.title} (trailwatch event {alarm.id}). {alarm.event.description}"
                )[:1024],
                # The same model values as the filter's, written out literally so that plans
                # and scanners read the names; the model makes them equal by construction.
                metric_name=alarm.metric_name,
                namespace=namespace,
                statistic=settings.statistic,
                period=settings.period,
                evaluation_periods=settings.evaluation_periods,
                datapoints_to_alarm=settings.datapoints_to_alarm,
                threshold=settings.threshold,
                comparison_operator=settings.comparison,
                treat_missing_data=settings.treat_missing_data,
                actions_enabled=True,
                alarm_actions=[topic_arn],
                ok_actions=[topic_arn] if ok_actions else None,
                insufficient_data_actions=[topic_arn] if insufficient_data_actions else None,
                depends_on=[metric_filter],
            ).override_logical_id(naming.alarm_id(alarm.id))
