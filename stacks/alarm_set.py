"""One metric filter and one alarm per enabled event: the loop over `events/`."""

from __future__ import annotations

from collections.abc import Mapping, Sequence

from stacks.aws import (
    CloudwatchLogMetricFilter,
    CloudwatchLogMetricFilterMetricTransformation,
    CloudwatchMetricAlarm,
    Construct,
)
from trailwatch.spec import naming
from trailwatch.spec.alarms import Alarm


class AlarmSet(Construct):
    """Filters count matching records into metrics; alarms on exactly those metrics notify the
    topics of their channels (`topic_arns`: channel -> topic)."""

    def __init__(
        self,
        scope: Construct,
        construct_id: str,
        *,
        alarms: Sequence[Alarm],
        log_group_name: str,
        namespace: str,
        topic_arns: Mapping[str, str],
        ok_actions: bool,
        insufficient_data_actions: bool,
    ) -> None:
        super().__init__(scope, construct_id)
        # Event id -> the alarm's ARN (a Terraform reference), for the dashboard.
        self.alarm_arns: dict[str, str] = {}
        for alarm in alarms:
            settings = alarm.settings
            metric_filter = CloudwatchLogMetricFilter(
                self,
                f"filter-{alarm.id}",
                name=alarm.metric_name,
                log_group_name=log_group_name,
                pattern=alarm.pattern,
                metric_transformation=CloudwatchLogMetricFilterMetricTransformation(
                    name=alarm.metric_name,
                    namespace=namespace,
                    value="1",
                    # 0 for every record that does not match: the metric has data whenever the
                    # log group receives records (see README, "default_value").
                    default_value="0" if alarm.default_value else None,
                ),
            )
            metric_filter.override_logical_id(naming.filter_id(alarm.id))
            actions = [topic_arns[channel] for channel in alarm.channels]
            made = CloudwatchMetricAlarm(
                self,
                f"alarm-{alarm.id}",
                alarm_name=alarm.alarm_name,
                alarm_description=alarm.description,
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
                # A shadow alarm keeps its actions, switched off: it still says whom it would
                # notify, the SNS checks still find its topics, and turning shadow off changes
                # only `actions_enabled` and the description, an in-place update.
                actions_enabled=not alarm.shadow,
                alarm_actions=actions,
                ok_actions=actions if ok_actions else None,
                insufficient_data_actions=actions if insufficient_data_actions else None,
                depends_on=[metric_filter],
            )
            made.override_logical_id(naming.alarm_id(alarm.id))
            self.alarm_arns[alarm.id] = made.arn
