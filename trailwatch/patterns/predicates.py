"""Tests on one value, built once per pattern and called once per record.

A JSON value here is whatever `json.loads` gives (str, int, float, bool, None, list, dict) or
`MISSING` for a selector that leads nowhere. A space-delimited field is always a str.
"""

from __future__ import annotations

import operator
from collections.abc import Callable, Sequence
from typing import Any, Final

from trailwatch.patterns.literals import compile_regex, parse_number
from trailwatch.patterns.syntax import (
    CheckKind,
    NumberValue,
    Operator,
    RegexValue,
    StringValue,
    Value,
)

ValueTest = Callable[[Any], bool]
Number = int | float


class _Missing:
    """The value of a selector that leads to no field."""

    __slots__ = ()

    def __repr__(self) -> str:
        return "MISSING"


MISSING: Final = _Missing()

_COMPARE: dict[Operator, Callable[[Any, Any], bool]] = {
    "=": operator.eq,
    "!=": operator.ne,
    "<": operator.lt,
    ">": operator.gt,
    "<=": operator.le,
    ">=": operator.ge,
}
# bool is a subclass of int in Python but not a number in JSON: test the exact type.
_NUMBER_TYPES: Final = (int, float)


def _never(value: Any) -> bool:
    return False


# --- JSON values --------------------------------------------------------------------------


def json_test(op: Operator, value: Value) -> ValueTest:
    """The test `SELECTOR OP VALUE` applies to the selected JSON value."""
    if isinstance(value, NumberValue):
        return _json_number_test(op, value.value)
    if isinstance(value, RegexValue):
        return _regex_test(value.source, negate=op == "!=")
    return string_test(value, negate=op == "!=")


def check_test(kind: CheckKind) -> ValueTest:
    """`IS NULL`, `IS TRUE`, `IS FALSE`, `NOT EXISTS` (identity tests: JSON has one of each)."""
    if kind == "IS NULL":
        return lambda v: v is None
    if kind == "IS TRUE":
        return lambda v: v is True
    if kind == "IS FALSE":
        return lambda v: v is False
    return lambda v: v is MISSING


def equals_any(strings: frozenset[str]) -> ValueTest:
    """`v = A || v = B || ...` as one hash lookup; only strings can equal a string literal."""
    if len(strings) == 1:
        (only,) = strings
        return lambda v: v == only
    return lambda v: isinstance(v, str) and v in strings


def string_test(value: StringValue, *, negate: bool) -> ValueTest:
    """`=`/`!=` against a string literal: only JSON strings compare; anything else matches neither.

    `!=` is "a string, and not this one", not the negation of `=`: a missing field, null, a
    number, an object or an array match neither operator.
    """
    needle = value.needle
    match value.match:
        case "present":
            # `= *`: the field exists with a value (any string, number or boolean).
            if negate:
                return _never
            return lambda v: not (v is MISSING or v is None or isinstance(v, dict | list))
        case "exact":
            if negate:
                return lambda v: isinstance(v, str) and v != needle
            return lambda v: v == needle
        case "prefix":
            if negate:
                return lambda v: isinstance(v, str) and not v.startswith(needle)
            return lambda v: isinstance(v, str) and v.startswith(needle)
        case "suffix":
            if negate:
                return lambda v: isinstance(v, str) and not v.endswith(needle)
            return lambda v: isinstance(v, str) and v.endswith(needle)
        case "contains":
            if negate:
                return lambda v: isinstance(v, str) and needle not in v
            return lambda v: isinstance(v, str) and needle in v
    raise AssertionError(value.match)


def _json_number_test(op: Operator, number: Number) -> ValueTest:
    compare = _COMPARE[op]
    return lambda v: type(v) in _NUMBER_TYPES and compare(v, number)


def _regex_test(source: str, *, negate: bool) -> ValueTest:
    search = compile_regex(source).search
    if negate:
        return lambda v: isinstance(v, str) and search(v) is None
    return lambda v: isinstance(v, str) and search(v) is not None


def all_of(tests: Sequence[ValueTest]) -> ValueTest:
    """Every test holds on the value."""
    if len(tests) == 1:
        return tests[0]
    if len(tests) == 2:
        first, second = tests
        return lambda v: first(v) and second(v)
    frozen = tuple(tests)
    return lambda v: all(test(v) for test in frozen)


def any_of(tests: Sequence[ValueTest]) -> ValueTest:
    """At least one test holds on the value."""
    if len(tests) == 1:
        return tests[0]
    if len(tests) == 2:
        first, second = tests
        return lambda v: first(v) or second(v)
    frozen = tuple(tests)
    return lambda v: any(test(v) for test in frozen)


# --- space-delimited fields ---------------------------------------------------------------


def field_test(op: Operator, value: Value) -> Callable[[str], bool]:
    """The test `OP VALUE` on one field's text.

    A number literal compares the field read as a number; a field that is not a number matches
    no numeric test, `!=` included.
    """
    if isinstance(value, NumberValue):
        compare = _COMPARE[op]
        number = value.value

        def numeric(text: str) -> bool:
            parsed = parse_number(text)
            return parsed is not None and compare(parsed, number)

        return numeric
    if isinstance(value, RegexValue):
        return _regex_test(value.source, negate=op == "!=")
    return string_test(value, negate=op == "!=")
