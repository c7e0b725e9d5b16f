"""Property tests: the parser only ever raises PatternSyntaxError, `matches` never raises, and
the compiled (merged, short-circuiting) closures agree with a plain tree-walking reading of the
semantics table (`trailwatch.patterns.rules`)."""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

import yaml
from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st

from trailwatch.patterns import PatternSyntaxError, compile_pattern, parse_pattern
from trailwatch.patterns.literals import number_text
from trailwatch.patterns.syntax import (
    WILDCARD,
    And,
    Check,
    Comparison,
    JsonExpr,
    JsonPattern,
    NumberValue,
    Or,
    PathStep,
    RegexValue,
    StringValue,
)

REPO = Path(__file__).resolve().parents[1]
FUZZ = settings(max_examples=200, deadline=None, suppress_health_check=[HealthCheck.too_slow])


def _event_patterns() -> list[str]:
    patterns = []
    for path in sorted((REPO / "events").glob("*.yaml")):
        data = yaml.safe_load(path.read_text(encoding="utf-8"))
        patterns.append(data["pattern"])
        patterns.extend(v["pattern"] for v in (data.get("profiles") or {}).values())
    return patterns


EVENT_PATTERNS = _event_patterns()
PATTERN_ALPHABET = '{}[]()$.="!<>&|%*\\ ,-?_:/+eE09aZ\n\t' + "ISNOTEXISTSNULLTRUEFALSE"


def parse_or_syntax_error(text: str) -> None:
    try:
        parse_pattern(text)
    except PatternSyntaxError as err:
        assert err.pattern == text
        assert 0 <= err.position <= len(text)
        assert err.reason
        assert "\n" not in str(err)


@FUZZ
@given(st.text(max_size=200))
def test_arbitrary_text_parses_or_raises_syntax_error(text: str) -> None:
    parse_or_syntax_error(text)


@FUZZ
@given(st.text(alphabet=PATTERN_ALPHABET, max_size=120))
def test_pattern_like_text_parses_or_raises_syntax_error(text: str) -> None:
    parse_or_syntax_error(text)
    parse_or_syntax_error("{" + text + "}")
    parse_or_syntax_error("[" + text + "]")


edits = st.lists(
    st.tuples(
        st.sampled_from(["insert", "delete", "replace"]),
        st.integers(min_value=0, max_value=2000),
        st.sampled_from(list(PATTERN_ALPHABET) + ["\u00e9", "\x00", "'", "#"]),
    ),
    min_size=1,
    max_size=6,
)


@FUZZ
@given(st.sampled_from(EVENT_PATTERNS), edits)
def test_mutated_catalog_patterns_parse_or_raise_syntax_error(
    pattern: str, changes: list[tuple[str, int, str]]
) -> None:
    text = pattern
    for kind, where, char in changes:
        at = where % (len(text) + 1)
        if kind == "insert":
            text = text[:at] + char + text[at:]
        elif kind == "delete":
            text = text[:at] + text[at + 1 :]
        else:
            text = text[:at] + char + text[at + 1 :]
    parse_or_syntax_error(text)
    try:
        compiled = compile_pattern(text)
    except PatternSyntaxError:
        return
    compiled.matches({"eventName": "CreateTrail", "errorCode": None})


# --- records ------------------------------------------------------------------------------

KEYS = st.sampled_from(["a", "b", "c", "d", "eventName", "errorCode", "userIdentity"])
SCALARS = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(min_value=-3, max_value=3),
    st.integers(),
    st.floats(allow_nan=False),
    st.sampled_from(["x", "y", "xx", "", "Ev*ent", "Client.x", "1", "CreateTrail", "Root"]),
    st.text(max_size=6),
)
JSON_VALUES = st.recursive(
    SCALARS,
    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(KEYS, inner, max_size=3),
    max_leaves=10,
)
RECORDS = st.dictionaries(KEYS, JSON_VALUES, max_size=5)
ANY_JSON = st.recursive(
    st.one_of(st.none(), st.booleans(), st.integers(), st.floats(), st.text(max_size=10)),
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=8), inner),
    max_leaves=20,
)

CONSTRUCTS = [
    "{ $.a = * }",
    "{ $.a.b[0] NOT EXISTS || $.c IS NULL }",
    "{ $.a > 1 && $.b <= -2.5e1 }",
    "{ $.a = %^x% || $.b != %[0-9]+% }",
    "ERROR -DEBUG ?x",
    '[a, ..., b = "x*" || b > 2]',
    "",
]


@FUZZ
@given(ANY_JSON)
def test_random_json_never_makes_matches_raise(record: Any) -> None:
    for text in EVENT_PATTERNS + CONSTRUCTS:
        pattern = compile_pattern(text)
        assert isinstance(pattern.matches(record), bool)
        assert isinstance(pattern.matches(json.dumps(record)), bool)


@FUZZ
@given(RECORDS)
def test_decoded_record_and_its_line_give_the_same_answer(record: dict[str, Any]) -> None:
    line = json.dumps(record)
    for text in EVENT_PATTERNS + CONSTRUCTS[:4]:
        pattern = compile_pattern(text)
        assert pattern.matches(record) is pattern.matches(line)


# --- compiled closures against a reference reading ----------------------------------------

SELECTORS = st.sampled_from(
    ["$.a", "$.b", "$.a.b", "$.c[0]", "$.c[1].a", "$.eventName", "$.c[*]", "$.*", "$.c[*].a"]
)
STRING_VALUES = st.sampled_from(
    ["x", "y", '"x"', "*x", "x*", "*x*", "*", "Ev*ent", '""', "CreateTrail", "Root", "%^x%"]
)
NUMBER_VALUES = st.sampled_from(["1", "-1", "2.5", "0", "1e0"])
NUMBER_TEXTS = st.sampled_from(['"1"', '"0"', '"1.0"', "1*", '"-*"', "*.5"])
LEAVES = st.one_of(
    st.builds(
        lambda s, o, v: f"{s} {o} {v}",
        SELECTORS,
        st.sampled_from(["=", "!="]),
        STRING_VALUES | NUMBER_VALUES | NUMBER_TEXTS,
    ),
    st.builds(
        lambda s, o, v: f"{s} {o} {v}",
        SELECTORS,
        st.sampled_from(["<", ">", "<=", ">="]),
        NUMBER_VALUES,
    ),
    st.builds(
        lambda s, t: f"{s} {t}",
        SELECTORS,
        st.sampled_from(["IS NULL", "IS TRUE", "IS FALSE", "NOT EXISTS"]),
    ),
)


def _chain(parts: list[tuple[str, str]]) -> str:
    # Unparenthesised chains mix && and || so precedence is exercised too.
    text = " ".join(f"{item} {join}" for item, join in parts[:-1]) + " " + parts[-1][0]
    return "(" + text + ")"


EXPRESSIONS = st.recursive(
    LEAVES,
    lambda inner: st.lists(
        st.tuples(inner, st.sampled_from(["&&", "||"])), min_size=2, max_size=5
    ).map(_chain),
    max_leaves=8,
)


_MISSING = object()


def _resolve(record: Any, path: tuple[PathStep, ...]) -> list[Any]:
    """Every value the path selects (a definite path selects at most one)."""
    values = [record]
    for step in path:
        selected: list[Any] = []
        for value in values:
            if step is WILDCARD:
                if isinstance(value, dict):
                    selected.extend(value.values())
                elif isinstance(value, list):
                    selected.extend(value)
            else:
                by_name = isinstance(step, str) and isinstance(value, dict) and step in value
                by_index = isinstance(step, int) and isinstance(value, list) and step < len(value)
                if by_name or by_index:
                    selected.append(value[step])
        values = selected
    return values


def _text(value: Any) -> str | None:
    """The text a string literal compares with: a string, or a number's text; else None."""
    if isinstance(value, str):
        return value
    if isinstance(value, int | float) and not isinstance(value, bool):
        return number_text(value)
    return None


def _reference(expr: JsonExpr, record: dict[str, Any]) -> bool:
    """The semantics table read literally, one node at a time."""
    if isinstance(expr, And):
        return all(_reference(e, record) for e in expr.operands)
    if isinstance(expr, Or):
        return any(_reference(e, record) for e in expr.operands)
    values = _resolve(record, expr.selector.path)
    if isinstance(expr, Check):
        if expr.kind == "NOT EXISTS":
            return not values
        wanted = {"IS NULL": None, "IS TRUE": True, "IS FALSE": False}[expr.kind]
        return any(value is wanted for value in values)
    assert isinstance(expr, Comparison)
    return any(_compare(expr, value) for value in values)


def _compare(expr: Comparison, value: Any) -> bool:
    literal = expr.value
    if isinstance(literal, NumberValue):
        if isinstance(value, str) and expr.op in ("=", "!="):
            # An unquoted number is also the string it spells.
            return (value == literal.text) is (expr.op == "=")
        if isinstance(value, bool) or not isinstance(value, int | float):
            return False
        return {
            "=": value == literal.value,
            "!=": value != literal.value,
            "<": value < literal.value,
            ">": value > literal.value,
            "<=": value <= literal.value,
            ">=": value >= literal.value,
        }[expr.op]
    text = _text(value)
    if text is None:
        return False
    if isinstance(literal, StringValue) and literal.match == "present":
        return expr.op == "="
    if isinstance(literal, RegexValue):
        found = re.search(literal.source, text, re.ASCII) is not None
    else:
        assert isinstance(literal, StringValue)
        needle = literal.needle
        found = {
            "exact": text == needle,
            "prefix": text.startswith(needle),
            "suffix": text.endswith(needle),
            "contains": needle in text,
        }[literal.match]
    return found if expr.op == "=" else not found


@FUZZ
@given(EXPRESSIONS, st.lists(RECORDS, min_size=1, max_size=4))
def test_compiled_pattern_agrees_with_reference_reading(
    expression: str, records: list[dict[str, Any]]
) -> None:
    text = "{ " + expression + " }"
    try:
        tree = parse_pattern(text)
    except PatternSyntaxError:
        # More than two regexes: not this test's subject.
        assume(False)
        raise
    assert isinstance(tree, JsonPattern)
    compiled = compile_pattern(text)
    for record in records:
        assert compiled.matches(record) is _reference(tree.expr, record), record


@FUZZ
@given(
    st.lists(st.sampled_from(["CreateTrail", "UpdateTrail", "x", "Root"]), min_size=1, max_size=6),
    RECORDS,
)
def test_merged_chains_agree_with_reference_reading(
    names: list[str], record: dict[str, Any]
) -> None:
    text = "{ " + " || ".join(f"($.eventName = {n})" for n in names) + " }"
    tree = parse_pattern(text)
    assert isinstance(tree, JsonPattern)
    assert compile_pattern(text).matches(record) is _reference(tree.expr, record)
