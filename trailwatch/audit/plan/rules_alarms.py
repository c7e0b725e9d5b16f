"""Rules for what counts and raises the alarms: metric filters, alarms and their dashboard, and
`default_value_counts`, which reads a filter and the alarm on its metric together.

Filters and alarms are read as the inventory models them (`trailwatch.inventory`), as coverage
and drift read them.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping, Sequence
from typing import Any

from trailwatch.audit.plan.masking import Hidden
from trailwatch.audit.plan.parse import ResourceChange
from trailwatch.audit.plan.pattern_review import filters_of
from trailwatch.audit.plan.report import Kind
from trailwatch.audit.plan.rules_common import Flag, changed_to
from trailwatch.inventory.model import MetricAlarm, MetricFilter
from trailwatch.inventory.resources import Resource, first, metric_alarm
from trailwatch.spec import firing
from trailwatch.spec.alarms import SHADOW_DESCRIPTION


def metric_filter(c: ResourceChange) -> Iterator[Flag]:
    if c.action == "delete":
        yield "weakening", "metric filter destroyed: its events are no longer counted"
        return
    if c.changed("log_group_name") and c.known("log_group_name"):
        yield "review", "metric filter reads another log group: " + changed_to(c, "log_group_name")
    if c.changed("metric_transformation") and c.known("metric_transformation"):
        before_filter, after_filter = filters_of(c)
        before = _transformation(before_filter, c.before)
        after = _transformation(after_filter, c.after)
        if before != after:
            yield (
                "review",
                f"metric filter counts into another metric: {'/'.join(before)} → {'/'.join(after)}",
            )


def _transformation(counted: MetricFilter, values: Mapping[str, Any]) -> tuple[str, str, str]:
    """Namespace, metric and value a filter counts into.

    The inventory's filter has no value (every trailwatch filter counts 1): read from the plan.
    """
    value = str(first(values.get("metric_transformation")).get("value", ""))
    return counted.namespace, counted.metric_name, value


# Alarm action lists (the same names in Terraform and in MetricAlarm): what removing one means.
_ACTION_LISTS: tuple[tuple[str, Kind, str], ...] = (
    ("alarm_actions", "weakening", "alarm actions removed"),
    ("ok_actions", "review", "OK actions removed"),
    ("insufficient_data_actions", "review", "insufficient-data actions removed"),
)


_LAXER_COMPARISON = {
    ("GreaterThanOrEqualToThreshold", "GreaterThanThreshold"),
    ("LessThanOrEqualToThreshold", "LessThanThreshold"),
}


def alarm(c: ResourceChange) -> Iterator[Flag]:
    if c.action == "delete":
        yield "weakening", "alarm destroyed: its events notify nobody"
        return
    if c.action == "create":
        created = metric_alarm(Resource(c.type, c.name, c.after))
        if not created.actions_enabled and _shadow(c.after) and c.known("actions_enabled"):
            yield (
                "review",
                "alarm created as a shadow (actions off): it counts, and notifies nobody until "
                "shadow is turned off",
            )
        yield from _cannot_fire(c, None, created)
        return
    if c.action not in ("update", "replace"):
        return
    before = metric_alarm(Resource(c.type, c.name, c.before))
    after = metric_alarm(Resource(c.type, c.name, c.after))
    yield from _actions_switched(c, before, after)
    for attribute, kind, what in _ACTION_LISTS:
        yield from _actions_removed(c, attribute, before, after, kind, what)
    yield from _alarm_firing(c, before, after)
    yield from _alarm_comparison(c, before, after)
    yield from _cannot_fire(c, before, after)
    for attribute in ("statistic", "treat_missing_data", "metric_name", "namespace"):
        if c.changed(attribute) and c.known(attribute):
            yield "review", f"alarm {attribute} changed: {changed_to(c, attribute)}"


def _shadow(values: Mapping[str, Any]) -> bool:
    """The alarm's description says trailwatch deploys it as a shadow (`overrides.<id>.shadow`)."""
    return str(values.get("alarm_description") or "").startswith(SHADOW_DESCRIPTION)


def _actions_switched(c: ResourceChange, before: MetricAlarm, after: MetricAlarm) -> Iterator[Flag]:
    """Actions turned off (shadow on, or by hand) weaken the alarm; turned on, strengthen it."""
    if before.actions_enabled == after.actions_enabled or not c.known("actions_enabled"):
        return
    if not after.actions_enabled:
        if _shadow(c.after):
            yield (
                "weakening",
                "alarm turned into a shadow (actions_enabled false): it counts, and notifies "
                "nobody until shadow is turned off",
            )
        else:
            yield "weakening", "alarm actions disabled (actions_enabled false): it notifies nobody"
    elif _shadow(c.before):
        yield "strengthening", "alarm is no longer a shadow (actions_enabled true): it notifies"
    else:
        yield "strengthening", "alarm actions enabled (actions_enabled true): it notifies"


def _alarm_firing(c: ResourceChange, before: MetricAlarm, after: MetricAlarm) -> Iterator[Flag]:
    """Threshold, period and M-of-N changes that make the alarm fire later or less often."""
    if c.known("threshold") and before.threshold != after.threshold:
        raised = after.threshold > before.threshold
        # A higher threshold is laxer for "greater than" alarms, a lower one for "less than".
        if raised == after.comparison.startswith("Greater"):
            verb = "raised" if raised else "lowered"
            yield "weakening", f"alarm threshold {verb}: {changed_to(c, 'threshold')}"
    if c.known("period") and after.period > before.period:
        yield "weakening", f"alarm period lengthened: {changed_to(c, 'period')} s"
    if not (c.known("datapoints_to_alarm") and c.known("evaluation_periods")):
        return
    # How many breaching periods the alarm needs (M of M-of-N).
    needed = (_needed(before), _needed(after))
    if needed[1] > needed[0]:
        yield (
            "weakening",
            f"alarm needs more breaching periods: {needed[0]} → {needed[1]} datapoints",
        )
    window = (before.evaluation_periods, after.evaluation_periods)
    if window[1] < window[0] and needed[1] >= needed[0]:
        # M breaching periods must now fall inside a shorter window: it fires less often.
        yield (
            "weakening",
            f"alarm window narrowed: {window[0]:g} → {window[1]:g} evaluation periods "
            f"for {needed[1]} breaching",
        )


def _needed(alarm: MetricAlarm) -> int:
    return alarm.datapoints_to_alarm or alarm.evaluation_periods


def _alarm_comparison(c: ResourceChange, before: MetricAlarm, after: MetricAlarm) -> Iterator[Flag]:
    if c.changed("comparison_operator") and c.known("comparison_operator"):
        pair = (before.comparison, after.comparison)
        flipped = pair[0][:4] != pair[1][:4]
        kind: Kind = "weakening" if pair in _LAXER_COMPARISON or flipped else "review"
        reason = "alarm comparison changed"
        if flipped:
            reason = "alarm comparison reversed: it now fires on the opposite condition"
        yield kind, f"{reason}: {changed_to(c, 'comparison_operator')}"


_FIRING_ATTRIBUTES = (
    "statistic",
    "comparison_operator",
    "threshold",
    "evaluation_periods",
    "datapoints_to_alarm",
)


def _firing(alarm: MetricAlarm, *, default_value: bool = False) -> set[str]:
    """Why an alarm's settings can never fire on a trailwatch metric (`spec.firing`)."""
    return set(
        firing.problems(
            firing.FiringSettings(
                statistic=alarm.statistic,
                comparison=alarm.comparison,
                threshold=alarm.threshold,
                evaluation_periods=alarm.evaluation_periods,
                datapoints_to_alarm=alarm.datapoints_to_alarm,
                default_value=default_value,
            )
        )
    )


def _cannot_fire(
    c: ResourceChange, before: MetricAlarm | None, after: MetricAlarm
) -> Iterator[Flag]:
    """Settings that can never reach ALARM, flagged when this change brings them in."""
    if not all(c.known(a) for a in _FIRING_ATTRIBUTES):
        return
    found = _firing(after) - (_firing(before) if before is not None else set())
    for problem in sorted(found):
        yield "weakening", f"alarm can never fire: {problem}"


def _actions_removed(
    c: ResourceChange,
    attribute: str,
    before: MetricAlarm,
    after: MetricAlarm,
    kind: Kind,
    what: str,
) -> Iterator[Flag]:
    if not c.known(attribute):
        return
    now: tuple[str, ...] = getattr(after, attribute)
    gone = [a for a in getattr(before, attribute) if a not in now]
    if not gone:
        return
    if c.sensitive(attribute):
        yield kind, f"{what}: {Hidden.SENSITIVE.value}"
        return
    still = f" (now {', '.join(now)})" if now else ""
    yield kind, f"{what}: {', '.join(gone)}{still}"


def dashboard(c: ResourceChange) -> Iterator[Flag]:
    if c.action == "delete":
        yield "review", "alarm dashboard destroyed"


def default_value_counts(changes: Sequence[ResourceChange]) -> Iterator[tuple[str, Kind, str]]:
    """Alarms that the plan makes count quiet periods: a filter with `default_value` and an
    alarm on its metric whose statistic counts the zeros (`spec.firing`). Both must be in the
    plan: one that does not change is not in it."""
    filters = {}
    for c in changes:
        if c.type == "aws_cloudwatch_log_metric_filter" and c.action != "delete":
            after_filter = filters_of(c)[1]
            filters[after_filter.metric] = (
                _has_default_value(c.before) if c.action != "create" else False,
                _has_default_value(c.after),
            )
    for c in changes:
        if c.type != "aws_cloudwatch_metric_alarm" or c.action == "delete":
            continue
        if not all(c.known(a) for a in _FIRING_ATTRIBUTES):
            continue
        after = metric_alarm(Resource(c.type, c.name, c.after))
        if after.metric not in filters:
            continue
        had, has = filters[after.metric]
        found = _firing(after, default_value=has) - _firing(after)
        if c.action != "create":
            before = metric_alarm(Resource(c.type, c.name, c.before))
            found -= _firing(before, default_value=had)
        for problem in sorted(found):
            yield c.address, "weakening", f"alarm can never fire: {problem}"


def _has_default_value(values: Mapping[str, Any]) -> bool:
    value = first(values.get("metric_transformation")).get("default_value")
    return value not in (None, "")
