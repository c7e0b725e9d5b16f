"""The filter-pattern language as data: every case of tests/semantics/*.json, and the rules table.

A file holds groups, in the manner of jmespath's compliance suite:

    [{"description": "...",
      "given": <the event: a JSON object (a decoded record) or a string (a raw log line)>,
      "cases": [{"pattern": "...", "matches": true | false, "rule": "<rule id>"},
                {"pattern": "...", "error": "<part of the PatternSyntaxError message>",
                 "rule": "<rule id>"}]}]

Every case names the rule of `trailwatch.patterns.rules.RULES` it pins, and every rule is pinned
by at least one case. A decoded record is also given as its one-line JSON text, and every case
also goes through `compile_many`; both must give the same answer.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

import trailwatch.patterns
from trailwatch.patterns import PatternSyntaxError, compile_many, compile_pattern
from trailwatch.patterns.records import as_object
from trailwatch.patterns.rules import RULE_IDS, RULES, docstring_table, markdown_table

REPO = Path(__file__).resolve().parents[1]
SEMANTICS = REPO / "tests" / "semantics"


@dataclass(frozen=True)
class Case:
    id: str
    description: str
    given: Any
    pattern: str
    rule: str
    matches: bool | None = None
    error: str | None = None


def load_cases() -> list[Case]:
    cases: list[Case] = []
    for path in sorted(SEMANTICS.glob("*.json")):
        groups = json.loads(path.read_text(encoding="utf-8"))
        assert isinstance(groups, list), path
        for g, group in enumerate(groups, 1):
            assert set(group) == {"description", "given", "cases"}, (path.name, g)
            for c, case in enumerate(group["cases"], 1):
                keys = set(case)
                assert keys in ({"pattern", "matches", "rule"}, {"pattern", "error", "rule"}), (
                    path.name,
                    g,
                    c,
                    keys,
                )
                cases.append(
                    Case(
                        id=f"{path.stem}-{g}.{c}",
                        description=group["description"],
                        given=group["given"],
                        pattern=case["pattern"],
                        rule=case["rule"],
                        matches=case.get("matches"),
                        error=case.get("error"),
                    )
                )
    return cases


CASES = load_cases()


def test_semantics_files_hold_cases() -> None:
    assert len(list(SEMANTICS.glob("*.json"))) >= 8
    assert len(CASES) > 500
    assert len({case.id for case in CASES}) == len(CASES)


@pytest.mark.unit
@pytest.mark.parametrize("case", CASES, ids=[case.id for case in CASES])
def test_semantics_case(case: Case) -> None:
    assert case.rule in RULE_IDS, f"{case.id}: unknown rule {case.rule!r}"
    if case.error is not None:
        with pytest.raises(PatternSyntaxError) as caught:
            compile_pattern(case.pattern)
        assert case.error in str(caught.value), f"{case.id} ({case.rule}): {caught.value}"
        return
    assert isinstance(case.matches, bool)
    pattern = compile_pattern(case.pattern)
    assert pattern.matches(case.given) is case.matches, (
        f"{case.id} ({case.rule}): {case.description}: {case.pattern!r} on {case.given!r}"
    )
    if isinstance(case.given, dict):
        line = json.dumps(case.given, separators=(",", ":"), ensure_ascii=False)
        assert pattern.matches(line) is case.matches, f"{case.id}: as a line {line!r}"
    # `compile_many` evaluates on its own paths (shared selector slots, lookup tables).
    together = compile_many({"case": case.pattern, "always": "{ $.not_in_any_case NOT EXISTS }"})
    expected = ["case"] if case.matches else []
    if isinstance(case.given, dict) or as_object(case.given) is not None:
        expected.append("always")
    assert together(case.given) == expected, f"{case.id}: through compile_many"


def test_every_rule_is_pinned_by_a_case() -> None:
    pinned = {case.rule for case in CASES}
    assert [rule.id for rule in RULES if rule.id not in pinned] == []


def test_every_rule_has_evidence() -> None:
    for rule in RULES:
        assert rule.cases or rule.docs or rule.choice, rule.id
        assert all(re.fullmatch(r"aws-\d{3}", case) for case in rule.cases), rule.id
        assert "\n" not in rule.rule, rule.id
    assert len(RULE_IDS) == len(RULES)


def test_package_docstring_lists_the_rules_table() -> None:
    doc = trailwatch.patterns.__doc__
    assert doc is not None
    assert docstring_table() in doc, "regenerate: python -m trailwatch.patterns.rules"


def test_readme_section_lists_the_rules_table() -> None:
    readme = (REPO / "README.md").read_text(encoding="utf-8")
    start = readme.index("\n## Filter-pattern semantics\n")
    end = readme.find("\n## ", start + 1)
    section = readme[start : end if end >= 0 else len(readme)]
    assert markdown_table() in section, "regenerate: python -m trailwatch.patterns.rules"
