"""The engine against AWS itself: every answer CloudWatch Logs' TestMetricFilter gave in
../shared/reference/aws-observed-filter-results.json (pattern, raw event, and AWS's verdict:
matched, not matched, or pattern rejected). One test per case, named `aws-N` after the case's
0-based index in the file, the id the rules table (`trailwatch.patterns.rules`) cites.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path

import pytest

from trailwatch.patterns import PatternSyntaxError, compile_pattern
from trailwatch.patterns.records import as_object
from trailwatch.patterns.rules import RULES

REPO = Path(__file__).resolve().parents[1]
OBSERVED = REPO.parent / "shared" / "reference" / "aws-observed-filter-results.json"

Verdict = bool | str  # True, False or "invalid"


@dataclass(frozen=True)
class Observed:
    id: str
    pattern: str
    event: str
    expect: Verdict


def load_observed() -> list[Observed]:
    # A missing file fails the collection loudly rather than passing with no cases.
    data = json.loads(OBSERVED.read_text(encoding="utf-8"))
    return [
        Observed(f"aws-{i:03d}", case["pattern"], case["event"], case["expect"])
        for i, case in enumerate(data["cases"])
    ]


OBSERVED_CASES = load_observed()


def engine_verdict(pattern: str, event: str) -> Verdict:
    try:
        compiled = compile_pattern(pattern)
    except PatternSyntaxError:
        return "invalid"
    return compiled.matches(event)


@pytest.mark.unit
def test_the_recorded_answers_are_all_here() -> None:
    assert len(OBSERVED_CASES) >= 720
    assert {case.expect for case in OBSERVED_CASES} == {True, False, "invalid"}


@pytest.mark.unit
@pytest.mark.parametrize("case", OBSERVED_CASES, ids=[case.id for case in OBSERVED_CASES])
def test_engine_gives_aws_answer(case: Observed) -> None:
    verdict = engine_verdict(case.pattern, case.event)
    assert verdict == case.expect, (
        f"{case.id}: AWS says {case.expect!r}, the engine {verdict!r}: "
        f"pattern {case.pattern!r}, event {case.event!r}"
    )
    decoded = as_object(case.event)
    if (
        verdict != "invalid"
        and decoded is not None
        and compile_pattern(case.pattern).kind == "json"
    ):
        # A record handed in already decoded gets the same answer as its raw line.
        assert compile_pattern(case.pattern).matches(decoded) is case.expect, case.id


@pytest.mark.unit
def test_rules_cite_recorded_answers_that_exist() -> None:
    known = {case.id for case in OBSERVED_CASES}
    cited = {case for rule in RULES for case in rule.cases}
    assert sorted(cited - known) == []
