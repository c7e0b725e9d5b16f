"""Tests on one value, built once per pattern and called once per record.

A JSON value here is whatever `json.loads` gives (str, int, float, bool, None, list, dict) or
`MISSING` for a selector that leads nowhere. A space-delimited field is always a str.

String literals compare with JSON strings and with JSON numbers, a number through its text
(`number_text`): `= "1"` matches `1` but not `1.0`. Number literals compare with JSON numbers by
value, and with `=`/`!=` also with JSON strings by the text they are written as: `= 1` matches
"1". Booleans, null, objects and arrays match neither, `!=` included.
"""

from __future__ import annotations

import operator
from collections.abc import Callable, Sequence
from typing import Any, Final

from trailwatch.patterns.literals import (
    compile_regex,
    could_be_in_number_text,
    could_be_number_text,
    number_text,
    parse_number,
)
from trailwatch.patterns.syntax import (
    CheckKind,
    NumberValue,
    Operator,
    RegexValue,
    StringValue,
    Value,
)

ValueTest = Callable[[Any], bool]


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
        return _json_number_test(op, value)
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


def multi_test(test: ValueTest) -> ValueTest:
    """A test on a wildcard selector's tuple of values: at least one value passes."""
    return lambda values: any(test(v) for v in values)


def multi_check_test(kind: CheckKind) -> ValueTest:
    """A special test on a wildcard selector: `NOT EXISTS` when it selects nothing, the others
    when at least one selected value passes."""
    if kind == "NOT EXISTS":
        return lambda values: not values
    return multi_test(check_test(kind))


def equals_any(strings: frozenset[str]) -> ValueTest:
    """`v = A || v = B || ...` as one hash lookup: a string in the set, or a number whose text is.

    Numbers are only looked at when some member could be a number's text.
    """
    if any(could_be_number_text(s) for s in strings):
        return lambda v: (
            v in strings
            if isinstance(v, str)
            else type(v) in _NUMBER_TYPES and number_text(v) in strings
        )
    if len(strings) == 1:
        (only,) = strings
        return lambda v: v == only
    return lambda v: isinstance(v, str) and v in strings


def string_test(value: StringValue, *, negate: bool) -> ValueTest:
    """`=`/`!=` against a string literal: JSON strings compare as they are, JSON numbers through
    their text (`number_text`); anything else matches neither.

    `!=` is "a string or number whose text differs", not the negation of `=`: a missing field,
    null, a boolean, an object or an array match neither operator.
    """
    return _STRING_TESTS[value.match](value.needle, negate)


# Each match kind builds its own closures, specialised for `=` or `!=` and for needles that no
# number's text can hold (then numbers need no text at all): these run once per record.


def _present_test(_needle: str, negate: bool) -> ValueTest:
    # `= *`: the field holds a value node, a string (even empty) or a number.
    if negate:
        return _never
    numbers = _NUMBER_TYPES
    return lambda v: isinstance(v, str) or type(v) in numbers


def _exact_test(needle: str, negate: bool) -> ValueTest:
    numbers, text = _NUMBER_TYPES, number_text
    if not could_be_number_text(needle):
        # No number's text is the needle: numbers never match `=`, always match `!=`.
        if negate:
            return lambda v: v != needle if isinstance(v, str) else type(v) in numbers
        return lambda v: v == needle
    if negate:
        return lambda v: (
            v != needle if isinstance(v, str) else type(v) in numbers and text(v) != needle
        )
    return lambda v: v == needle or (type(v) in numbers and text(v) == needle)


def _prefix_test(needle: str, negate: bool) -> ValueTest:
    numbers, text = _NUMBER_TYPES, number_text
    if not could_be_in_number_text(needle):
        # No number's text starts with it: numbers never match `=`, always match `!=`.
        if negate:
            return lambda v: not v.startswith(needle) if isinstance(v, str) else type(v) in numbers
        return lambda v: isinstance(v, str) and v.startswith(needle)
    if negate:
        return lambda v: (
            not v.startswith(needle)
            if isinstance(v, str)
            else type(v) in numbers and not text(v).startswith(needle)
        )
    return lambda v: (
        v.startswith(needle)
        if isinstance(v, str)
        else type(v) in numbers and text(v).startswith(needle)
    )


def _suffix_test(needle: str, negate: bool) -> ValueTest:
    numbers, text = _NUMBER_TYPES, number_text
    if not could_be_in_number_text(needle):
        if negate:
            return lambda v: not v.endswith(needle) if isinstance(v, str) else type(v) in numbers
        return lambda v: isinstance(v, str) and v.endswith(needle)
    if negate:
        return lambda v: (
            not v.endswith(needle)
            if isinstance(v, str)
            else type(v) in numbers and not text(v).endswith(needle)
        )
    return lambda v: (
        v.endswith(needle)
        if isinstance(v, str)
        else type(v) in numbers and text(v).endswith(needle)
    )


def _contains_test(needle: str, negate: bool) -> ValueTest:
    numbers, text = _NUMBER_TYPES, number_text
    if not could_be_in_number_text(needle):
        if negate:
            return lambda v: needle not in v if isinstance(v, str) else type(v) in numbers
        return lambda v: isinstance(v, str) and needle in v
    if negate:
        return lambda v: (
            needle not in v if isinstance(v, str) else type(v) in numbers and needle not in text(v)
        )
    return lambda v: needle in v if isinstance(v, str) else type(v) in numbers and needle in text(v)


_STRING_TESTS: dict[str, Callable[[str, bool], ValueTest]] = {
    "present": _present_test,
    "exact": _exact_test,
    "prefix": _prefix_test,
    "suffix": _suffix_test,
    "contains": _contains_test,
}


def _json_number_test(op: Operator, value: NumberValue) -> ValueTest:
    """A number compares with JSON numbers by value. With `=` and `!=` it is also the unquoted
    string it is written as, and compares with JSON strings by that text: `= 1` matches "1" but
    not "1.0" or "01". `<`, `>`, `<=`, `>=` hold for JSON numbers only."""
    compare, number, numbers = _COMPARE[op], value.value, _NUMBER_TYPES
    if op == "=":
        text = value.text
        return lambda v: v == text if isinstance(v, str) else type(v) in numbers and v == number
    if op == "!=":
        text = value.text
        return lambda v: v != text if isinstance(v, str) else type(v) in numbers and v != number
    return lambda v: type(v) in numbers and compare(v, number)


def _regex_test(source: str, *, negate: bool) -> ValueTest:
    # Like string literals, a regex reads JSON strings as they are and numbers through their
    # text; a space-delimited field is always a string.
    search = compile_regex(source).search
    numbers = _NUMBER_TYPES
    text = number_text
    if negate:
        return lambda v: (
            search(v) is None
            if isinstance(v, str)
            else type(v) in numbers and search(text(v)) is None
        )
    return lambda v: (
        search(v) is not None
        if isinstance(v, str)
        else type(v) in numbers and search(text(v)) is not None
    )


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
