"""Deployed patterns carry exclusion clauses (`trailwatch.spec.exclusions`): `NOT EXISTS || !=`
on one field, several `!=` on one field, rules over several fields. Their rules must still agree
with their filters on the 853 shared records, judged by moto's matcher."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from moto.events.models import EventPattern

from trailwatch.eventbridge import translate, wrap
from trailwatch.patterns import compile_pattern
from trailwatch.spec.catalog import load_catalog
from trailwatch.spec.exclusions import (
    rule_clause,
    service_role_clause,
    sign_in_clause,
    with_clauses,
)
from trailwatch.spec.overrides import ExclusionRule

REPO = Path(__file__).resolve().parents[1]
SAMPLE_FILES = ("aws-docs.jsonl", "panther-analysis.jsonl", "stratus-red-team.jsonl")


@pytest.fixture(scope="module")
def records(shared_samples_dir: Path) -> list[dict[str, Any]]:
    found = []
    for name in SAMPLE_FILES:
        lines = (shared_samples_dir / name).read_text(encoding="utf-8").splitlines()
        found.extend(json.loads(line) for line in lines)
    return found


def catalog_pattern(event_id: str) -> str:
    return load_catalog([REPO / "events"])[event_id].pattern


# (event, its exclusion clauses): roles and principals named in the shared records' denials.
EXCLUDED: list[tuple[str, list[str]]] = [
    ("authorization-failures", [service_role_clause(["stratus-red-team-get-usr-data-role"])]),
    (
        "authorization-failures",
        [
            service_role_clause(
                [
                    "stratus-red-team-ec2-get-password-data-role",
                    "stratus-red-team-get-usr-data-role",
                ]
            ),
            service_role_clause(["SampleRole"]),
        ],
    ),
    (
        "authorization-failures",
        [
            rule_clause(
                # Built without validation: only the match reaches the clause, and the rule's
                # `removes` samples are proven elsewhere (tests/test_exclusion_rules.py).
                ExclusionRule.model_construct(
                    id="rds-describe-denials",
                    events=("authorization-failures",),
                    match={"principal_type": "AssumedRole", "event_source": "rds.amazonaws.com"},
                    reason="the inventory job's role may describe RDS in every account",
                )
            )
        ],
    ),
]


# A value with an inner `*` is a regex in the filter (CloudWatch's `*` works only at the ends)
# and the same glob as an EventBridge wildcard: the 30 denials of one role, any account and session.
EXCLUDED.append(
    (
        "authorization-failures",
        [
            rule_clause(
                ExclusionRule.model_construct(
                    id="password-data-role",
                    events=("authorization-failures",),
                    match={
                        "principal_arn": "arn:aws:sts::*:assumed-role/"
                        "stratus-red-team-ec2-get-password-data-role/*"
                    },
                    reason="the red-team lab's role",
                )
            )
        ],
    )
)


def test_an_inner_wildcard_rule_is_an_anything_but_wildcard() -> None:
    rule = ExclusionRule.model_construct(
        id="plan-role",
        events=("authorization-failures",),
        match={"principal_arn": "arn:aws:sts::*:assumed-role/TerraformPlan/*"},
        reason="the plan role",
    )
    pattern = with_clauses(catalog_pattern("authorization-failures"), [rule_clause(rule)])
    translation = translate(pattern)
    assert translation.event_pattern is not None
    assert translation.event_pattern["detail"]["userIdentity"] == {
        "arn": [
            {"exists": False},
            None,
            {"anything-but": {"wildcard": "arn:aws:sts::*:assumed-role/TerraformPlan/*"}},
        ]
    }


def test_a_regex_no_rule_wrote_has_no_equivalent() -> None:
    translation = translate("{ $.eventName = %^Put[A-Z]+Policy$% }")
    assert translation.event_pattern is None
    assert any("regular expressions" in limit for limit in translation.limits)


@pytest.mark.parametrize(("event_id", "clauses"), EXCLUDED, ids=lambda v: str(v)[:60])
def test_rule_with_exclusions_agrees_with_its_filter(
    event_id: str, clauses: list[str], records: list[dict[str, Any]]
) -> None:
    plain = compile_pattern(catalog_pattern(event_id))
    pattern = with_clauses(catalog_pattern(event_id), clauses)
    translation = translate(pattern)
    assert translation.limits == ()
    assert translation.event_pattern is not None
    rule = EventPattern.load(json.dumps(translation.event_pattern))
    metric_filter = compile_pattern(pattern)
    taken = [r for r in records if metric_filter.matches(r)]
    assert [r for r in records if rule.matches_event(wrap(r))] == taken
    # The exclusion drops records the plain pattern takes: the clause is tested, not idle.
    assert 0 < len(taken) < sum(plain.matches(r) for r in records)


def test_assumed_role_sign_in_exclusion_is_an_anything_but() -> None:
    # No shared record is an assumed role's failed sign-in: the rule's shape is the evidence.
    pattern = with_clauses(catalog_pattern("console-signin-failures"), [sign_in_clause()])
    translation = translate(pattern)
    assert translation.event_pattern is not None
    assert translation.event_pattern["detail"] == {
        "eventName": ["ConsoleLogin"],
        "errorMessage": ["Failed authentication"],
        "userIdentity": {"type": [{"anything-but": "AssumedRole"}]},
    }


def test_two_role_clauses_make_one_anything_but_list() -> None:
    clauses = [service_role_clause(["a", "b"]), service_role_clause(["c"])]
    translation = translate(with_clauses(catalog_pattern("authorization-failures"), clauses))
    assert translation.event_pattern is not None
    issuer = translation.event_pattern["detail"]["userIdentity"]["sessionContext"]
    assert issuer == {
        "sessionIssuer": {"userName": [{"exists": False}, {"anything-but": ["a", "b", "c"]}]}
    }


def test_an_exclusion_inside_a_prefix_has_no_equivalent() -> None:
    # errorCode AccessDenied* but not AccessDeniedException: EventBridge has no "prefix but not".
    clause = '($.errorCode != "AccessDeniedException")'
    translation = translate(with_clauses(catalog_pattern("authorization-failures"), [clause]))
    assert translation.event_pattern is None
    assert translation.limits == (
        "two conditions on `$.errorCode` in one branch: EventBridge lists a field's matchers as "
        "alternatives and cannot require two of them",
    )
