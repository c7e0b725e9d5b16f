"""Compiled patterns on the catalog's own records and edge cases, the compiler's merged and
shared evaluation, and the API.

The language itself, construct by construct, is data: tests/semantics/*.json, run by
tests/test_semantics.py; AWS's recorded answers run in tests/test_aws_observed.py.
"""

from __future__ import annotations

import json
import subprocess
import sys
from functools import cache
from pathlib import Path
from typing import Any

import pytest
import yaml

from trailwatch.patterns import CompiledPattern, MatchSet, compile_many, compile_pattern

REPO = Path(__file__).resolve().parents[1]
SAMPLES = REPO.parent / "shared" / "cloudtrail-samples"


@cache
def catalog() -> dict[str, str]:
    patterns = {}
    for path in sorted((REPO / "events").glob("*.yaml")):
        data = yaml.safe_load(path.read_text(encoding="utf-8"))
        patterns[data["id"]] = data["pattern"]
    return patterns


def event(event_id: str) -> CompiledPattern:
    return compile_pattern(catalog()[event_id])


@cache
def _sample_lines(name: str) -> tuple[str, ...]:
    return tuple((SAMPLES / name).read_text(encoding="utf-8").splitlines())


def sample(name: str, line: int) -> dict[str, Any]:
    """A record from ../shared/cloudtrail-samples, by file and 1-based line."""
    record: dict[str, Any] = json.loads(_sample_lines(name)[line - 1])
    return record


def matches(pattern: str, record: Any) -> bool:
    return compile_pattern(pattern).matches(record)


# --- the known edge cases of filter-patterns.md --------------------------------------------


def test_unauthorized_operation_suffix_matches_ec2_client_prefixed_code() -> None:
    record = sample("panther-analysis.jsonl", 82)
    assert record["errorCode"] == "Client.UnauthorizedOperation"
    assert event("authorization-failures").matches(record)


def test_unauthorized_operation_suffix_matches_the_bare_code() -> None:
    record = sample("panther-analysis.jsonl", 11)
    assert record["errorCode"] == "UnauthorizedOperation"
    assert event("authorization-failures").matches(record)


def test_access_denied_prefix_matches_access_denied() -> None:
    record = sample("panther-analysis.jsonl", 23)
    assert record["errorCode"] == "AccessDenied"
    assert event("authorization-failures").matches(record)


def test_access_denied_prefix_matches_access_denied_exception() -> None:
    record = sample("panther-analysis.jsonl", 23) | {"errorCode": "AccessDeniedException"}
    assert event("authorization-failures").matches(record)


def test_access_denied_prefix_does_not_match_a_code_that_only_contains_it() -> None:
    record = sample("panther-analysis.jsonl", 412)
    assert record["errorCode"] == "VpceAccessDenied"
    assert not event("authorization-failures").matches(record)


def test_mfa_used_comparison_is_case_sensitive() -> None:
    # AWS's own root sign-in example says "YES"; `!= "Yes"` holds for it.
    root = sample("aws-docs.jsonl", 7)
    assert root["additionalEventData"]["MFAUsed"] == "YES"
    assert matches('{ $.additionalEventData.MFAUsed != "Yes" }', root)
    assert not matches('{ $.additionalEventData.MFAUsed = "Yes" }', root)
    iam_user_yes_upper = sample("aws-docs.jsonl", 2)
    iam_user_yes_upper["additionalEventData"]["MFAUsed"] = "YES"
    assert event("console-signin-without-mfa").matches(iam_user_yes_upper)


def test_not_equal_does_not_match_absent_field() -> None:
    record = sample("panther-analysis.jsonl", 33)
    assert "additionalEventData" not in record
    assert record["responseElements"] == {"ConsoleLogin": "Success"}
    assert not matches('{ $.additionalEventData.MFAUsed != "Yes" }', record)
    assert not event("console-signin-without-mfa").matches(record)


def test_iam_policy_pattern_matches_organizations_create_policy() -> None:
    record = {
        "eventVersion": "1.08",
        "eventSource": "organizations.amazonaws.com",
        "eventName": "CreatePolicy",
        "awsRegion": "us-east-1",
        "requestParameters": {"type": "SERVICE_CONTROL_POLICY", "name": "deny-regions"},
    }
    assert event("iam-policy-changes").matches(record)
    assert event("organizations-changes").matches(record)


def test_null_error_code_matches_no_authorization_failure() -> None:
    record = {"eventName": "DescribeInstances", "errorCode": None}
    assert not event("authorization-failures").matches(record)


def test_numeric_error_code_matches_by_its_text() -> None:
    # A string value compares with a number through its text (json.string-vs-number).
    record = sample("panther-analysis.jsonl", 23) | {"errorCode": 403}
    assert not event("authorization-failures").matches(record)
    assert matches('{ $.errorCode = "403" }', record)


def test_ec2_large_instance_pattern_ignores_an_instance_type_object() -> None:
    record = sample("panther-analysis.jsonl", 92)
    record["requestParameters"]["instanceType"] = {"value": "p4d.8xlarge"}
    assert not event("ec2-large-instance-changes").matches(record)


def test_root_usage_ignores_service_events() -> None:
    record = {
        "eventType": "AwsServiceEvent",
        "userIdentity": {"type": "Root", "accountId": "111122223333"},
    }
    assert not event("root-account-usage").matches(record)
    assert event("root-account-usage").matches(record | {"eventType": "AwsApiCall"})


def test_root_usage_ignores_calls_an_aws_service_made_for_root() -> None:
    record = sample("panther-analysis.jsonl", 301)
    assert record["userIdentity"]["invokedBy"] == "signin.amazonaws.com"
    assert not event("root-account-usage").matches(record)


def test_root_usage_without_event_type_does_not_match() -> None:
    # `!=` needs the field: a record without eventType is not "not a service event".
    assert not event("root-account-usage").matches({"userIdentity": {"type": "Root"}})


def test_signin_without_mfa_ignores_assumed_role_sign_ins() -> None:
    record = sample("panther-analysis.jsonl", 54)
    assert record["userIdentity"]["type"] == "AssumedRole"
    assert not event("console-signin-without-mfa").matches(record)


# --- merged `||` chains keep the exact semantics --------------------------------------------


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("CreateTrail", True),
        ("StopLogging", True),
        ("createtrail", False),
        ("CreateTrailX", False),
        (None, False),
        (1, False),
        (True, False),
        (["CreateTrail"], False),
        ({"CreateTrail": 1}, False),
    ],
)
def test_merged_event_name_chain_matches_strings_in_the_set_only(
    value: object, expected: bool
) -> None:
    assert event("cloudtrail-changes").matches({"eventName": value}) is expected


def test_merged_chain_does_not_match_a_missing_field() -> None:
    assert not event("cloudtrail-changes").matches({"eventSource": "cloudtrail.amazonaws.com"})


def test_mixed_chain_on_one_selector_keeps_wildcards_and_exact_values() -> None:
    pattern = "{ $.e = A || $.e = B* || $.e = C || $.e = %^D[0-9]$% }"
    cases: list[tuple[object, bool]] = [
        ("A", True),
        ("Bx", True),
        ("C", True),
        ("D7", True),
        ("D77", False),
        ("Ax", False),
        (None, False),
        ([], False),
    ]
    for value, expected in cases:
        assert matches(pattern, {"e": value}) is expected, value


def test_and_of_equalities_on_one_selector_needs_both() -> None:
    assert not matches("{ $.e = A && $.e = B }", {"e": "A"})
    assert matches("{ $.e = A && $.e = A }", {"e": "A"})
    assert matches("{ $.e = A* && $.e = *Z }", {"e": "AtoZ"})


def test_match_set_looks_numbers_up_in_its_tables() -> None:
    # One-set patterns join a value-to-pattern table; a number finds them through its text.
    match = compile_many(
        {
            "one": '{ $.code = "400" }',
            "set": '{ $.code = "400" || $.code = "404" }',
            "num": "{ $.code = 400 }",
            "word": "{ $.code = Denied || $.code = x }",
        }
    )
    assert match({"code": 400}) == ["one", "set", "num"]
    assert match({"code": 404}) == ["set"]
    assert match({"code": "400"}) == ["one", "set", "num"]
    assert match({"code": 400.0}) == ["num"]
    assert match({"code": True}) == []


def test_wildcard_selectors_share_slots_in_a_match_set() -> None:
    patterns = {
        "any": "{ $.a[*].b = x }",
        "both": "{ ($.a[*].b = x && $.c = 1) || ($.a[*].b = y && $.c = 2) }",
        "none": "{ $.a[*].b NOT EXISTS }",
        "first": "{ $.a[0].b = x }",
        "members": "{ $.* = 1 }",
    }
    match = compile_many(patterns)
    records: list[dict[str, Any]] = [
        {"a": [{"b": "y"}, {"b": "x"}], "c": 1},
        {"a": [{"b": "y"}], "c": 2},
        {"a": [], "c": 1},
        {"a": {"k": {"b": "x"}}},
        {},
    ]
    for record in records:
        expected = [name for name, text in patterns.items() if matches(text, record)]
        assert match(record) == expected, record
    assert match(records[0]) == ["any", "both", "members"]
    assert match(records[2]) == ["none", "members"]
    assert match(records[3]) == ["any"]


def test_wildcard_equalities_on_one_selector_are_not_intersected() -> None:
    # `&&` of two wildcard tests may hold through two values: no set intersection.
    assert matches("{ $.a[*] = x && $.a[*] = y }", {"a": ["x", "y"]})
    assert not matches("{ $.a[*] = x && $.a[*] = y }", {"a": ["x"]})
    assert matches("{ $.a[*] = x || $.a[*] = y || $.a[*] = z }", {"a": ["q", "z"]})


def test_selector_used_in_several_branches_resolves_consistently() -> None:
    pattern = "{ ($.a = 1 && $.b = x) || ($.a = 2 && $.c = y) || $.a NOT EXISTS }"
    assert matches(pattern, {"a": 1, "b": "x"})
    assert matches(pattern, {"a": 2, "c": "y"})
    assert matches(pattern, {"b": "x"})
    assert not matches(pattern, {"a": 2, "b": "x"})
    assert not matches(pattern, {"a": None})


# --- records: dicts, lines, non-objects ---------------------------------------------------


def test_json_pattern_decodes_a_raw_line() -> None:
    line = json.dumps(sample("aws-docs.jsonl", 1))
    assert event("console-signin-without-mfa").matches(line)


def test_json_pattern_does_not_match_non_object_values() -> None:
    for record in (None, 42, ["a"], "x"):
        assert not matches("{ $.a NOT EXISTS }", record)


def test_term_pattern_reads_a_dict_record_as_json_text() -> None:
    assert matches("ConsoleLogin", sample("aws-docs.jsonl", 1))
    assert matches('"\\"eventName\\":\\"ConsoleLogin\\""', sample("aws-docs.jsonl", 1))


# --- compile_pattern, compile_many --------------------------------------------------------


def test_engine_never_imports_cdktf() -> None:
    code = "import sys, trailwatch.patterns; print(any(m.startswith('cdktf') for m in sys.modules))"
    result = subprocess.run(
        [sys.executable, "-c", code], cwd=REPO, capture_output=True, text=True, check=True
    )
    assert result.stdout.strip() == "False"


def test_compile_pattern_caches_by_text() -> None:
    assert compile_pattern("{ $.a = 1 }") is compile_pattern("{ $.a = 1 }")


def test_compiled_pattern_reports_text_and_kind() -> None:
    assert (compile_pattern("{ $.a = 1 }").kind, compile_pattern("x").kind) == ("json", "term")
    assert compile_pattern("[a]").kind == "space"
    assert compile_pattern("[a]").text == "[a]"


def test_match_set_lists_matching_names_in_mapping_order() -> None:
    match = compile_many({"b": "{ $.x = 1 }", "a": "{ $.x >= 1 }", "c": "{ $.x = 2 }"})
    assert isinstance(match, MatchSet)
    assert match({"x": 1}) == ["b", "a"]
    assert match('{"x": 2}') == ["a", "c"]
    assert match("not json") == []


def test_match_set_mixes_json_term_and_space_patterns() -> None:
    match = compile_many(
        {"json": "{ $.e = Login }", "term": "Login", "space": "[a]", "no": "Logout"}
    )
    assert match({"e": "Login"}) == ["json", "term", "space"]
    assert match("Login") == ["term", "space"]


def test_match_set_agrees_with_single_patterns_on_every_sample() -> None:
    match = compile_many(catalog())
    singles = {event_id: compile_pattern(text) for event_id, text in catalog().items()}
    for name in ("aws-docs.jsonl", "panther-analysis.jsonl", "stratus-red-team.jsonl"):
        for line in _sample_lines(name):
            record = json.loads(line)
            expected = [i for i, p in singles.items() if p.matches(record)]
            assert match(record) == expected
            assert match(line) == expected
