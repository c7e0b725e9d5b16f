"""Rules for who the alarms notify: the alarm topics and their policy, the AWS Chatbot channels,
and `subscriptions`, which compares a stack's topic subscriptions together.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from typing import Any

from trailwatch.audit.plan.masking import show
from trailwatch.audit.plan.parse import ResourceChange
from trailwatch.audit.plan.report import Kind
from trailwatch.audit.plan.rules_common import Flag, Rule, changed_to, removed
from trailwatch.inventory.resources import Resource, chat_channel
from trailwatch.spec import naming


def topic(c: ResourceChange) -> Iterator[Flag]:
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
    if removed(c, "kms_master_key_id"):
        yield "weakening", f"{what} encryption removed"


def topic_policy(c: ResourceChange) -> Iterator[Flag]:
    if c.action == "delete":
        yield "weakening", "alarm topic policy removed: the topic falls back to its default policy"
    elif c.changed("policy"):
        yield "review", "alarm topic policy changed"


def chat(kind: str) -> Rule:
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
                    + changed_to(c, "guardrail_policy_arns"),
                )
        if c.changed("iam_role_arn") and c.known("iam_role_arn"):
            yield "review", f"AWS Chatbot {label} channel {channel} assumes another role"

    return rule


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
