"""Drift of the EventBridge path: each event's rule and its targets in state, against synth.

The synthesized stack is what the config would deploy (the rules, their compiled patterns and
one target per routed channel), so `rule_views(expected, actual)` compares state with it, rule
by rule (matched on the event id in the logical id) and target by target (matched on the
channel in the logical id). Without a synthesized stack only what state says of itself is
judged: a disabled rule, a rule with no target. Patterns are compared as JSON data: key order
and spacing are not drift, any other difference is.
"""

from __future__ import annotations

import json

from trailwatch.audit.drift_report import (
    EXTRA_RULE,
    RULE_DISABLED,
    RULE_MISSING,
    RULE_PATTERN_DIFFERS,
    RULE_STATE_DIFFERS,
    TARGET_EXTRA,
    TARGET_MISSING,
    Finding,
    RuleView,
)
from trailwatch.inventory.model import EventRule, EventTarget, Inventory


def channel_of(target: EventTarget, inventory: Inventory) -> str:
    """The channel a target sends to: its logical id, else the topic of its ARN, else the ARN."""
    named = target.event_and_channel
    if named is not None:
        return named[1]
    topic = next((t for t in inventory.topics if t.arn == target.arn), None)
    return (topic.channel if topic else None) or target.arn


def same_pattern(one: EventRule, other: EventRule) -> bool:
    """Equal as JSON data (synth and AWS write the same pattern with other spacing)."""
    first, second = one.pattern(), other.pattern()
    if first is None or second is None:
        return one.event_pattern == other.event_pattern
    return json.dumps(first, sort_keys=True) == json.dumps(second, sort_keys=True)


def rule_views(
    expected: Inventory | None, actual: Inventory
) -> tuple[tuple[RuleView, ...], list[Finding]]:
    """Every event rule of synth (or, without synth, of state) as state holds it, and drift."""
    events = [r.event_id for r in (expected or actual).event_rules if r.event_id]
    views, findings = [], []
    for event_id in sorted(set(events)):
        view, found = _rule_view(event_id, expected, actual)
        views.append(view)
        findings += found
    if expected is not None:
        for extra in actual.event_rules:
            if extra.event_id not in events:
                findings.append(
                    Finding(
                        EXTRA_RULE,
                        extra.name,
                        f"EventBridge rule {extra.name} is in state but not in the synthesized "
                        "stack",
                    )
                )
    return tuple(views), findings


def _rule_view(
    event_id: str, expected: Inventory | None, actual: Inventory
) -> tuple[RuleView, list[Finding]]:
    want = expected.rule_of_event(event_id) if expected else None
    rule = actual.rule_of_event(event_id)
    if rule is None:
        name = want.name if want else event_id
        missing = f"event {event_id}: EventBridge rule {name} is not in state"
        return RuleView(event_id, None, (), False), [Finding(RULE_MISSING, event_id, missing)]
    channels = tuple(sorted({channel_of(t, actual) for t in actual.targets_of(rule)}))
    exact = same_pattern(rule, want) if want else None
    findings = []
    if not rule.enabled:
        findings.append(
            Finding(
                RULE_DISABLED,
                event_id,
                f"event {event_id}: EventBridge rule {rule.name} is {rule.state}: it sends nothing",
            )
        )
    elif want is not None and rule.state != want.state:
        findings.append(
            Finding(
                RULE_STATE_DIFFERS,
                event_id,
                f"event {event_id}: EventBridge rule {rule.name} is {rule.state}, the "
                f"synthesized one {want.state}",
            )
        )
    if want is not None and not exact:
        findings.append(
            Finding(
                RULE_PATTERN_DIFFERS,
                event_id,
                f"event {event_id}: EventBridge rule {rule.name} pattern differs from the "
                f"synthesized one: deployed {rule.event_pattern}, synth {want.event_pattern}",
            )
        )
    findings += _target_findings(event_id, rule, channels, want, expected)
    return RuleView(event_id, rule, channels, exact), findings


def _target_findings(
    event_id: str,
    rule: EventRule,
    channels: tuple[str, ...],
    want: EventRule | None,
    expected: Inventory | None,
) -> list[Finding]:
    if want is None or expected is None:
        if channels:
            return []
        nobody = f"event {event_id}: EventBridge rule {rule.name} has no target: it notifies nobody"
        return [Finding(TARGET_MISSING, event_id, nobody)]
    wanted = {channel_of(t, expected) for t in expected.targets_of(want)}
    findings = [
        Finding(
            TARGET_MISSING,
            event_id,
            f"event {event_id}: EventBridge rule {rule.name} has no target for channel {name}",
        )
        for name in sorted(wanted - set(channels))
    ]
    findings += [
        Finding(
            TARGET_EXTRA,
            event_id,
            f"event {event_id}: EventBridge rule {rule.name} also sends to {name}, which the "
            "synthesized stack does not",
        )
        for name in sorted(set(channels) - wanted)
    ]
    return findings
