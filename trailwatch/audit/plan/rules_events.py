"""Rules for the per-event path: EventBridge rules and their targets (one per routed channel).

A rule destroyed or disabled, or a target destroyed, stops an event's messages: a weakening;
so does a rule leaving ENABLED_WITH_ALL_CLOUDTRAIL_MANAGEMENT_EVENTS (only that state sees
read-only calls, which authorization failures and root usage include).
A rule whose new pattern no longer matches a catalog sample the old one matched is narrowed:
a weakening too (`rule_pattern`, judged by moto's EventBridge matcher over the samples in
CloudTrail's EventBridge envelope). A rule or target created strengthens the alerting: it is
listed for review, worded as such.
"""

from __future__ import annotations

from collections.abc import Iterator

from trailwatch.audit.plan.masking import Hidden, show
from trailwatch.audit.plan.parse import ResourceChange
from trailwatch.audit.plan.pattern_review import Evidence
from trailwatch.audit.plan.rules_common import Flag, changed_to
from trailwatch.inventory.model import ALL_MANAGEMENT_EVENTS
from trailwatch.inventory.resources import Resource, event_rule
from trailwatch.spec import naming


def _event(c: ResourceChange) -> str:
    named = naming.event_of_rule(c.name)
    return f"of {named}" if named else c.name


def rule(c: ResourceChange) -> Iterator[Flag]:
    what = f"EventBridge rule {_event(c)}"
    if c.action == "delete":
        yield "weakening", f"{what} destroyed: its per-event messages stop"
        return
    if c.action == "create":
        yield "review", f"strengthening: {what} created: the event is also sent per event"
        return
    before = event_rule(Resource(c.type, c.name, c.before))
    after = event_rule(Resource(c.type, c.name, c.after))
    known = c.known("state") if c.after.get("state") else c.known("is_enabled")
    if before.enabled and known and not after.enabled:
        yield "weakening", f"{what} disabled ({after.state}): it sends nothing"
    elif known and before.state == ALL_MANAGEMENT_EVENTS and after.state != before.state:
        yield (
            "weakening",
            f"{what} state {before.state} → {after.state}: it no longer sees read-only calls",
        )
    if c.action == "replace":
        yield "review", f"{what} recreated: no messages between its destroy and create"


def target(c: ResourceChange) -> Iterator[Flag]:
    named = naming.event_and_channel_of_target(c.name)
    what = (
        f"EventBridge target of {named[0]} to channel {named[1]}"
        if named
        else f"EventBridge target {c.name}"
    )
    if c.action == "delete":
        yield "weakening", f"{what} destroyed: the channel no longer gets the event's messages"
        return
    if c.action == "create":
        yield "review", f"strengthening: {what} created"
        return
    if c.changed("arn"):
        yield "review", f"{what} sends to another topic: " + changed_to(c, "arn")
    if c.changed("rule"):
        yield "review", f"{what} moved to another rule: " + changed_to(c, "rule")
    if c.changed("input_transformer"):
        yield "review", f"{what} message changed"


def rule_pattern(c: ResourceChange, evidence: Evidence) -> Iterator[Flag]:
    """A rule's pattern change, judged by the catalog samples of its event."""
    if c.action not in ("update", "replace") or not c.changed("event_pattern"):
        return
    event_id = naming.event_of_rule(c.name)
    what = f"EventBridge rule pattern of {event_id or c.name} changed"
    before, after = show(c.shown_before("event_pattern")), show(c.shown_after("event_pattern"))
    if not c.known("event_pattern") or Hidden.SENSITIVE.value in (before, after):
        yield "weakening", f"{what}: the new pattern is known at apply; check it by hand"
        return
    if event_id is None or event_id not in evidence.catalog:
        yield "weakening", f"{what}: no catalog event for this rule; check it by hand"
        return
    from trailwatch.eventbridge.matching import event_matcher

    try:
        old, new = event_matcher(before), event_matcher(after)
    except ValueError as err:
        yield "weakening", f"{what}: not evaluated ({err})"
        return
    stops, starts = 0, 0
    for sample in evidence.samples(event_id):
        was, now = old.matches(sample.record), new.matches(sample.record)
        stops += was and not now
        starts += now and not was
    if stops:
        verb = "no longer matches" if stops == 1 else "no longer match"
        yield "weakening", f"{what}: narrowed, {stops} catalog sample{'s' * (stops != 1)} {verb}"
    elif starts:
        verb = "matches" if starts == 1 else "match"
        yield "review", f"{what}: broader, {starts} more catalog sample{'s' * (starts != 1)} {verb}"
    else:
        yield "review", f"{what}: no catalog sample changes its result; check it by hand"
