"""A filter pattern's syntax tree → an EventBridge event pattern on CloudTrail's events.

CloudTrail's EventBridge event carries the log record under `detail`, so `$.a.b` becomes
`detail.a.b`. An EventBridge pattern is an OR of branches (`$or`), each an AND over fields,
each field an OR of matchers; the filter pattern's `&&`/`||` tree is brought to that form
(disjunctive normal form, branches that differ in one field merged back into one list), with
a cap on the number of branches. Conditions on one field in one branch are intersected where
EventBridge can say the result (`branches.both`); otherwise the pattern has no equivalent.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from itertools import product
from typing import Any

from trailwatch.eventbridge.branches import Branch, conjoin, merge_branches, nest
from trailwatch.eventbridge.matchers import (
    Untranslatable,
    check_condition,
    comparison_condition,
    construct_text,
)
from trailwatch.patterns import parse_pattern
from trailwatch.patterns.syntax import And, Check, Comparison, JsonExpr, JsonPattern, TermPattern
from trailwatch.spec import naming

# CloudTrail's events on the default bus (management API calls and console sign-ins).
DETAIL_TYPES = ("AWS API Call via CloudTrail", "AWS Console Sign In via CloudTrail")
# EventBridge's default quota on a rule's event pattern ("Event pattern size": 2,048 characters,
# adjustable to 4,096); measured on the compact JSON text.
MAX_PATTERN_CHARS = 2048
# EventBridge leaves read-only management events out of an ENABLED rule; they are the calls
# named Describe*, Get* and List* (EventBridge guide, "Receiving read-only management events").
READ_ONLY_PREFIXES = ("Describe", "Get", "List")
# The rule state that takes them too.
ALL_MANAGEMENT_EVENTS_STATE = naming.RULE_STATE_ALL_MANAGEMENT_EVENTS
# Our cap on `$or` branches: beyond it the normal form of a nested pattern is not a rule a
# person can review (the catalog's largest needs one branch).
MAX_BRANCHES = 64


@dataclass(frozen=True)
class Translation:
    """An event pattern (None when the filter pattern has no EventBridge equivalent)."""

    event_pattern: dict[str, Any] | None
    # Why constructs of the filter pattern cannot be said in EventBridge (empty when exact).
    limits: tuple[str, ...] = field(default=())
    # Values on which the emitted rule and the metric filter would disagree; CloudTrail writes
    # none of them at the fields the catalog tests (the agreement test shows it).
    differences: tuple[str, ...] = field(default=())
    # Whether the filter can match a read-only call (Describe*, Get*, List*): then the rule needs
    # the state ALL_MANAGEMENT_EVENTS_STATE, or EventBridge never shows it those records.
    read_only_events: bool = False

    @property
    def exact(self) -> bool:
        """Whether the rule matches exactly the records the metric filter matches."""
        return self.event_pattern is not None and not self.limits and not self.differences


def translate(pattern: str) -> Translation:
    """The EventBridge event pattern that matches the records the filter pattern matches.

    A pattern that does not parse raises `PatternSyntaxError`, as everywhere else; callers pass
    the catalog's and the model's patterns, which are parsed at load.
    """
    tree = parse_pattern(pattern)
    if isinstance(tree, TermPattern) and not tree.terms:
        # An empty pattern matches every event, read-only calls included.
        return Translation(_envelope_pattern([{}]), read_only_events=True)
    if not isinstance(tree, JsonPattern):
        return Translation(
            None,
            (
                f"{tree.kind} pattern: EventBridge patterns test JSON fields; this pattern "
                "searches the event's text",
            ),
        )
    problems: list[str] = []
    differences: list[str] = []
    branches = _normal_form(tree.expr, problems, differences)
    if problems:
        return Translation(None, tuple(problems))
    if not branches:
        return Translation(None, ("the filter pattern can match no record",))
    if len(branches) > MAX_BRANCHES:
        return Translation(
            None, (f"{len(branches)} `$or` branches: more than the {MAX_BRANCHES} allowed",)
        )
    event_pattern = _envelope_pattern(branches)
    size = len(pattern_text(event_pattern))
    if size > MAX_PATTERN_CHARS:
        return Translation(
            None,
            (f"the event pattern has {size} characters; EventBridge allows {MAX_PATTERN_CHARS}",),
        )
    return Translation(
        event_pattern, (), tuple(dict.fromkeys(differences)), _takes_read_only(branches)
    )


def pattern_text(event_pattern: dict[str, Any]) -> str:
    """The event pattern as the compact JSON a rule holds."""
    return json.dumps(event_pattern, separators=(",", ":"), ensure_ascii=False)


def _envelope_pattern(branches: list[Branch]) -> dict[str, Any]:
    event_pattern: dict[str, Any] = {"detail-type": list(DETAIL_TYPES)}
    if len(branches) == 1:
        detail = nest(branches[0])
    else:
        detail = {"$or": [nest(branch) for branch in branches]}
    if detail:
        event_pattern["detail"] = detail
    return event_pattern


def _normal_form(expr: JsonExpr, problems: list[str], differences: list[str]) -> list[Branch]:
    """The expression as an OR of branches; reasons for what cannot be said go to `problems`."""
    if isinstance(expr, Comparison | Check):
        return _leaf(expr, problems, differences)
    parts = [_normal_form(operand, problems, differences) for operand in expr.operands]
    if problems:
        return []
    if not isinstance(expr, And):
        return merge_branches([branch for part in parts for branch in part])
    combined: list[Branch] = [{}]
    for part in parts:
        if len(combined) * len(part) > MAX_BRANCHES:
            problems.append(
                f"the normal form has more than {MAX_BRANCHES} `$or` branches "
                "(nested `&&` over `||`)"
            )
            return []
        next_branches: list[Branch] = []
        for left, right in product(combined, part):
            try:
                joined = conjoin(left, right)
            except Untranslatable as err:
                problems.append(str(err))
                return []
            if joined is not None:
                next_branches.append(joined)
        combined = next_branches
    return merge_branches(combined)


def _leaf(expr: Comparison | Check, problems: list[str], differences: list[str]) -> list[Branch]:
    try:
        condition = check_condition(expr) if isinstance(expr, Check) else comparison_condition(expr)
    except Untranslatable as err:
        problems.append(f"`{construct_text(expr)}`: {err}")
        return []
    if condition is None:
        return []  # matches nothing: no branch
    differences.extend(f"`{construct_text(expr)}`: {d}" for d in condition.differences)
    return [{condition.path: condition.matchers}]


def _takes_read_only(branches: list[Branch]) -> bool:
    """Whether some branch can take a Describe*, Get* or List* call: one that leaves eventName
    open, or names one, or tests it otherwise than by exact names and prefixes."""
    for branch in branches:
        names = branch.get(("eventName",))
        if names is None or any(_may_be_read_only(matcher) for matcher in names):
            return True
    return False


def _may_be_read_only(matcher: Any) -> bool:
    if isinstance(matcher, str):
        return matcher.startswith(READ_ONLY_PREFIXES)
    if isinstance(matcher, dict) and isinstance(matcher.get("prefix"), str):
        start = matcher["prefix"]
        return any(start.startswith(p) or p.startswith(start) for p in READ_ONLY_PREFIXES)
    return True
