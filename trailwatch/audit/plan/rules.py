"""The review rules: which planned changes weaken the security alarms, or need a second look.

One rule per resource type (`RULES`: a change in, (kind, reason) flags out), plus three that
look across a stack: `subscriptions` (they are numbered, so dropping the first of two addresses
rewrites #0 and destroys #1), `default_value_counts` (a filter's default_value and the statistic
of the alarm on its metric, `trailwatch.spec.firing`) and `covered` (what a destroyed parent
already reports: a bucket's settings, a topic's policy). `review.review` runs them over every
stack.

Rules compare raw values but word them with masked ones (`masking.show`). Filters and alarms are
read as the inventory models them (`trailwatch.inventory`), as coverage and drift read them.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Iterator, Mapping, Sequence
from typing import Any

from trailwatch.audit.plan.masking import Hidden, show
from trailwatch.audit.plan.parse import ResourceChange, unset
from trailwatch.audit.plan.pattern_review import filters_of
from trailwatch.audit.plan.report import Kind
from trailwatch.inventory.model import MetricAlarm, MetricFilter
from trailwatch.inventory.resources import (
    CHAT_TYPES,
    Resource,
    chat_channel,
    first,
    metric_alarm,
)
from trailwatch.spec import firing, naming

Flag = tuple[Kind, str]
Rule = Callable[[ResourceChange], Iterator[Flag]]


def covered(changes: Sequence[ResourceChange]) -> set[str]:
    """Resources whose removal a destroyed parent already reports (a bucket's settings, say)."""
    gone_buckets = {
        c.before.get("bucket")
        for c in changes
        if c.type == "aws_s3_bucket" and c.action in ("delete", "replace")
    }
    gone_topics = {
        c.before.get("arn")
        for c in changes
        if c.type == "aws_sns_topic" and c.action in ("delete", "replace")
    }
    covered = set()
    for c in changes:
        if c.action != "delete":
            continue
        if c.type.startswith("aws_s3_bucket_") and c.before.get("bucket") in gone_buckets:
            covered.add(c.address)
        if c.type == "aws_sns_topic_policy" and c.before.get("arn") in gone_topics:
            covered.add(c.address)
    return covered


# --- rule helpers ----------------------------------------------------------------------


def _turned_off(c: ResourceChange, attribute: str) -> bool:
    return (
        c.action in ("update", "replace")
        and c.before.get(attribute) is True
        and c.known(attribute)
        and c.after.get(attribute) in (False, None)
    )


def _removed(c: ResourceChange, attribute: str) -> bool:
    return (
        c.action in ("update", "replace")
        and not unset(c.before.get(attribute))
        and c.known(attribute)
        and unset(c.after.get(attribute))
    )


def _numbers(c: ResourceChange, attribute: str) -> tuple[float, float] | None:
    """Before and after of a numeric attribute, when both are known numbers."""
    if c.action not in ("update", "replace") or not c.known(attribute):
        return None
    before, after = c.before.get(attribute), c.after.get(attribute)
    if isinstance(before, int | float) and isinstance(after, int | float):
        return float(before), float(after)
    return None


def _changed_to(c: ResourceChange, attribute: str) -> str:
    return f"{show(c.shown_before(attribute))} → {show(c.shown_after(attribute))}"


# --- rules per resource type -------------------------------------------------------------


def _trail(c: ResourceChange) -> Iterator[Flag]:
    if c.action == "delete":
        yield "weakening", "trail destroyed: API calls are no longer logged"
        return
    if c.action == "replace":
        yield "review", "trail replaced: nothing is logged while it is recreated"
    for attribute, what in (
        ("enable_logging", "trail logging turned off: API calls are no longer logged"),
        ("is_multi_region_trail", "multi-region turned off: other regions' calls go unseen"),
        ("enable_log_file_validation", "log file validation turned off: tampering goes unseen"),
        ("include_global_service_events", "global service events (IAM, STS) turned off"),
    ):
        if _turned_off(c, attribute):
            yield "weakening", what
    if _removed(c, "kms_key_id"):
        yield (
            "weakening",
            "trail KMS encryption removed: log files are no longer encrypted with the customer key",
        )
    if _removed(c, "cloud_watch_logs_group_arn"):
        yield "weakening", "trail no longer delivers to CloudWatch Logs: no alarm can fire"
    elif c.changed("cloud_watch_logs_group_arn") and c.known("cloud_watch_logs_group_arn"):
        yield (
            "review",
            "trail delivers to another log group: " + _changed_to(c, "cloud_watch_logs_group_arn"),
        )


def _log_group(c: ResourceChange) -> Iterator[Flag]:
    if c.action == "delete":
        yield "weakening", "log group destroyed: its stored events and every filter on it go"
        return
    if c.action == "replace":
        yield "weakening", "log group replaced: its stored events are deleted"
    days = _numbers(c, "retention_in_days")
    # 0 (or unset) keeps events forever.
    if days and (days[1] or math.inf) < (days[0] or math.inf):
        yield "weakening", f"log retention shortened: {_changed_to(c, 'retention_in_days')} days"
    if _removed(c, "kms_key_id"):
        yield "weakening", "log group KMS encryption removed"


def _metric_filter(c: ResourceChange) -> Iterator[Flag]:
    if c.action == "delete":
        yield "weakening", "metric filter destroyed: its events are no longer counted"
        return
    if c.changed("log_group_name") and c.known("log_group_name"):
        yield "review", "metric filter reads another log group: " + _changed_to(c, "log_group_name")
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


def _alarm(c: ResourceChange) -> Iterator[Flag]:
    if c.action == "delete":
        yield "weakening", "alarm destroyed: its events notify nobody"
        return
    if c.action == "create":
        yield from _cannot_fire(c, None, metric_alarm(Resource(c.type, c.name, c.after)))
        return
    if c.action not in ("update", "replace"):
        return
    before = metric_alarm(Resource(c.type, c.name, c.before))
    after = metric_alarm(Resource(c.type, c.name, c.after))
    if before.actions_enabled and not after.actions_enabled and c.known("actions_enabled"):
        yield "weakening", "alarm actions disabled (actions_enabled false): it notifies nobody"
    for attribute, kind, what in _ACTION_LISTS:
        yield from _actions_removed(c, attribute, before, after, kind, what)
    yield from _alarm_firing(c, before, after)
    yield from _alarm_comparison(c, before, after)
    yield from _cannot_fire(c, before, after)
    for attribute in ("statistic", "treat_missing_data", "metric_name", "namespace"):
        if c.changed(attribute) and c.known(attribute):
            yield "review", f"alarm {attribute} changed: {_changed_to(c, attribute)}"


def _alarm_firing(c: ResourceChange, before: MetricAlarm, after: MetricAlarm) -> Iterator[Flag]:
    """Threshold, period and M-of-N changes that make the alarm fire later or less often."""
    if c.known("threshold") and before.threshold != after.threshold:
        raised = after.threshold > before.threshold
        # A higher threshold is laxer for "greater than" alarms, a lower one for "less than".
        if raised == after.comparison.startswith("Greater"):
            verb = "raised" if raised else "lowered"
            yield "weakening", f"alarm threshold {verb}: {_changed_to(c, 'threshold')}"
    if c.known("period") and after.period > before.period:
        yield "weakening", f"alarm period lengthened: {_changed_to(c, 'period')} s"
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
        yield kind, f"{reason}: {_changed_to(c, 'comparison_operator')}"


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


def _kms_key(c: ResourceChange) -> Iterator[Flag]:
    if c.action in ("delete", "replace"):
        window = c.before.get("deletion_window_in_days")
        when = f" (in {window} days)" if window else ""
        yield (
            "weakening",
            f"KMS key scheduled for deletion{when}: what it encrypted becomes unreadable",
        )
    if _turned_off(c, "enable_key_rotation"):
        yield "weakening", "KMS key rotation turned off"
    if _turned_off(c, "is_enabled"):
        yield "weakening", "KMS key disabled: the trail, log group and topic cannot use it"
    if c.action == "update" and c.changed("policy"):
        yield "review", "KMS key policy changed"


def _topic(c: ResourceChange) -> Iterator[Flag]:
    channel = naming.channel_of_topic(c.name)
    what = (
        "alarm topic"
        if channel in (None, naming.DEFAULT_CHANNEL)
        else f"alarm topic of channel {channel}"
    )
    if c.action == "delete":
        yield "weakening", f"{what} destroyed: alarms have nowhere to notify"
        return
    if c.action == "replace":
        yield "weakening", f"{what} replaced: every subscriber must confirm again"
    if _removed(c, "kms_master_key_id"):
        yield "weakening", f"{what} encryption removed"


def _chat(kind: str) -> Rule:
    label = {"slack": "Slack", "teams": "Teams"}[kind]

    def rule(c: ResourceChange) -> Iterator[Flag]:
        before = chat_channel(kind, Resource(c.type, c.name, c.before))
        after = chat_channel(kind, Resource(c.type, c.name, c.after))
        channel = before.channel_id or after.channel_id
        if c.action == "delete":
            yield (
                "weakening",
                f"AWS Chatbot {label} configuration destroyed: channel {channel} no longer "
                "receives alarms",
            )
            return
        if c.action == "replace":
            yield "review", f"AWS Chatbot {label} configuration for channel {channel} recreated"
        if c.action not in ("update", "replace"):
            return
        if c.known("sns_topic_arns"):
            gone = [t for t in before.topic_arns if t not in after.topic_arns]
            if gone:
                yield (
                    "weakening",
                    f"AWS Chatbot {label} channel {channel} no longer receives topic "
                    + ", ".join(gone),
                )
        if c.known("guardrail_policy_arns") and c.changed("guardrail_policy_arns"):
            if before.guardrail_policy_arns and not after.guardrail_policy_arns:
                yield (
                    "weakening",
                    f"AWS Chatbot {label} channel {channel} guardrail removed: channel members "
                    "may do what AdministratorAccess allows",
                )
            else:
                yield (
                    "review",
                    f"AWS Chatbot {label} channel {channel} guardrail changed: "
                    + _changed_to(c, "guardrail_policy_arns"),
                )
        if c.changed("iam_role_arn") and c.known("iam_role_arn"):
            yield "review", f"AWS Chatbot {label} channel {channel} assumes another role"

    return rule


def _dashboard(c: ResourceChange) -> Iterator[Flag]:
    if c.action == "delete":
        yield "review", "alarm dashboard destroyed"


def _topic_policy(c: ResourceChange) -> Iterator[Flag]:
    if c.action == "delete":
        yield "weakening", "alarm topic policy removed: the topic falls back to its default policy"
    elif c.changed("policy"):
        yield "review", "alarm topic policy changed"


def _bucket(c: ResourceChange) -> Iterator[Flag]:
    if c.action in ("delete", "replace"):
        yield "weakening", "log bucket destroyed: the trail's log files go with it"


def _public_access_block(c: ResourceChange) -> Iterator[Flag]:
    if c.action == "delete":
        yield "weakening", "log bucket public access block removed"
    for attribute in (
        "block_public_acls",
        "block_public_policy",
        "ignore_public_acls",
        "restrict_public_buckets",
    ):
        if _turned_off(c, attribute):
            yield "weakening", f"log bucket {attribute} turned off"


def _bucket_part(what: str) -> Rule:
    def rule(c: ResourceChange) -> Iterator[Flag]:
        if c.action == "delete":
            yield "weakening", f"log bucket {what} removed"
        elif c.type == "aws_s3_bucket_versioning" and c.known("versioning_configuration"):
            before = (c.before.get("versioning_configuration") or [{}])[0].get("status")
            after = (c.after.get("versioning_configuration") or [{}])[0].get("status")
            if before == "Enabled" and after != "Enabled":
                yield "weakening", f"log bucket versioning suspended ({before} → {after})"
        elif c.type == "aws_s3_bucket_policy" and c.changed("policy"):
            yield "review", "log bucket policy changed"

    return rule


RULES: dict[str, Rule] = {
    **{type_: _chat(kind) for kind, type_ in CHAT_TYPES.items()},
    "aws_cloudwatch_dashboard": _dashboard,
    "aws_cloudtrail": _trail,
    "aws_cloudwatch_log_group": _log_group,
    "aws_cloudwatch_log_metric_filter": _metric_filter,
    "aws_cloudwatch_metric_alarm": _alarm,
    "aws_kms_key": _kms_key,
    "aws_sns_topic": _topic,
    "aws_sns_topic_policy": _topic_policy,
    "aws_s3_bucket": _bucket,
    "aws_s3_bucket_public_access_block": _public_access_block,
    "aws_s3_bucket_policy": _bucket_part("policy (TLS-only access, CloudTrail's write permission)"),
    "aws_s3_bucket_server_side_encryption_configuration": _bucket_part("default encryption"),
    "aws_s3_bucket_versioning": _bucket_part("versioning"),
}


def subscriptions(changes: Sequence[ResourceChange]) -> Iterator[tuple[str, Kind, str]]:
    """Subscribers that the plan drops, or recreates (which makes e-mail ones confirm again).

    Compared across the stack, because subscriptions are numbered: dropping the first of two
    addresses replaces #0 with the second address and destroys #1.
    """
    subs = [c for c in changes if c.type == "aws_sns_topic_subscription"]
    # (channel, protocol, endpoint) raw, for comparing -> (address, masked, for wording); the
    # channel comes from the logical id, so a subscriber moved to another channel is removed
    # from the first.
    before: dict[tuple[Any, Any, Any], tuple[str, str, str]] = {}
    for c in subs:
        if c.action in ("delete", "replace", "update") and c.before:
            key = (
                naming.channel_of_subscription(c.name),
                c.before.get("protocol"),
                c.before.get("endpoint"),
            )
            shown = (show(c.shown_before("protocol")), show(c.shown_before("endpoint")))
            before[key] = (c.address, *shown)
    after = {
        (
            naming.channel_of_subscription(c.name),
            c.after.get("protocol"),
            c.after.get("endpoint"),
        ): c.action
        for c in subs
        if c.action in ("create", "replace", "update") and c.known("endpoint")
    }
    for key, (address, protocol, endpoint) in before.items():
        if key not in after:
            channel = key[0]
            of = "" if channel in (None, naming.DEFAULT_CHANNEL) else f" (channel {channel})"
            yield address, "weakening", f"topic subscription removed{of}: {protocol} {endpoint}"
        elif protocol.startswith("email") and after[key] in ("create", "replace"):
            yield (
                address,
                "review",
                f"{protocol} subscription {endpoint} recreated: it must be confirmed again",
            )


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
