"""Filter patterns as SQL conditions, with the engine's semantics (`trailwatch.patterns.rules`).

A pattern's syntax tree becomes one boolean SQL expression over the values its selectors reach.
Where the values come from is a `Schema`'s business: `JsonSchema` reads them out of each
record's JSON (DuckDB over CloudTrail files), `AthenaSchema` (in `athena_schema`) out of the
columns of the CloudTrail table AWS documents; the few functions whose spelling differs come
from each value's `Dialect` (`dialects`). Each selector's value is described by a `Value`: SQL
expressions for its JSON type and its text.

Every leaf is two-valued (never SQL NULL), so `AND`, `OR` and `NOT` keep the pattern's logic:
- a string value: strings compare as they are, JSON numbers through their text
  (`json.string-vs-number`): integers are their digits; other numbers Java's
  `Double.toString`, which `java_double_text` spells in SQL from DuckDB's shortest digits;
- a number value: numbers by value, exactly (an integer against a decimal never rounds), and with
  `=`/`!=` also the strings spelled like it (`json.number-equality`);
- `IS NULL`, `IS TRUE`, `IS FALSE`, `NOT EXISTS` by the JSON type, a null field existing;
- `%regex%` through RE2 (`regexp_matches`), whose `\\d`, `\\w`, `\\s` are ASCII as Java's; `$`
  becomes `(?:\\n?\\z)` so that, as in Python and Java, it also holds before a final newline.
What SQL cannot say faithfully is refused with `SqlUnsupported`, naming the event and the
construct: term and space-delimited patterns (they read the record as Python's JSON text),
wildcard selectors, and names with quotes or backslashes.
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass
from typing import Protocol

from trailwatch.errors import TrailwatchError
from trailwatch.patterns import parse_pattern
from trailwatch.patterns.literals import could_be_in_number_text, could_be_number_text, number_text
from trailwatch.patterns.selectors import Path
from trailwatch.patterns.syntax import (
    Check,
    Comparison,
    JsonExpr,
    JsonPattern,
    NumberValue,
    Operator,
    Or,
    RegexValue,
    StringValue,
)
from trailwatch.replay.sql.dialects import DUCKDB, Dialect, quote


class SqlUnsupported(TrailwatchError):
    """A pattern the SQL compiler cannot express exactly."""

    def __init__(self, event: str, construct: str) -> None:
        super().__init__(
            f"event {event!r}: the SQL engines cannot express {construct} exactly; "
            "replay it with --engine python"
        )
        self.event = event
        self.construct = construct


class Unsupported(Exception):
    """Raised by a schema or the compiler for a construct; `compile_condition` names the event."""

    def __init__(self, construct: str) -> None:
        super().__init__(construct)
        self.construct = construct


@dataclass(frozen=True)
class Value:
    """SQL for one selector's value: `type` is its JSON type as DuckDB's `json_type` names it
    (`VARCHAR`, `BIGINT`, `UBIGINT`, `DOUBLE`, `BOOLEAN`, `NULL`, `OBJECT`, `ARRAY`; SQL NULL
    when the selector leads nowhere), `text` its string content (a string unquoted, a number as
    written), in `dialect`. `no_null_check` names why `IS NULL` cannot be told (a table column
    that holds a JSON null and a missing field alike), `no_exists_check` the same for
    `NOT EXISTS`."""

    type: str
    text: str
    dialect: Dialect = DUCKDB
    no_null_check: str | None = None
    no_exists_check: str | None = None


class Schema(Protocol):
    """Where selectors' values come from."""

    def value(self, path: Path) -> Value: ...

    def double_text(self, value: Value) -> str:
        """SQL for the Java `Double.toString` text of a decimal number's value."""
        ...

    def regex(self, subject: str, source: str) -> str:
        """SQL that holds when the (translated) regex finds a match in `subject`."""
        ...


_DIGITS = "-?[0-9]+"


def _is_string(v: Value) -> str:
    return f"coalesce({v.type} = 'VARCHAR', false)"


def _is_number(v: Value) -> str:
    return f"coalesce({v.type} IN ('BIGINT', 'UBIGINT', 'DOUBLE'), false)"


def _is_integer(v: Value) -> str:
    # yyjson reads integers beyond 64 bits as DOUBLE but keeps their digits; Python keeps ints.
    return (
        f"coalesce({v.type} IN ('BIGINT', 'UBIGINT') OR ({v.type} = 'DOUBLE' AND "
        f"{v.dialect.full_match(v.text, _DIGITS)}), false)"
    )


def _is_decimal(v: Value) -> str:
    digits = v.dialect.full_match(v.text, _DIGITS)
    return f"coalesce({v.type} = 'DOUBLE' AND NOT {digits}, false)"


def _integer(v: Value) -> str:
    return f"TRY_CAST({v.text} AS {v.dialect.integer_type})"


def _double(v: Value) -> str:
    return f"TRY_CAST({v.text} AS DOUBLE)"


def _or(*parts: str) -> str:
    kept = [p for p in parts if p != "false"]
    if not kept:
        return "false"
    return kept[0] if len(kept) == 1 else "(" + " OR ".join(kept) + ")"


def _and(*parts: str) -> str:
    if "false" in parts:
        return "false"
    return parts[0] if len(parts) == 1 else "(" + " AND ".join(parts) + ")"


def _not(part: str) -> str:
    return "true" if part == "false" else f"(NOT {part})"


# --- numbers ------------------------------------------------------------------------------


def _double_literal(x: float) -> str:
    return f"CAST({quote(repr(x))} AS DOUBLE)"


def _compare_integer(v: Value, op: Operator, number: int | float) -> str:
    """SQL for `integer value OP number`, exact (Python compares int with float exactly)."""
    if isinstance(number, float):
        if math.isinf(number):
            holds = op in ("<", "<=", "!=") if number > 0 else op in (">", ">=", "!=")
            return _is_integer(v) if holds else "false"
        if not number.is_integer():
            if op == "=":
                return "false"
            if op == "!=":
                return _is_integer(v)
            bound = math.floor(number) if op in ("<=", ">") else math.ceil(number)
            return _and(_is_integer(v), f"coalesce({_integer(v)} {op} {bound}, false)")
        number = int(number)
    if abs(number) >= v.dialect.integer_limit:
        # Beyond the integer type, where the integers SQL reads stop: all are on one side.
        holds = op in ("<", "<=", "!=") if number > 0 else op in (">", ">=", "!=")
        return _is_integer(v) if holds else "false"
    sql_op = "<>" if op == "!=" else op
    return _and(_is_integer(v), f"coalesce({_integer(v)} {sql_op} {number}, false)")


def _compare_decimal(v: Value, op: Operator, number: int | float) -> str:
    """SQL for `decimal value OP number`, exact."""
    if isinstance(number, int) and not math.isinf(float(number)) and float(number) != number:
        # No double equals this integer: compare with the doubles on either side of it.
        below = math.nextafter(float(number), -math.inf)
        while below > number:
            below = math.nextafter(below, -math.inf)
        above = math.nextafter(below, math.inf)
        cases = {
            "=": "false",
            "!=": "true",
            "<": f"{_double(v)} <= {_double_literal(below)}",
            "<=": f"{_double(v)} <= {_double_literal(below)}",
            ">": f"{_double(v)} >= {_double_literal(above)}",
            ">=": f"{_double(v)} >= {_double_literal(above)}",
        }
        test = cases[op]
        if test == "false":
            return "false"
        return _is_decimal(v) if test == "true" else _and(_is_decimal(v), test)
    sql_op = "<>" if op == "!=" else op
    return _and(_is_decimal(v), f"{_double(v)} {sql_op} {_double_literal(float(number))}")


def _compare_number(v: Value, op: Operator, number: int | float) -> str:
    return _or(_compare_integer(v, op, number), _compare_decimal(v, op, number))


# --- strings ------------------------------------------------------------------------------


def _number_equals_text(v: Value, needle: str) -> str:
    """A JSON number whose text is `needle`."""
    if not could_be_number_text(needle):
        return "false"
    if re.fullmatch(r"-?[0-9]+", needle):
        return _and(_is_integer(v), f"{v.text} = {quote(needle)}")
    if needle in ("NaN", "Infinity", "-Infinity"):
        return "false"  # JSON as DuckDB reads it has no NaN or infinity
    number = float(needle)
    if number_text(number) != needle:
        return "false"  # not how any double is written (`1.50`)
    return _and(_is_decimal(v), f"{_double(v)} = {_double_literal(number)}")


def _text_test(dialect: Dialect, match: str, subject: str, needle: str) -> str:
    if match == "prefix":
        return dialect.prefix(subject, needle)
    if match == "suffix":
        return dialect.suffix(subject, needle)
    return dialect.contains(subject, needle)


def _string(v: Value, op: Operator, value: StringValue, schema: Schema) -> str:
    match, needle = value.match, value.needle
    negate = op == "!="
    if match == "present":
        return "false" if negate else _or(_is_string(v), _is_number(v))
    if match == "exact":
        on_string = f"{v.text} {'<>' if negate else '='} {quote(needle)}"
        strings = _and(_is_string(v), on_string)
        numbers = _number_equals_text(v, needle)
        if negate:
            return _or(strings, _and(_is_number(v), _not(numbers)))
        return _or(strings, numbers)
    strings = _text_test(v.dialect, match, v.text, needle)
    if not could_be_in_number_text(needle):
        # No number's text can hold it: numbers never match `=`, always match `!=`.
        if negate:
            return _or(_and(_is_string(v), _not(strings)), _is_number(v))
        return _and(_is_string(v), strings)
    integers = _text_test(v.dialect, match, v.text, needle)
    decimals = _text_test(v.dialect, match, schema.double_text(v), needle)
    if negate:
        return _or(
            _and(_is_string(v), _not(strings)),
            _and(_is_integer(v), _not(integers)),
            _and(_is_decimal(v), _not(decimals)),
        )
    return _or(
        _and(_is_string(v), strings), _and(_is_integer(v), integers), _and(_is_decimal(v), decimals)
    )


def _regex(v: Value, op: Operator, value: RegexValue, schema: Schema) -> str:
    found_string = schema.regex(v.text, value.source)
    found_decimal = schema.regex(schema.double_text(v), value.source)
    if op == "!=":
        return _or(
            _and(_is_string(v), _not(found_string)),
            _and(_is_integer(v), _not(found_string)),
            _and(_is_decimal(v), _not(found_decimal)),
        )
    return _or(
        _and(_is_string(v), found_string),
        _and(_is_integer(v), found_string),
        _and(_is_decimal(v), found_decimal),
    )


def _number(v: Value, op: Operator, value: NumberValue) -> str:
    numbers = _compare_number(v, op, value.value)
    if op == "=":
        return _or(_and(_is_string(v), f"{v.text} = {quote(value.text)}"), numbers)
    if op == "!=":
        return _or(_and(_is_string(v), f"{v.text} <> {quote(value.text)}"), numbers)
    return numbers


# --- the tree -----------------------------------------------------------------------------


def _expr(expr: JsonExpr, schema: Schema) -> str:
    if isinstance(expr, Comparison | Check):
        if expr.selector.multi:
            raise Unsupported(f"the wildcard selector {expr.selector.text}")
        v = schema.value(expr.selector.path)
        if isinstance(expr, Check):
            kind = {
                "IS NULL": "'NULL'",
                "IS TRUE": "'BOOLEAN'",
                "IS FALSE": "'BOOLEAN'",
            }.get(expr.kind)
            if kind is None:
                if v.no_exists_check:
                    raise Unsupported(f"{expr.selector.text} NOT EXISTS ({v.no_exists_check})")
                return f"({v.type} IS NULL)"
            if expr.kind == "IS NULL":
                if v.no_null_check:
                    raise Unsupported(f"{expr.selector.text} IS NULL ({v.no_null_check})")
                return f"coalesce({v.type} = 'NULL', false)"
            truth = "'true'" if expr.kind == "IS TRUE" else "'false'"
            return f"coalesce({v.type} = 'BOOLEAN' AND {v.text} = {truth}, false)"
        value = expr.value
        if isinstance(value, StringValue):
            return _string(v, expr.op, value, schema)
        if isinstance(value, RegexValue):
            return _regex(v, expr.op, value, schema)
        return _number(v, expr.op, value)
    if isinstance(expr, Or):
        return _or(*_string_sets(expr.operands, schema))
    return _and(*[_expr(operand, schema) for operand in expr.operands])


def _string_sets(operands: tuple[JsonExpr, ...], schema: Schema) -> list[str]:
    """An `||` of operands, with `$.x = "a" || $.x = "b" || ...` on one selector as one `IN`
    (when no number's text could be one of the strings, so only strings can match)."""
    sets: dict[Path, list[str]] = {}
    parts: list[str | Path] = []
    for operand in operands:
        if (
            isinstance(operand, Comparison)
            and operand.op == "="
            and not operand.selector.multi
            and isinstance(operand.value, StringValue)
            and operand.value.match == "exact"
            and not could_be_number_text(operand.value.needle)
        ):
            path = operand.selector.path
            if path not in sets:
                sets[path] = []
                parts.append(path)
            sets[path].append(operand.value.needle)
        else:
            parts.append(_expr(operand, schema))
    out = []
    for part in parts:
        if isinstance(part, str):
            out.append(part)
        else:
            v = schema.value(part)
            listed = ", ".join(quote(n) for n in dict.fromkeys(sets[part]))
            out.append(_and(_is_string(v), f"{v.text} IN ({listed})"))
    return out


def compile_condition(event: str, pattern: str, schema: Schema) -> str:
    """The SQL condition that holds exactly where the pattern matches; `SqlUnsupported` names
    the event and the construct when SQL cannot say it."""
    syntax = parse_pattern(pattern)
    if not isinstance(syntax, JsonPattern):
        kind = "term" if syntax.kind == "term" else "space-delimited"
        raise SqlUnsupported(event, f"a {kind} pattern (it reads the record as text)")
    try:
        return _expr(syntax.expr, schema)
    except Unsupported as err:
        raise SqlUnsupported(event, err.construct) from None
