"""The review rules: which planned changes weaken the security alarms, or need a second look.

One rule per resource type (`RULES`: a change in, (kind, reason) flags out), plus three that
look across a stack: `subscriptions` (they are numbered, so dropping the first of two addresses
rewrites #0 and destroys #1), `default_value_counts` (a filter's default_value and the statistic
of the alarm on its metric, `trailwatch.spec.firing`) and `covered` (what a destroyed parent
already reports: a bucket's settings, a topic's policy). `review.review` runs them over every
stack.

The rules live by what they review: `rules_trail` (the trail, its log group, bucket and key),
`rules_alarms` (metric filters, alarms, the dashboard; `default_value_counts`) and
`rules_notifications` (topics, their policy, AWS Chatbot channels; `subscriptions`),
`rules_events` (EventBridge rules and targets; `rule_pattern` judges a rule's pattern), on the
helpers of `rules_common`. This module holds the one table from resource type to rule.

Rules compare raw values but word them with masked ones (`masking.show`). Filters and alarms are
read as the inventory models them (`trailwatch.inventory`), as coverage and drift read them.
"""

from __future__ import annotations

from collections.abc import Sequence

from trailwatch.audit.plan import rules_alarms, rules_events, rules_notifications, rules_trail
from trailwatch.audit.plan.parse import ResourceChange
from trailwatch.audit.plan.rules_alarms import default_value_counts
from trailwatch.audit.plan.rules_common import Flag, Rule
from trailwatch.audit.plan.rules_notifications import subscriptions
from trailwatch.inventory.resources import CHAT_TYPES, EVENT_RULE_TYPE, EVENT_TARGET_TYPE

__all__ = ["RULES", "Flag", "Rule", "covered", "default_value_counts", "subscriptions"]


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


RULES: dict[str, Rule] = {
    **{type_: rules_notifications.chat(kind) for kind, type_ in CHAT_TYPES.items()},
    "aws_cloudwatch_dashboard": rules_alarms.dashboard,
    "aws_cloudtrail": rules_trail.trail,
    "aws_cloudwatch_log_group": rules_trail.log_group,
    "aws_cloudwatch_log_metric_filter": rules_alarms.metric_filter,
    "aws_cloudwatch_metric_alarm": rules_alarms.alarm,
    EVENT_RULE_TYPE: rules_events.rule,
    EVENT_TARGET_TYPE: rules_events.target,
    "aws_kms_key": rules_trail.kms_key,
    "aws_sns_topic": rules_notifications.topic,
    "aws_sns_topic_policy": rules_notifications.topic_policy,
    "aws_s3_bucket": rules_trail.bucket,
    "aws_s3_bucket_public_access_block": rules_trail.public_access_block,
    "aws_s3_bucket_policy": rules_trail.bucket_part(
        "policy (TLS-only access, CloudTrail's write permission)"
    ),
    "aws_s3_bucket_server_side_encryption_configuration": rules_trail.bucket_part(
        "default encryption"
    ),
    "aws_s3_bucket_versioning": rules_trail.bucket_part("versioning"),
}
