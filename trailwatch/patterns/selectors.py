"""Resolve a `$.` selector path on a decoded record, specialised for the short paths CloudTrail
patterns use (one or two names) because this runs for every record and every selector."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from trailwatch.patterns.predicates import MISSING
from trailwatch.patterns.syntax import WILDCARD, PathStep

Path = tuple[PathStep, ...]
Resolver = Callable[[dict[str, Any]], Any]


def resolver(path: Path) -> Resolver:
    """A function from a JSON object to the value at `path`, or `MISSING`.

    A name step needs an object and an index step an array; any other step leads nowhere. A path
    with a wildcard step gives instead the tuple of every value it selects (empty: none).
    """
    if WILDCARD in path:
        return _multi_resolver(path)
    names = [step for step in path if isinstance(step, str)]
    if len(path) == 1 and len(names) == 1:
        key = names[0]
        return lambda record: record.get(key, MISSING)
    if len(path) == 2 and len(names) == 2:
        outer, inner = names

        def two_names(record: dict[str, Any]) -> Any:
            value = record.get(outer, MISSING)
            if isinstance(value, dict):
                return value.get(inner, MISSING)
            return MISSING

        return two_names

    def walk(record: dict[str, Any]) -> Any:
        value: Any = record
        for step in path:
            if isinstance(step, str):
                if not isinstance(value, dict):
                    return MISSING
                value = value.get(step, MISSING)
            elif isinstance(step, int) and isinstance(value, list) and step < len(value):
                value = value[step]
            else:
                return MISSING
        return value

    return walk


def _multi_resolver(path: Path) -> Resolver:
    def walk_all(record: dict[str, Any]) -> tuple[Any, ...]:
        current: list[Any] = [record]
        for step in path:
            selected: list[Any] = []
            for value in current:
                if step is WILDCARD:
                    # Every element of an array, every member value of an object; nothing
                    # below a string, number, boolean or null. No flattening of nested arrays.
                    if isinstance(value, dict):
                        selected.extend(value.values())
                    elif isinstance(value, list):
                        selected.extend(value)
                elif isinstance(step, str):
                    if isinstance(value, dict) and step in value:
                        selected.append(value[step])
                elif isinstance(step, int) and isinstance(value, list) and step < len(value):
                    selected.append(value[step])
            if not selected:
                return ()
            current = selected
        return tuple(current)

    return walk_all
