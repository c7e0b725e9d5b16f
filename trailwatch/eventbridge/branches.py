"""Branches of an EventBridge pattern: an AND over fields, each field an OR of matchers.

A branch maps a field's path (member names under `detail`) to its alternative matchers. The
compiler joins branches with `conjoin` (`&&`) and lists them side by side for `||`, then
`merge_branches` folds branches that differ in one field back into one.
"""

from __future__ import annotations

import json
import re
from itertools import product
from typing import Any, TypeAlias

from trailwatch.eventbridge.matchers import Untranslatable

Path: TypeAlias = tuple[str, ...]
Branch: TypeAlias = dict[Path, tuple[Any, ...]]


def conjoin(left: Branch, right: Branch) -> Branch | None:
    """Both branches at once; None when no record can meet both."""
    joined = dict(left)
    for path, matchers in right.items():
        for other in joined:
            if other != path and (other[: len(path)] == path or path[: len(other)] == other):
                outer = min(other, path, key=len)
                raise Untranslatable(
                    f"conditions on both `$.{'.'.join(outer)}` and a field inside it: "
                    "an EventBridge field is a value or an object, not both"
                )
        if path in joined:
            both = intersect(joined[path], matchers)
            if both is None:
                raise Untranslatable(
                    f"two conditions on `$.{'.'.join(path)}` in one branch: EventBridge lists a "
                    "field's matchers as alternatives and cannot require two of them"
                )
            if not both:
                return None
            joined[path] = both
        else:
            joined[path] = matchers
    return joined


def intersect(left: tuple[Any, ...], right: tuple[Any, ...]) -> tuple[Any, ...] | None:
    """Matchers that hold where both lists hold: () for none, None when not expressible.

    A field's list is an OR, so the AND of two lists is the OR of the ANDs of their pairs
    (`both`); the AND of two lists is expressible when every pair's is.
    """
    if _key(left) == _key(right):
        return left
    found: list[Any] = []
    for one, other in product(left, right):
        met = both(one, other)
        if met is None:
            return None
        found.extend(met)
    return _union((), tuple(found))


def both(one: Any, other: Any) -> tuple[Any, ...] | None:
    """One matcher that holds where both hold, () for none, or None when there is none such."""
    if _key((one,)) == _key((other,)):
        return (one,)
    for a, b in ((one, other), (other, one)):
        if not isinstance(a, dict):
            return (a,) if accepts(b, a) else ()
        if a == {"exists": False}:
            return ()  # every other matcher needs the field present
        if a == {"exists": True}:
            return (b,)
    excluded_one, excluded_other = _excluded(one), _excluded(other)
    if excluded_one is not None and excluded_other is not None:
        values = list(dict.fromkeys(excluded_one + excluded_other))
        if len({type(v) for v in values}) == 1:  # anything-but lists are all strings or numbers
            return ({"anything-but": values[0] if len(values) == 1 else values},)
    for excluded, kept in ((excluded_one, other), (excluded_other, one)):
        if excluded is not None and not any(accepts(kept, v) for v in excluded):
            return (kept,)  # `kept` already refuses every excluded value
    return None


def _excluded(matcher: Any) -> list[Any] | None:
    """The values an anything-but of plain values excludes, or None for another matcher."""
    if not isinstance(matcher, dict) or set(matcher) != {"anything-but"}:
        return None
    operand = matcher["anything-but"]
    values = operand if isinstance(operand, list) else [operand]
    return None if any(isinstance(v, dict) for v in values) else values


def accepts(matcher: Any, value: Any) -> bool:
    """Whether an EventBridge matcher holds for a present, scalar field value."""
    if not isinstance(matcher, dict):
        return type(matcher) is type(value) and bool(matcher == value)
    (name, operand), *_ = matcher.items()
    if name == "exists":
        return bool(operand)
    if name == "anything-but":
        operands = operand if isinstance(operand, list) else [operand]
        return not any(accepts(o, value) for o in operands)
    if name == "numeric":
        return _numeric(operand, value)
    if not isinstance(value, str):
        return False
    if name == "prefix":
        return value.startswith(operand)
    if name == "suffix":
        return value.endswith(operand)
    if name == "wildcard":
        return wildcard_regex(operand).fullmatch(value) is not None
    return False


def wildcard_regex(wildcard: str) -> re.Pattern[str]:
    """An EventBridge wildcard as a regex: `*` any text, `\\*` and `\\\\` literal."""
    parts = re.split(r"(\\[*\\]|\*)", wildcard)
    text = "".join(
        ".*" if part == "*" else re.escape(part[1] if part.startswith("\\") else part)
        for part in parts
        if part
    )
    return re.compile(text, re.DOTALL)


def _numeric(operands: list[Any], value: Any) -> bool:
    if isinstance(value, bool) or not isinstance(value, int | float):
        return False
    tests = {
        "<": lambda a, b: a < b,
        "<=": lambda a, b: a <= b,
        "=": lambda a, b: a == b,
        ">=": lambda a, b: a >= b,
        ">": lambda a, b: a > b,
    }
    pairs = zip(operands[::2], operands[1::2], strict=True)
    return all(bool(tests[op](value, bound)) for op, bound in pairs)


def merge_branches(branches: list[Branch]) -> list[Branch]:
    """The same OR with fewer branches: duplicates and implied branches dropped, branches that
    differ in the matchers of one field merged into one list."""
    merged: list[Branch] = []
    for branch in branches:
        if any(_implies(branch, kept) for kept in merged):
            continue
        merged = [kept for kept in merged if not _implies(kept, branch)]
        for i, kept in enumerate(merged):
            field = _single_difference(kept, branch)
            if field is not None:
                merged[i] = {**kept, field: _union(kept[field], branch[field])}
                break
        else:
            merged.append(branch)
    return merged


def nest(branch: Branch) -> dict[str, Any]:
    """The branch as EventBridge's nested object."""
    root: dict[str, Any] = {}
    for path, matchers in branch.items():
        node = root
        for name in path[:-1]:
            node = node.setdefault(name, {})
        node[path[-1]] = list(matchers)
    return root


def _single_difference(left: Branch, right: Branch) -> Path | None:
    if left.keys() != right.keys():
        return None
    differing = [path for path in left if _key(left[path]) != _key(right[path])]
    return differing[0] if len(differing) == 1 else None


def _implies(branch: Branch, other: Branch) -> bool:
    """Whether every record `branch` takes, `other` takes: `other` asks a subset of its fields,
    each with at least the same alternatives."""
    if not other.keys() <= branch.keys():
        return False
    return all({_key((m,)) for m in branch[p]} <= {_key((m,)) for m in other[p]} for p in other)


def _union(left: tuple[Any, ...], right: tuple[Any, ...]) -> tuple[Any, ...]:
    seen = {_key((m,)) for m in left}
    return left + tuple(m for m in right if _key((m,)) not in seen)


def _key(matchers: tuple[Any, ...]) -> str:
    return json.dumps(matchers, sort_keys=True)
