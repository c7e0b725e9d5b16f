"""The drill's second check: each drilled call's record against the deployed EventBridge rule.

The filter check asks trailwatch's engine (no emulator evaluates filter patterns); this one
asks EventBridge itself, through TestEventPattern, whether the rule deployed for the event
matches the record as CloudTrail delivers it to the bus (the record in its envelope).

What should be deployed comes from the model (`Deployment.event_rules_for`), not from ListRules:
a rule the config delivers that AWS lacks is a failure ("rule missing"). An event the target
delivers no rule for has no events path (reported, not a failure); a global-service event whose
rule the config places in another target (its account's us-east-1 one) says where it lives.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any

from trailwatch.eventbridge.envelope import wrap
from trailwatch.inventory.model import EventRule

NO_EVENTS_PATH = "no events path"
RULE_MISSING = "rule missing"


@dataclass(frozen=True)
class RuleVerdict:
    """The deployed rule's answer for one record (rule None: the event has no events path)."""

    rule_name: str | None
    matched: bool | None
    note: str = ""


class RuleCheck:
    """The target's deployed rules by event, judged by the region's EventBridge."""

    def __init__(
        self,
        events: Any,
        rules: Iterable[EventRule],
        expected: Mapping[str, str] | None = None,
        elsewhere: Mapping[str, str] | None = None,
    ) -> None:
        """`rules`: the target's rules as AWS lists them. `expected`: event id → rule name the
        model deploys in this target (None: judge whatever is deployed, expect nothing).
        `elsewhere`: event id → where the model puts the event's rule instead."""
        self.events = events
        self.rules = {r.event_id: r for r in rules if r.event_id}
        self.expected = expected
        self.elsewhere = dict(elsewhere or {})

    def judge(self, event_id: str, record: Mapping[str, Any]) -> RuleVerdict:
        rule = self.rules.get(event_id)
        if self.expected is not None and event_id in self.expected:
            if rule is None:
                return RuleVerdict(self.expected[event_id], False, RULE_MISSING)
        elif event_id in self.elsewhere:
            return RuleVerdict(None, None, f"rule in {self.elsewhere[event_id]}")
        if rule is None:
            return RuleVerdict(None, None, NO_EVENTS_PATH)
        if not rule.enabled:
            return RuleVerdict(rule.name, False, f"rule {rule.name} is {rule.state}")
        from botocore.exceptions import BotoCoreError, ClientError  # type: ignore[import-untyped]

        try:
            answer = self.events.test_event_pattern(
                EventPattern=rule.event_pattern, Event=json.dumps(wrap(dict(record)), default=str)
            )
        except (BotoCoreError, ClientError) as err:
            # One event's failed check is that event's failure, not the end of the drill.
            return RuleVerdict(rule.name, False, f"TestEventPattern failed: {err}")
        matched = answer.get("Result") is True
        note = "" if matched else f"rule {rule.name}'s pattern does not match the record"
        return RuleVerdict(rule.name, matched, note)
