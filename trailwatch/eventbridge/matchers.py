"""One filter-pattern condition → the EventBridge matchers that say it on one field.

EventBridge lists the matchers of a field as alternatives (any one may match), so each condition
becomes a tuple of matcher elements: a plain string, number, `null` or boolean (exact match), or
a one-key object (`prefix`, `suffix`, `wildcard`, `anything-but`, `exists`, `numeric`).

A condition EventBridge cannot say raises `Untranslatable` with the reason. A condition it says
for every value CloudTrail writes, but not for every JSON value, comes with `differences`: the
values on which the rule and the metric filter would disagree.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from trailwatch.patterns.literals import could_be_in_number_text, could_be_number_text
from trailwatch.patterns.syntax import (
    Check,
    Comparison,
    NumberValue,
    RegexValue,
    Selector,
    StringValue,
    Value,
)
from trailwatch.spec.rule_values import glob_of_value

# EventBridge's numeric matching holds between these bounds (event-ruler's README: "Numeric
# matching is limited to value between -5.0e9 and +5.0e9 inclusive").
NUMERIC_BOUND = 5.0e9

# EventBridge reads an object with one of these keys as a matcher, not as a member name, and
# `$or` as a disjunction: a selector naming one of them cannot be written as a field.
RESERVED_NAMES = frozenset(
    {
        "$or",
        "prefix",
        "suffix",
        "wildcard",
        "anything-but",
        "exists",
        "numeric",
        "cidr",
        "equals-ignore-case",
    }
)

# Why `!=` is approximate: CloudWatch's `!=` holds only for strings and numbers (json.not-equal),
# EventBridge's anything-but also for null and booleans.
NOT_EQUAL_DIFFERENCE = "a null or boolean value matches anything-but but not `!=`"


class Untranslatable(Exception):
    """A construct with no EventBridge equivalent; the message is the reason."""


@dataclass(frozen=True, slots=True)
class FieldCondition:
    """A condition on one field: its path of member names and its alternative matchers."""

    path: tuple[str, ...]
    matchers: tuple[Any, ...]
    differences: tuple[str, ...] = ()


def construct_text(condition: Comparison | Check) -> str:
    """The condition as a pattern writes it, to name it in a reason."""
    if isinstance(condition, Check):
        return f"{condition.selector.text} {condition.kind}"
    return f"{condition.selector.text} {condition.op} {_value_text(condition.value)}"


def field_path(selector: Selector) -> tuple[str, ...]:
    """The member names of a selector under `detail`, or why EventBridge cannot address it."""
    names: list[str] = []
    for step in selector.path:
        if not isinstance(step, str):
            raise Untranslatable(
                "EventBridge cannot address an array element or every member "
                "(`[N]`, `[*]`, `.*`): it flattens arrays and names fields only"
            )
        if "." in step:
            raise Untranslatable(
                "EventBridge joins member names with dots, so a name holding a dot "
                "cannot be told from a nested field"
            )
        if step in RESERVED_NAMES:
            raise Untranslatable(f"EventBridge reads a member named {step!r} as an operator")
        names.append(step)
    return tuple(names)


def check_condition(check: Check) -> FieldCondition:
    """`IS NULL`, `IS TRUE`, `IS FALSE` and `NOT EXISTS` on one field."""
    path = field_path(check.selector)
    if check.kind == "NOT EXISTS":
        return FieldCondition(
            path,
            ({"exists": False},),
            ("an object or empty array there exists for `NOT EXISTS`, not for exists:false",),
        )
    exact = {"IS NULL": None, "IS TRUE": True, "IS FALSE": False}[check.kind]
    return FieldCondition(path, (exact,))


def comparison_condition(comparison: Comparison) -> FieldCondition | None:
    """`SELECTOR OP VALUE` on one field; None when it can match nothing (`!= *`)."""
    path = field_path(comparison.selector)
    value = comparison.value
    if isinstance(value, RegexValue):
        return _rule_value_condition(path, comparison.op, value)
    if isinstance(value, NumberValue):
        return _number_condition(path, comparison.op, value)
    if comparison.op == "=":
        return _string_equal(path, value)
    if comparison.op == "!=":
        return _string_not_equal(path, value)
    raise Untranslatable(f"`{comparison.op}` needs a number")  # the parser refuses it first


def _rule_value_condition(path: tuple[str, ...], op: str, value: RegexValue) -> FieldCondition:
    """A regex an exclusion rule's value with an inner `*` became (`spec.rule_values`): read back
    as the value, it is an EventBridge wildcard; any other regex has no EventBridge equivalent."""
    glob = glob_of_value(f"%{value.source}%")
    if glob is None:
        raise Untranslatable("EventBridge has no regular expressions")
    # Rule values hold no backslash (RULE_VALUE) and every `*` in them is a wildcard.
    matcher = {"wildcard": glob}
    if op == "=":
        return FieldCondition(path, (matcher,))
    return FieldCondition(path, ({"anything-but": matcher},), (NOT_EQUAL_DIFFERENCE,))


def _string_equal(path: tuple[str, ...], value: StringValue) -> FieldCondition:
    needle = value.needle
    if value.match == "present":
        # Any string or number (json.present): EventBridge's numeric range stops at ±5e9.
        numbers = {"numeric": [">=", -NUMERIC_BOUND, "<=", NUMERIC_BOUND]}
        return FieldCondition(
            path,
            ({"wildcard": "*"}, numbers),
            ("a number beyond ±5e9 is present for `= *`, outside EventBridge's numeric range",),
        )
    matcher = _string_matcher(value)
    differences: tuple[str, ...] = ()
    spells_number = (
        could_be_number_text(needle) if value.match == "exact" else could_be_in_number_text(needle)
    )
    if spells_number:
        differences = (
            f"a JSON number whose text fits {value.text!r} matches the filter, not the rule",
        )
    return FieldCondition(path, (matcher,), differences)


def _string_not_equal(path: tuple[str, ...], value: StringValue) -> FieldCondition | None:
    if value.match == "present":
        return None  # `!= *` matches nothing (json.not-present)
    matcher = _string_matcher(value)
    differences = [NOT_EQUAL_DIFFERENCE]
    if could_be_in_number_text(value.needle):
        differences.append(
            f"a JSON number whose text fits {value.text!r} fails `!=` but matches anything-but"
        )
    return FieldCondition(path, ({"anything-but": matcher},), tuple(differences))


def _string_matcher(value: StringValue) -> Any:
    """`X`, `X*`, `*X`, `*X*` as EventBridge's exact, prefix, suffix and wildcard matchers."""
    if value.match == "prefix":
        return {"prefix": value.needle}
    if value.match == "suffix":
        return {"suffix": value.needle}
    if value.match == "contains":
        return {"wildcard": "*" + escape_wildcard(value.needle) + "*"}
    return value.needle


def escape_wildcard(text: str) -> str:
    """Text as a literal inside an EventBridge wildcard: `*` and `\\` take a backslash."""
    return text.replace("\\", "\\\\").replace("*", "\\*")


def _number_condition(path: tuple[str, ...], op: str, value: NumberValue) -> FieldCondition:
    number = value.value
    if abs(number) > NUMERIC_BOUND:
        raise Untranslatable(f"EventBridge's numeric matching stops at ±5e9, not {value.text}")
    if op == "!=":
        raise Untranslatable(
            "`!=` with a number excludes the number and its text; EventBridge's anything-but "
            "takes strings or numbers, not both"
        )
    if op == "=":
        # json.number-equality: the JSON number, or a string spelled as the pattern spells it.
        return FieldCondition(path, ({"numeric": ["=", number]}, value.text))
    return FieldCondition(path, ({"numeric": [op, number]},))


def _value_text(value: Value) -> str:
    if isinstance(value, RegexValue):
        return f"%{value.source}%"
    if isinstance(value, NumberValue):
        return value.text
    return f'"{value.text}"' if value.quoted else value.text
