"""Turn a parsed pattern into closures that test records fast.

JSON patterns go through a small intermediate form first (`Leaf`, `AllOf`, `AnyOf`), in which
conditions on the same selector are merged: a chain `$.eventName = A || $.eventName = B || ...`
becomes one `Leaf` whose test is a frozenset lookup, so the selector is resolved once and tested
once. Merging only regroups pure conditions on one value, so results are unchanged; `equals_any`
keeps the rule of string literals (a string, or a number through its text), so a missing field,
null, a boolean, an object or an array still match no member of the chain.

A selector with a wildcard (`$.a[*].b`) resolves to the tuple of the values it selects, and its
leaves test that tuple ("at least one value passes"; `NOT EXISTS`: the tuple is empty). Such
leaves have no `equals` set: `$.a[*] = x && $.a[*] = y` may hold through two different values,
so only their whole tests are combined, never their sets.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from functools import lru_cache
from typing import Any

from trailwatch.patterns.fields import split_fields
from trailwatch.patterns.literals import compile_regex, could_be_number_text
from trailwatch.patterns.parser import parse_pattern
from trailwatch.patterns.predicates import (
    MISSING,
    ValueTest,
    all_of,
    any_of,
    check_test,
    equals_any,
    field_test,
    json_test,
    multi_check_test,
    multi_test,
)
from trailwatch.patterns.records import as_object, as_text
from trailwatch.patterns.selectors import Path, resolver
from trailwatch.patterns.syntax import (
    And,
    AnyFields,
    Check,
    Comparison,
    FieldAnd,
    FieldExpr,
    FieldTest,
    JsonExpr,
    JsonPattern,
    Or,
    Pattern,
    PatternKind,
    SpacePattern,
    StringValue,
    TermPattern,
)

ObjectPredicate = Callable[[dict[str, Any]], bool]
TextPredicate = Callable[[str], bool]
# A compiled node reads either the record itself or a list of pre-resolved selector values.
NodePredicate = Callable[[Any], bool]


# --- intermediate form of JSON patterns ---------------------------------------------------


@dataclass(frozen=True, slots=True)
class Leaf:
    """A test on the value of one selector; `equals` is set when the test is exactly
    "a string in this set", so that chains can be merged into one lookup."""

    path: Path
    test: ValueTest
    equals: frozenset[str] | None = None


@dataclass(frozen=True, slots=True)
class AllOf:
    """Every child holds."""

    children: tuple[Node, ...]


@dataclass(frozen=True, slots=True)
class AnyOf:
    """At least one child holds."""

    children: tuple[Node, ...]


Node = Leaf | AllOf | AnyOf


def lower(expr: JsonExpr) -> Node:
    """The intermediate form of a JSON expression, with same-selector conditions merged."""
    if isinstance(expr, Comparison):
        value = expr.value
        if expr.selector.multi:
            return Leaf(expr.selector.path, multi_test(json_test(expr.op, value)))
        exact = isinstance(value, StringValue) and value.match == "exact" and expr.op == "="
        equals = frozenset([value.needle]) if exact and isinstance(value, StringValue) else None
        return Leaf(expr.selector.path, json_test(expr.op, expr.value), equals)
    if isinstance(expr, Check):
        if expr.selector.multi:
            return Leaf(expr.selector.path, multi_check_test(expr.kind))
        return Leaf(expr.selector.path, check_test(expr.kind))
    if isinstance(expr, Or):
        return _merge([lower(o) for o in expr.operands], any_=True)
    if isinstance(expr, And):
        return _merge([lower(o) for o in expr.operands], any_=False)
    raise AssertionError(expr)


def _merge(children: list[Node], *, any_: bool) -> Node:
    same = AnyOf if any_ else AllOf
    flat: list[Node] = []
    for child in children:
        flat.extend(child.children if isinstance(child, same) else [child])
    # Group leaves by selector, keeping the order in which selectors first appear.
    groups: dict[Path, list[Leaf]] = {}
    order: list[Path | Node] = []
    for child in flat:
        if isinstance(child, Leaf):
            if child.path not in groups:
                groups[child.path] = []
                order.append(child.path)
            groups[child.path].append(child)
        else:
            order.append(child)
    merged: list[Node] = []
    for item in order:
        if isinstance(item, tuple):
            merged.append(_merge_leaves(groups[item], any_=any_))
        else:
            merged.append(item)
    if len(merged) == 1:
        return merged[0]
    return same(tuple(merged))


def _merge_leaves(leaves: list[Leaf], *, any_: bool) -> Leaf:
    if len(leaves) == 1:
        return leaves[0]
    path = leaves[0].path
    sets = [leaf.equals for leaf in leaves if leaf.equals is not None]
    others = [leaf.test for leaf in leaves if leaf.equals is None]
    if any_:
        union = frozenset().union(*sets) if sets else None
        tests = ([equals_any(union)] if union else []) + others
        return Leaf(path, any_of(tests), union if not others else None)
    if sets and not others:
        # `v = A && v = B`: only a string in every set can pass.
        common = frozenset.intersection(*sets)
        return Leaf(path, equals_any(common) if common else _never, common)
    return Leaf(path, all_of([leaf.test for leaf in leaves]))


def _never(value: Any) -> bool:
    return False


def leaves_of(node: Node) -> list[Leaf]:
    """Every leaf, in evaluation order."""
    if isinstance(node, Leaf):
        return [node]
    return [leaf for child in node.children for leaf in leaves_of(child)]


def emit(node: Node, leaf_predicate: Callable[[Leaf], NodePredicate]) -> NodePredicate:
    """Closures for a node; `leaf_predicate` decides how a leaf reaches its value."""
    if isinstance(node, Leaf):
        return leaf_predicate(node)
    parts = [emit(child, leaf_predicate) for child in node.children]
    if isinstance(node, AllOf):
        if len(parts) == 2:
            a, b = parts
            return lambda ctx: a(ctx) and b(ctx)
        if len(parts) == 3:
            a, b, c = parts
            return lambda ctx: a(ctx) and b(ctx) and c(ctx)
        frozen = tuple(parts)
        return lambda ctx: all(part(ctx) for part in frozen)
    if len(parts) == 2:
        a, b = parts
        return lambda ctx: a(ctx) or b(ctx)
    frozen = tuple(parts)
    return lambda ctx: any(part(ctx) for part in frozen)


def _direct_leaf(leaf: Leaf) -> NodePredicate:
    # Resolve the selector on the record itself; one-name selectors skip the resolver call.
    test, path, equals = leaf.test, leaf.path, leaf.equals
    if len(path) == 1 and isinstance(path[0], str):
        key = path[0]
        if equals is not None and len(equals) > 1:
            if not any(could_be_number_text(s) for s in equals):
                # Only a str can be in the set.
                return lambda record: isinstance(v := record.get(key), str) and v in equals
            # A str hits the set directly; a number goes through `test`, by its text.
            return lambda record: v in equals if isinstance(v := record.get(key), str) else test(v)
        return lambda record: test(record.get(key, MISSING))
    resolve = resolver(path)
    return lambda record: test(resolve(record))


def slot_leaf(slots: Mapping[Path, int]) -> Callable[[Leaf], NodePredicate]:
    """Leaves that read pre-resolved values: `values[slots[path]]`."""

    def make(leaf: Leaf) -> NodePredicate:
        index, test = slots[leaf.path], leaf.test
        return lambda values: test(values[index])

    return make


def compile_json(program: Node) -> ObjectPredicate:
    """A predicate on a decoded object; each selector is resolved at most once per record."""
    paths = [leaf.path for leaf in leaves_of(program)]
    distinct = list(dict.fromkeys(paths))
    if len(distinct) == len(paths):
        # Every selector appears once: resolve lazily, so `&&`/`||` short-circuits skip work.
        return emit(program, _direct_leaf)
    # A selector appears in several places: resolve each once up front and share the values.
    resolvers = tuple(resolver(path) for path in distinct)
    predicate = emit(program, slot_leaf({path: i for i, path in enumerate(distinct)}))
    return lambda record: predicate([resolve(record) for resolve in resolvers])


# --- term and space-delimited patterns ----------------------------------------------------


def compile_terms(pattern: TermPattern) -> TextPredicate:
    """All plain terms appear and no excluded term appears. `?` terms only count in a pattern
    without plain terms: there, at least one of them must appear; next to plain terms they
    change nothing (AWS: `?ERROR ?ARGUMENTS REQUEST` matches exactly the events with REQUEST)."""
    required: list[TextPredicate] = []
    excluded: list[TextPredicate] = []
    optional: list[TextPredicate] = []
    for term in pattern.terms:
        target = {"require": required, "exclude": excluded, "optional": optional}[term.mode]
        target.append(_term_test(term.text, regex=term.regex))
    if required:
        optional = []
    if not pattern.terms:
        return lambda text: True
    req, exc, opt = tuple(required), tuple(excluded), tuple(optional)

    def terms_match(text: str) -> bool:
        return (
            all(test(text) for test in req)
            and not any(test(text) for test in exc)
            and (not opt or any(test(text) for test in opt))
        )

    return terms_match


def _term_test(text: str, *, regex: bool) -> TextPredicate:
    if regex:
        search = compile_regex(text).search
        return lambda line: search(line) is not None
    return lambda line: text in line


def _field_expr(expr: FieldExpr) -> ValueTest:
    if isinstance(expr, FieldTest):
        return field_test(expr.op, expr.value)
    parts = [_field_expr(o) for o in expr.operands]
    return all_of(parts) if isinstance(expr, FieldAnd) else any_of(parts)


def _any_text(text: str) -> bool:
    return True


def compile_space(pattern: SpacePattern) -> TextPredicate:
    """Fields of the line against the pattern's fields.

    Without `...` the line needs at least as many fields as the pattern, and the pattern's last
    field takes the rest of the line. With `...` (at most one) the fields before it test the
    first fields of the line, the fields after it the last ones, and `...` takes what is left
    between them (possibly nothing).
    """
    elements: list[ValueTest | None] = []
    for item in pattern.fields:
        if isinstance(item, AnyFields):
            elements.append(None)
        else:
            elements.append(_field_expr(item.condition) if item.condition else _any_text)
    if None not in elements:
        tests = tuple(t for t in elements if t is not None)
        count = len(tests)

        def fixed(line: str) -> bool:
            fields = split_fields(line, count)
            return len(fields) == count and all(t(f) for t, f in zip(tests, fields, strict=True))

        return fixed

    at = elements.index(None)
    head = tuple(t for t in elements[:at] if t is not None)
    tail = tuple(t for t in elements[at + 1 :] if t is not None)
    needed = len(head) + len(tail)

    def with_ellipsis(line: str) -> bool:
        fields = split_fields(line)
        if len(fields) < needed:
            return False
        rest = len(fields) - len(tail)
        return all(t(f) for t, f in zip(head, fields, strict=False)) and all(
            t(f) for t, f in zip(tail, fields[rest:], strict=True)
        )

    return with_ellipsis


# --- the public compiled pattern ----------------------------------------------------------


class CompiledPattern:
    """A parsed and compiled pattern; `matches` takes a decoded JSON object or a raw log line."""

    __slots__ = ("text", "kind", "syntax", "program", "_on_object", "_on_text")

    text: str
    kind: PatternKind
    syntax: Pattern
    # The merged intermediate form of a JSON pattern (None for the other kinds); `MatchSet`
    # compiles it again against shared selector slots.
    program: Node | None

    def __init__(self, text: str, syntax: Pattern) -> None:
        self.text = text
        self.kind = syntax.kind
        self.syntax = syntax
        self._on_text: TextPredicate | None
        if isinstance(syntax, JsonPattern):
            self.program = lower(syntax.expr)
            self._on_object = compile_json(self.program)
            self._on_text = None
        else:
            self.program = None
            text_test = (
                compile_terms(syntax) if isinstance(syntax, TermPattern) else compile_space(syntax)
            )
            self._on_text = text_test
            self._on_object = lambda record: text_test(as_text(record))

    @property
    def on_object(self) -> ObjectPredicate:
        """The predicate on a decoded object (a `dict`) alone, without `matches`' dispatch."""
        return self._on_object

    def matches(self, record: Mapping[str, Any] | str) -> bool:
        """Whether the pattern matches the record; never raises for any record."""
        if type(record) is dict:
            return self._on_object(record)
        if self._on_text is not None:
            return self._on_text(as_text(record))
        decoded = as_object(record)
        return decoded is not None and self._on_object(decoded)

    def __repr__(self) -> str:
        return f"CompiledPattern({self.text!r}, kind={self.kind!r})"


@lru_cache(maxsize=1024)
def _compile_cached(text: str) -> CompiledPattern:
    return CompiledPattern(text, parse_pattern(text))


def compile_pattern(text: str) -> CompiledPattern:
    """Parse and compile a pattern once (cached by text); raises `PatternSyntaxError`."""
    if not isinstance(text, str):
        parse_pattern(text)  # raises PatternSyntaxError for anything that is not text
    return _compile_cached(text)
