"""Many named patterns evaluated together on one record, sharing the work between them.

Replay and drill test every record against the whole catalog. A `MatchSet` resolves each
distinct selector once per record for all JSON patterns together (17 catalog patterns use 10
selectors), decodes a raw line once, and encodes a decoded record as text once, and only if a
term or space-delimited pattern needs it.

With the pre-filter (the default), each JSON pattern's guard (`prefilter`) is looked up first:
a few dict lookups on the fields the catalog pins (`eventName`, `errorCode`,
`userIdentity.type`) tell which patterns can match at all, and only those are evaluated. Most
records match no guard and are never evaluated; the answers are those of evaluating every
pattern (`prefilter=False`), as a guard only ever rules out records a pattern cannot match.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from trailwatch.patterns.compiler import (
    CompiledPattern,
    Leaf,
    NodePredicate,
    ObjectPredicate,
    TextPredicate,
    compile_pattern,
    emit,
    leaves_of,
    slot_leaf,
)
from trailwatch.patterns.literals import number_text
from trailwatch.patterns.prefilter import Guard, guard_of
from trailwatch.patterns.records import as_object, as_text
from trailwatch.patterns.selectors import Path, Resolver, resolver

_NUMBER_TYPES = (int, float)


class MatchSet:
    """Named patterns as one callable: `match_set(record)` lists the names that match, in the
    order the mapping gave them. Records are what `CompiledPattern.matches` takes."""

    __slots__ = (
        "names",
        "patterns",
        "guards",
        "_resolvers",
        "_tables",
        "_json",
        "_text",
        "_guarded",
        "_unguarded",
        "_evaluate",
    )

    names: tuple[str, ...]
    patterns: Mapping[str, CompiledPattern]
    # Each pattern's guard (None: evaluated on every record), in the names' order.
    guards: tuple[Guard | None, ...]

    def __init__(self, patterns: Mapping[str, str], *, prefilter: bool = True) -> None:
        compiled = {name: compile_pattern(text) for name, text in patterns.items()}
        self.names = tuple(compiled)
        self.patterns = compiled
        self.guards = tuple(guard_of(p.syntax) if prefilter else None for p in compiled.values())
        self._compile_guarded(list(compiled.values()))
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

    def _compile_guarded(self, compiled: list[CompiledPattern]) -> None:
        # Per guarded selector: its resolver, a table from value text to the patterns that need
        # it, and the patterns that need any string or number there.
        tables: dict[Path, tuple[dict[str, list[int]], list[int]]] = {}
        guarded = False
        unguarded: list[tuple[int, ObjectPredicate]] = []
        evaluate: list[ObjectPredicate | None] = []
        for i, (pattern, guard) in enumerate(zip(compiled, self.guards, strict=True)):
            program = pattern.program
            if program is None:
                evaluate.append(None)  # term and space patterns: `_text`
                continue
            predicate = pattern.on_object
            if guard is None:
                unguarded.append((i, predicate))
                evaluate.append(None)
                continue
            guarded = True
            for need in guard:
                table, anything = tables.setdefault(need.path, ({}, []))
                if need.values is None:
                    anything.append(i)
                else:
                    for value in need.values:
                        table.setdefault(value, []).append(i)
            exact = (
                isinstance(program, Leaf)
                and program.equals is not None
                and len(guard) == 1
                and guard[0].path == program.path
                and guard[0].values == program.equals
            )
            # A pattern that is its guard (`$.eventName = A || ...`) needs no evaluation.
            evaluate.append(None if exact else predicate)
        self._guarded = (
            tuple(
                (
                    # A one-name selector is read with `dict.get`, without a resolver call.
                    path[0] if len(path) == 1 and isinstance(path[0], str) else None,
                    resolver(path),
                    {k: tuple(v) for k, v in table.items()},
                    tuple(anything),
                )
                for path, (table, anything) in tables.items()
            )
            if guarded
            else None
        )
        self._unguarded = tuple(unguarded)
        self._evaluate = tuple(evaluate)

    def __call__(self, record: Mapping[str, Any] | str) -> list[str]:
        """The names of the patterns that match the record."""
        if self._guarded is None:
            return self._evaluate_all(record)
        decoded = record if type(record) is dict else as_object(record)
        hits: list[int] = []
        if decoded is not None:
            candidates: list[int] = []
            for key, resolve, table, anything in self._guarded:
                value: Any = decoded.get(key) if key is not None else resolve(decoded)
                if isinstance(value, str):
                    text = value
                elif type(value) in _NUMBER_TYPES:
                    text = number_text(value)
                else:
                    continue
                if anything:
                    candidates.extend(anything)
                found = table.get(text)
                if found:
                    candidates.extend(found)
            if candidates:
                evaluate = self._evaluate
                for i in dict.fromkeys(candidates) if len(candidates) > 1 else candidates:
                    predicate = evaluate[i]
                    if predicate is None or predicate(decoded):
                        hits.append(i)
            for i, predicate in self._unguarded:
                if predicate(decoded):
                    hits.append(i)
        if self._text:
            text = as_text(record)
            hits.extend([i for i, predicate in self._text if predicate(text)])
        names = self.names
        if len(hits) > 1:
            hits.sort()
        return [names[i] for i in hits]

    def _evaluate_all(self, record: Mapping[str, Any] | str) -> list[str]:
        """Every pattern evaluated on the record: the answer without the pre-filter."""
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


def compile_many(patterns: Mapping[str, str], *, prefilter: bool = True) -> MatchSet:
    """Compile named patterns into one `MatchSet`; raises `PatternSyntaxError` for the first bad
    pattern (wrap it to say which name it belongs to). `prefilter=False` evaluates every pattern
    on every record (the same answers, for comparison)."""
    return MatchSet(patterns, prefilter=prefilter)
