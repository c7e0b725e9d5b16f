"""Many named patterns evaluated together on one record, sharing the work between them.

Replay and drill test every record against the whole catalog. A `MatchSet` resolves each
distinct selector once per record for all JSON patterns together (17 catalog patterns use 10
selectors), decodes a raw line once, and encodes a decoded record as text once, and only if a
term or space-delimited pattern needs it.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from trailwatch.patterns.compiler import (
    CompiledPattern,
    Leaf,
    NodePredicate,
    TextPredicate,
    compile_pattern,
    emit,
    leaves_of,
    slot_leaf,
)
from trailwatch.patterns.literals import number_text
from trailwatch.patterns.records import as_object, as_text
from trailwatch.patterns.selectors import Path, Resolver, resolver

_NUMBER_TYPES = (int, float)


class MatchSet:
    """Named patterns as one callable: `match_set(record)` lists the names that match, in the
    order the mapping gave them. Records are what `CompiledPattern.matches` takes."""

    __slots__ = ("names", "patterns", "_resolvers", "_tables", "_json", "_text")

    names: tuple[str, ...]
    patterns: Mapping[str, CompiledPattern]

    def __init__(self, patterns: Mapping[str, str]) -> None:
        compiled = {name: compile_pattern(text) for name, text in patterns.items()}
        self.names = tuple(compiled)
        self.patterns = compiled
        slots: dict[Path, int] = {}
        for pattern in compiled.values():
            if pattern.program is not None:
                for leaf in leaves_of(pattern.program):
                    slots.setdefault(leaf.path, len(slots))
        self._resolvers: tuple[Resolver, ...] = tuple(resolver(path) for path in slots)
        make_leaf = slot_leaf(slots)
        # A pattern that is one string-set test on one selector (10 of the 17 catalog patterns,
        # all on $.eventName) joins a table from value to pattern indexes: one dict lookup
        # answers all of them.
        tables: dict[int, dict[str, list[int]]] = {}
        evaluated: list[tuple[int, NodePredicate]] = []
        for i, pattern in enumerate(compiled.values()):
            program = pattern.program
            if isinstance(program, Leaf) and program.equals is not None:
                table = tables.setdefault(slots[program.path], {})
                for value in program.equals:
                    table.setdefault(value, []).append(i)
            elif program is not None:
                evaluated.append((i, emit(program, make_leaf)))
        self._tables = tuple(
            (slot, {k: tuple(v) for k, v in t.items()}) for slot, t in tables.items()
        )
        self._json = tuple(evaluated)
        self._text: tuple[tuple[int, TextPredicate], ...] = tuple(
            (i, _text_predicate(p)) for i, p in enumerate(compiled.values()) if p.program is None
        )

    def __call__(self, record: Mapping[str, Any] | str) -> list[str]:
        """The names of the patterns that match the record."""
        decoded = record if type(record) is dict else as_object(record)
        hits: list[int] = []
        if decoded is not None and (self._json or self._tables):
            values = [resolve(decoded) for resolve in self._resolvers]
            for slot, table in self._tables:
                value = values[slot]
                if isinstance(value, str):
                    hits.extend(table.get(value, ()))
                elif type(value) in _NUMBER_TYPES:
                    # A string literal also equals a number whose text it is (`= "400"`, 400).
                    hits.extend(table.get(number_text(value), ()))
            hits.extend([i for i, predicate in self._json if predicate(values)])
        if self._text:
            text = as_text(record)
            hits.extend([i for i, predicate in self._text if predicate(text)])
        names = self.names
        if len(hits) > 1:
            hits.sort()
        return [names[i] for i in hits]

    def __len__(self) -> int:
        return len(self.names)

    def __repr__(self) -> str:
        return f"MatchSet({list(self.names)!r})"


def _text_predicate(pattern: CompiledPattern) -> TextPredicate:
    # Term and space patterns read text; `matches` on a str goes straight to them.
    return pattern.matches


def compile_many(patterns: Mapping[str, str]) -> MatchSet:
    """Compile named patterns into one `MatchSet`; raises `PatternSyntaxError` for the first bad
    pattern (wrap it to say which name it belongs to)."""
    return MatchSet(patterns)
