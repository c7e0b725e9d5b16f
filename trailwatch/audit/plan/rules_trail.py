"""Rules for the trail and where it keeps what it logs: the trail, its log group, its bucket
(and the bucket's parts) and the customer key.
"""

from __future__ import annotations

import math
from collections.abc import Iterator

from trailwatch.audit.plan.parse import ResourceChange
from trailwatch.audit.plan.rules_common import Flag, Rule, changed_to, numbers, removed, turned_off


def trail(c: ResourceChange) -> Iterator[Flag]:
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
        if turned_off(c, attribute):
            yield "weakening", what
    if removed(c, "kms_key_id"):
        yield (
            "weakening",
            "trail KMS encryption removed: log files are no longer encrypted with the customer key",
        )
    if removed(c, "cloud_watch_logs_group_arn"):
        yield "weakening", "trail no longer delivers to CloudWatch Logs: no alarm can fire"
    elif c.changed("cloud_watch_logs_group_arn") and c.known("cloud_watch_logs_group_arn"):
        yield (
            "review",
            "trail delivers to another log group: " + changed_to(c, "cloud_watch_logs_group_arn"),
        )


def log_group(c: ResourceChange) -> Iterator[Flag]:
    if c.action == "delete":
        yield "weakening", "log group destroyed: its stored events and every filter on it go"
        return
    if c.action == "replace":
        yield "weakening", "log group replaced: its stored events are deleted"
    days = numbers(c, "retention_in_days")
    # 0 (or unset) keeps events forever.
    if days and (days[1] or math.inf) < (days[0] or math.inf):
        yield "weakening", f"log retention shortened: {changed_to(c, 'retention_in_days')} days"
    if removed(c, "kms_key_id"):
        yield "weakening", "log group KMS encryption removed"


def kms_key(c: ResourceChange) -> Iterator[Flag]:
    if c.action in ("delete", "replace"):
        window = c.before.get("deletion_window_in_days")
        when = f" (in {window} days)" if window else ""
        yield (
            "weakening",
            f"KMS key scheduled for deletion{when}: what it encrypted becomes unreadable",
        )
    if turned_off(c, "enable_key_rotation"):
        yield "weakening", "KMS key rotation turned off"
    if turned_off(c, "is_enabled"):
        yield "weakening", "KMS key disabled: the trail, log group and topic cannot use it"
    if c.action == "update" and c.changed("policy"):
        yield "review", "KMS key policy changed"


def bucket(c: ResourceChange) -> Iterator[Flag]:
    if c.action in ("delete", "replace"):
        yield "weakening", "log bucket destroyed: the trail's log files go with it"


def public_access_block(c: ResourceChange) -> Iterator[Flag]:
    if c.action == "delete":
        yield "weakening", "log bucket public access block removed"
    for attribute in (
        "block_public_acls",
        "block_public_policy",
        "ignore_public_acls",
        "restrict_public_buckets",
    ):
        if turned_off(c, attribute):
            yield "weakening", f"log bucket {attribute} turned off"


def bucket_part(what: str) -> Rule:
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
