"""The pre-filter: each JSON pattern's guard, and the proof that it changes no answer.

A guard is a necessary condition; `compile_many(prefilter=False)` evaluates every pattern on
every record. Both must agree on every semantics case, every AWS-observed case, the catalog's
samples, the shared CloudTrail samples and 200,000 generated records with perturbed fields.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from tests.corpus import catalog_samples, pattern_cases
from trailwatch.patterns import compile_many, parse_pattern
from trailwatch.patterns.prefilter import Need, guard_of
from trailwatch.replay import synthetic
from trailwatch.spec.model import load_deployment

CASES = pattern_cases()


@pytest.fixture(scope="module")
def catalog() -> dict[str, str]:
    return {alarm.id: alarm.pattern for alarm in load_deployment(None).alarms}


@pytest.fixture(scope="module")
def shared_records(shared_samples_dir: Path) -> list[dict[str, Any]]:
    return synthetic.load_samples(shared_samples_dir)


def test_catalog_patterns_are_guarded_by_the_fields_they_pin(catalog: dict[str, str]) -> None:
    guards = {event: guard_of(parse_pattern(text)) for event, text in catalog.items()}
    assert all(guard is not None for guard in guards.values())
    paths = {event: {need.path for need in guard or ()} for event, guard in guards.items()}
    assert paths.pop("authorization-failures") == {("errorCode",)}
    assert paths.pop("root-account-usage") == {("userIdentity", "type")}
    assert all(p == {("eventName",)} for p in paths.values()), paths
    # `&&` takes the operand that guards best: the event names, not the one event source.
    assert guards["kms-key-disable-or-deletion"] == (
        Need(("eventName",), frozenset({"DisableKey", "ScheduleKeyDeletion"})),
    )
    assert guards["authorization-failures"] == (Need(("errorCode",), None),)


@pytest.mark.parametrize(
    ("pattern", "guard"),
    [
        ('{ $.a = "x" || $.a = "y" }', (Need(("a",), frozenset({"x", "y"})),)),
        ("{ $.a = x || $.a = y* }", (Need(("a",), None),)),
        ("{ $.a = x || $.b = 1 }", (Need(("a",), frozenset({"x"})), Need(("b",), None))),
        ("{ $.a = x && $.b IS NULL }", (Need(("a",), frozenset({"x"})),)),
        ("{ $.a = x || $.b IS NULL }", None),
        ("{ $.a[*] = x }", None),
        ("{ $.a NOT EXISTS }", None),
        ("{ $.a != * }", ()),
        ("{ $.a != * || $.b = c }", (Need(("b",), frozenset({"c"})),)),
        ("ERROR", None),
        ("[a, b]", None),
    ],
)
def test_guard_of_each_construct(pattern: str, guard: tuple[Need, ...] | None) -> None:
    assert guard_of(parse_pattern(pattern)) == guard


@pytest.mark.parametrize("case", CASES, ids=[case[0] for case in CASES])
def test_prefilter_agrees_on_every_semantics_and_aws_case(case: tuple[str, str, Any]) -> None:
    _, pattern, record = case
    patterns = {"case": pattern, "other": '{ $.eventName = "x" }'}
    assert compile_many(patterns)(record) == compile_many(patterns, prefilter=False)(record)


def agree(patterns: dict[str, str], records: Any) -> dict[str, int]:
    on, off = compile_many(patterns), compile_many(patterns, prefilter=False)
    counts = dict.fromkeys(patterns, 0)
    for number, record in enumerate(records):
        hits = on(record)
        assert hits == off(record), (number, record)
        for name in hits:
            counts[name] += 1
    return counts


def test_prefilter_agrees_on_the_shared_and_catalog_samples(
    catalog: dict[str, str], shared_records: list[dict[str, Any]]
) -> None:
    counts = agree(catalog, shared_records + catalog_samples())
    assert all(count > 0 for count in counts.values()), counts


@pytest.mark.scale
def test_prefilter_agrees_on_200k_generated_records(
    catalog: dict[str, str], shared_records: list[dict[str, Any]]
) -> None:
    # Case patterns too (every eighth): their guards cover fields and shapes the catalog's do not.
    patterns = dict(catalog)
    patterns.update({f"case-{i}": p for i, (_, p, _r) in enumerate(CASES[::8])})
    counts = agree(patterns, synthetic.records(shared_records, 200_000, perturbed=True))
    assert all(counts[event] >= 50 for event in catalog), counts
    assert sum(1 for name, count in counts.items() if name.startswith("case-") and count) > 10
