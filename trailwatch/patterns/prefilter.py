"""What a record must hold for a JSON pattern to have a chance: a guard derived from the pattern.

Most catalog patterns pin `eventName`, `eventSource` or `errorCode`. A guard is a necessary
condition of a pattern, written as alternatives (at least one must hold), each on one selector
without wildcards:
- `Need(path, values)`: the value there is a string in `values`, or a number whose text
  (`number_text`) is in it: exactly what `= "X"` and chains of it test;
- `Need(path, None)`: the value there is a string or a number, which every comparison needs
  (`json.missing`, `json.container`, `json.string-not-boolean`, `json.booleans-not-numbers`):
  `= X*`, `!= X`, `= 1`, `< 1`, `%re%`, `= *` all fail on anything else.
A record that meets no alternative cannot match, so skipping it gives the answer evaluating it
would. `IS NULL`, `IS TRUE`, `IS FALSE`, `NOT EXISTS` and wildcard selectors give no guard; an
`&&` takes the guard of one operand (any one is necessary), an `||` needs a guard on every
operand. A pattern without a guard is evaluated on every record; `!= *` (which matches nothing)
gives the guard with no alternative.
"""

from __future__ import annotations

from dataclasses import dataclass

from trailwatch.patterns.selectors import Path
from trailwatch.patterns.syntax import (
    And,
    Check,
    Comparison,
    JsonExpr,
    Or,
    Pattern,
    StringValue,
)


@dataclass(frozen=True, slots=True)
class Need:
    """One alternative of a guard: the value at `path` is a string or number, with its text in
    `values` when that is set."""

    path: Path
    values: frozenset[str] | None


# Alternatives, at least one of which holds on every record the pattern matches; () never holds.
Guard = tuple[Need, ...]


def guard_of(pattern: Pattern) -> Guard | None:
    """The pattern's guard, or None when it has none (every record must be evaluated)."""
    if pattern.kind != "json":
        return None
    return _guard(pattern.expr)  # type: ignore[union-attr]


def _guard(expr: JsonExpr) -> Guard | None:
    if isinstance(expr, Comparison):
        if expr.selector.multi:
            return None
        value, path = expr.value, expr.selector.path
        if isinstance(value, StringValue):
            if value.match == "present" and expr.op == "!=":
                return ()  # `!= *` matches nothing
            if value.match == "exact" and expr.op == "=":
                return (Need(path, frozenset([value.needle])),)
        # Every other comparison holds only on a string or a number.
        return (Need(path, None),)
    if isinstance(expr, Check):
        return None
    guards = [_guard(operand) for operand in expr.operands]
    if isinstance(expr, Or):
        if any(g is None for g in guards):
            return None
        return _union([need for g in guards if g is not None for need in g])
    assert isinstance(expr, And)
    known = [g for g in guards if g is not None]
    if not known:
        return None
    return min(known, key=_cost)


def _union(needs: list[Need]) -> Guard:
    # Alternatives on one selector merge: their sets join, and "any value" absorbs a set.
    merged: dict[Path, frozenset[str] | None] = {}
    for need in needs:
        if need.path not in merged:
            merged[need.path] = need.values
        else:
            before = merged[need.path]
            merged[need.path] = (
                None if before is None or need.values is None else before | need.values
            )
    return tuple(Need(path, values) for path, values in merged.items())


def _cost(guard: Guard) -> tuple[int, int, int]:
    """Which operand of an `&&` guards best: one that never holds; then value sets over "any
    value"; then `eventName`, the most selective field of CloudTrail; then fewer selectors."""
    if not guard:
        return (0, 0, 0)
    vague = sum(1 for need in guard if need.values is None)
    off_name = sum(1 for need in guard if need.path != ("eventName",))
    return (1 + vague, off_name, len(guard))
