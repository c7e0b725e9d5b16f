"""The proof: each catalog event's EventBridge rule and its metric filter give the same verdict.

Judged on every catalog sample and on the 853 shared CloudTrail records, each wrapped in the
event CloudTrail puts on EventBridge (`trailwatch.eventbridge.wrap`), by an EventBridge matcher
that is not ours: moto's `EventPattern`. The filter's verdict comes from the pattern engine
(which agrees with the independent answer key: tests/test_samples_agreement.py).

One disagreement, a documented limit: a network activity record (eventType AwsVpceEvent, a
call through a VPC endpoint) reaches EventBridge under neither of the two CloudTrail
detail-types the rules take, while the metric filter reads the trail's log and counts it.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from moto.events.models import EventPattern

from tests.corpus import catalog_samples, pattern_cases
from trailwatch.eventbridge import DETAIL_TYPES, Translation, pattern_text, translate, wrap
from trailwatch.eventbridge.envelope import read_only_call
from trailwatch.patterns import compile_pattern, parse_pattern
from trailwatch.patterns.syntax import And, Check, Comparison, JsonExpr, JsonPattern, Or
from trailwatch.spec.catalog import load_catalog

REPO = Path(__file__).resolve().parents[1]
SAMPLE_FILES = ("aws-docs.jsonl", "panther-analysis.jsonl", "stratus-red-team.jsonl")

# (file, 1-based line, event[/profile]) -> why the rule and the filter differ there.
KNOWN_DISAGREEMENTS = {
    ("panther-analysis.jsonl", 421, "cloudtrail-changes"): (
        "network activity event (eventType AwsVpceEvent): not an 'AWS API Call via CloudTrail' "
        "event, so the rule does not take it; the metric filter counts it"
    ),
}


def catalog_patterns() -> dict[str, str]:
    """Every pattern the catalog deploys: each event's default and its profile variants."""
    patterns = {}
    for event_id, event in load_catalog([REPO / "events"]).items():
        patterns[event_id] = event.pattern
        for name, variant in event.profiles.items():
            patterns[f"{event_id}/{name}"] = variant.pattern
    return patterns


def rule_of(pattern: str) -> EventPattern:
    event_pattern = translate(pattern).event_pattern
    assert event_pattern is not None
    return EventPattern.load(json.dumps(event_pattern))


@pytest.fixture(scope="module")
def engines() -> dict[str, tuple[Any, EventPattern]]:
    return {name: (compile_pattern(p), rule_of(p)) for name, p in catalog_patterns().items()}


def test_rule_and_filter_agree_on_the_853_shared_records(
    shared_samples_dir: Path, engines: dict[str, tuple[Any, EventPattern]]
) -> None:
    disagreements: dict[tuple[str, int, str], tuple[bool, bool]] = {}
    records = by_filters = by_rules = 0
    for name in SAMPLE_FILES:
        lines = (shared_samples_dir / name).read_text(encoding="utf-8").splitlines()
        for number, line in enumerate(lines, 1):
            record = json.loads(line)
            event = wrap(record)
            records += 1
            for event_name, (metric_filter, rule) in engines.items():
                by_filter = metric_filter.matches(record)
                by_rule = rule.matches_event(event)
                by_filters += by_filter
                by_rules += by_rule
                if by_filter != by_rule:
                    disagreements[(name, number, event_name)] = (by_filter, by_rule)
    assert records == 853
    assert set(disagreements) == set(KNOWN_DISAGREEMENTS)
    # Filter takes it, rule does not: the limit is the detail-type, never a wider rule.
    assert set(disagreements.values()) == {(True, False)}
    assert (by_filters, by_rules) == (231, 230)  # (record, event) pairs each side takes


def test_rules_that_can_take_read_only_calls_ask_for_them(shared_samples_dir: Path) -> None:
    # An ENABLED rule never sees Describe*, Get*, List* calls: a filter that counts such a
    # record needs its rule in the state that takes all management events.
    patterns = catalog_patterns()
    asking = {name for name, p in patterns.items() if translate(p).read_only_events}
    assert asking == {"authorization-failures", "root-account-usage"}
    filters = {name: compile_pattern(p) for name, p in patterns.items()}
    read_only_taken: dict[str, int] = {}
    for name in SAMPLE_FILES:
        for line in (shared_samples_dir / name).read_text(encoding="utf-8").splitlines():
            record = json.loads(line)
            if not read_only_call(record):
                continue
            for event_name, metric_filter in filters.items():
                if metric_filter.matches(record):
                    read_only_taken[event_name] = read_only_taken.get(event_name, 0) + 1
    assert set(read_only_taken) <= asking
    assert read_only_taken["authorization-failures"] > 10  # denied Describe*/Get*/List* calls


def test_rule_and_filter_agree_on_every_catalog_sample(
    engines: dict[str, tuple[Any, EventPattern]],
) -> None:
    samples = catalog_samples()
    assert len(samples) > 100
    for record in samples:
        event = wrap(record)
        for event_name, (metric_filter, rule) in engines.items():
            assert metric_filter.matches(record) == rule.matches_event(event), (event_name, record)


@pytest.mark.parametrize("profile", ["securityhub", "prowler"])
def test_each_rule_takes_its_match_samples_and_refuses_its_near_misses(profile: str) -> None:
    for event_id, event in load_catalog([REPO / "events"]).items():
        rule = rule_of(event.pattern_for(profile))
        samples = event.samples_for(profile)
        for sample in samples.match:
            assert rule.matches_event(wrap(sample.record)), (event_id, sample.note)
        for sample in samples.no_match:
            assert not rule.matches_event(wrap(sample.record)), (event_id, sample.note)


def test_envelope_of_a_console_sign_in(shared_samples_dir: Path) -> None:
    line = (shared_samples_dir / "aws-docs.jsonl").read_text(encoding="utf-8").splitlines()[0]
    record = json.loads(line)
    event = wrap(record)
    assert record["eventName"] == "ConsoleLogin"
    assert event["detail-type"] == DETAIL_TYPES[1] == "AWS Console Sign In via CloudTrail"
    assert event["source"] == "aws.signin"
    assert event["time"] == record["eventTime"]
    assert event["region"] == record["awsRegion"]
    assert event["account"] == record["userIdentity"]["accountId"]
    assert event["detail"] is record
    assert event["id"] == wrap(record)["id"]  # the same record wraps into the same event


def test_envelope_detail_types_of_the_shared_records(shared_samples_dir: Path) -> None:
    counts: dict[str, int] = {}
    for name in SAMPLE_FILES:
        for line in (shared_samples_dir / name).read_text(encoding="utf-8").splitlines():
            detail_type = wrap(json.loads(line))["detail-type"]
            counts[detail_type] = counts.get(detail_type, 0) + 1
    assert counts == {
        "AWS API Call via CloudTrail": 791,
        "AWS Console Sign In via CloudTrail": 40,
        "AWS Service Event via CloudTrail": 11,
        "AwsVpceEvent via CloudTrail": 9,
        "AWS Console Action via CloudTrail": 2,
    }


# --- beyond the catalog: every translation of the semantics corpus ---------------------------

ABSENT = object()
# Differences of every rule (README, "Two paths"): EventBridge matches an array when one element
# does, CloudWatch no container; EventBridge joins member names with dots, so a record's "a.b"
# reads as the nested `a.b`. And moto's own slips: true read as 1 and 1 as true
# (DOCUMENTED_CASES below), and an empty object read as a value.
GENERAL = {"array", "dotted-name", "moto-boolean", "moto-empty-object"}
# Differences a translation lists in `differences`, by the words that name them.
LISTED = {
    "null-or-boolean": "null or boolean",
    "number-text": "JSON number",
    "object": "NOT EXISTS",
}


def selectors_of(expr: JsonExpr) -> list[tuple[Any, ...]]:
    if isinstance(expr, Comparison | Check):
        return [expr.selector.path]
    assert isinstance(expr, And | Or)
    return [path for operand in expr.operands for path in selectors_of(operand)]


def values_at(record: dict[str, Any], path: tuple[Any, ...]) -> Any:
    value: Any = record
    for step in path:
        if not isinstance(value, dict) or step not in value:
            return ABSENT
        value = value[step]
    return value


def why_they_differ(pattern: str, record: dict[str, Any], translation: Translation) -> str | None:
    """Which difference explains a disagreement of rule and filter, or None."""
    assert translation.event_pattern is not None
    differences = " ".join(translation.differences)
    rule_text = pattern_text(translation.event_pattern)
    tree = parse_pattern(pattern)
    assert isinstance(tree, JsonPattern)
    values = [values_at(record, path) for path in selectors_of(tree.expr)]
    kinds = {
        "array": any(isinstance(v, list) for v in values),
        "dotted-name": any(
            ".".join(map(str, path[:k])) in record
            for path in selectors_of(tree.expr)
            for k in range(2, len(path) + 1)
        ),
        "null-or-boolean": any(v is None or isinstance(v, bool) for v in values),
        "number-text": any(type(v) in (int, float) for v in values),
        "object": any(isinstance(v, dict) and v for v in values),
        "moto-empty-object": any(v == {} for v in values),
        # moto's slip needs a boolean under a numeric matcher, or 0/1 under `[true]`/`[false]`.
        "moto-boolean": (any(isinstance(v, bool) for v in values) and "numeric" in rule_text)
        or (
            any(type(v) in (int, float) and v in (0, 1) for v in values)
            and ("[true]" in rule_text or "[false]" in rule_text)
        ),
    }
    for kind, holds in kinds.items():
        if holds and (kind in GENERAL or LISTED[kind] in differences):
            return kind
    return None


def test_translations_agree_on_the_semantics_corpus_but_for_named_differences() -> None:
    compared = exact = 0
    reasons: dict[str, int] = {}
    for case_id, pattern, record in pattern_cases():
        translation = translate(pattern)
        if translation.event_pattern is None:
            continue
        rule = EventPattern.load(json.dumps(translation.event_pattern))
        compared += 1
        exact += translation.exact
        if compile_pattern(pattern).matches(record) != rule.matches_event(wrap(record)):
            reason = why_they_differ(pattern, record, translation)
            assert reason is not None, (case_id, pattern, record)
            assert translation.differences or reason in GENERAL, (case_id, reason)
            reasons[reason] = reasons.get(reason, 0) + 1
    # 677 and 451 when written; more as tests/semantics grows.
    assert compared > 600
    assert exact > 400
    assert set(reasons) == GENERAL | set(LISTED)


# --- EventBridge's documented semantics, and where moto departs from them ---------------------

# (pattern detail, event detail, AWS's answer, the documentation, whether moto gives it)
DOCUMENTED_CASES: list[tuple[dict[str, Any], dict[str, Any], bool, str, bool]] = [
    (
        {"a": ["x"]},
        {"a": ["w", "x"]},
        True,
        "arrays page: an event array matches when it meets the pattern array",
        True,
    ),
    (
        {"a": [{"prefix": "1"}]},
        {"a": 12},
        False,
        "event-ruler README: prefix matches only work on string-valued fields",
        True,
    ),
    (
        {"a": [{"suffix": "2"}]},
        {"a": 12},
        False,
        "event-ruler README: suffix matches only work on string-valued fields",
        True,
    ),
    (
        {"a": [{"anything-but": "Yes"}]},
        {"b": "No"},
        False,
        "event patterns page: the event must hold every field the pattern names",
        True,
    ),
    (
        {"a": [{"exists": False}]},
        {"a": {"b": 1}},
        True,
        "event-ruler README: exists matches leaf nodes only; an object is not one",
        True,
    ),
    ({"a": [{"exists": False}]}, {"b": 1}, True, "content filtering: exists false", True),
    ({"a": [None]}, {"a": None}, True, "null values page: [null] matches null", True),
    ({"a": [""]}, {"a": None}, False, "null values page: empty string is not null", True),
    (
        {"a": [{"wildcard": "*x\\*y*"}]},
        {"a": "ax*yb"},
        True,
        "event-ruler README: a backslash escapes the asterisk",
        True,
    ),
    ({"a": [{"wildcard": "*x\\*y*"}]}, {"a": "axyb"}, False, "the same, escaped", True),
    (
        {"$or": [{"a": ["x"]}, {"b": ["y"]}]},
        {"b": "y"},
        True,
        "event-ruler README: $or between fields",
        True,
    ),
    (
        {"a": [{"numeric": [">=", 1]}]},
        {"a": True},
        False,
        "event-ruler README: numeric matching only works with JSON numbers",
        False,  # moto: Python's True is the int 1
    ),
    (
        {"a": [True]},
        {"a": 1},
        False,
        "JSON text matching: true matches only the JSON literal true",
        False,  # moto: 1 == True
    ),
    (
        {"a": {"b": ["x"]}},
        {"a": [{"b": "w"}, {"b": "x"}]},
        True,
        "event-ruler README, JSON array matching: arrays of objects are crushed out",
        False,  # moto flattens objects only
    ),
]


@pytest.mark.parametrize(
    ("pattern", "detail", "aws", "source", "moto_agrees"),
    DOCUMENTED_CASES,
    ids=[case[3] for case in DOCUMENTED_CASES],
)
def test_moto_against_eventbridge_documented_semantics(
    pattern: dict[str, Any], detail: dict[str, Any], aws: bool, source: str, moto_agrees: bool
) -> None:
    event = {"detail-type": DETAIL_TYPES[0], "source": "aws.test", "detail": detail}
    moto = EventPattern.load(json.dumps({"detail": pattern})).matches_event(event)
    # Where moto departs from the documentation the test pins that, so a fixed moto shows.
    assert moto == (aws if moto_agrees else not aws)
