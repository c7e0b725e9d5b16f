"""What compiled filter patterns match: every construct, and the documented edge cases."""

from __future__ import annotations

import json
import subprocess
import sys
import timeit
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


def test_null_error_code_matches_neither_equal_nor_not_equal() -> None:
    record = {"eventName": "DescribeInstances", "errorCode": None}
    assert not matches('{ $.errorCode = "AccessDenied" }', record)
    assert not matches('{ $.errorCode != "AccessDenied" }', record)
    assert not event("authorization-failures").matches(record)


# --- missing fields, objects, arrays, null --------------------------------------------------


def test_equal_does_not_match_absent_field() -> None:
    assert not matches("{ $.eventType = AwsApiCall }", {"eventName": "x"})


def test_not_equal_does_not_match_field_under_a_missing_parent() -> None:
    assert not matches("{ $.a.b != x }", {})
    assert not matches("{ $.a.b != x }", {"a": "string, not an object"})


@pytest.mark.parametrize("value", [{"value": "p2.xlarge"}, ["p2.xlarge"], {}, []])
def test_selector_at_object_or_array_matches_neither_operator(value: object) -> None:
    record = {"requestParameters": {"instanceType": value}}
    for op in ("=", "!="):
        for literal in ("p2.xlarge", "*xlarge", "x"):
            assert not matches(f"{{ $.requestParameters.instanceType {op} {literal} }}", record)


def test_ec2_large_instance_pattern_ignores_an_instance_type_object() -> None:
    record = sample("panther-analysis.jsonl", 92)
    record["requestParameters"]["instanceType"] = {"value": "p4d.8xlarge"}
    assert not event("ec2-large-instance-changes").matches(record)


# --- string comparison --------------------------------------------------------------------


def test_string_equality_is_case_sensitive() -> None:
    assert matches("{ $.eventName = ConsoleLogin }", {"eventName": "ConsoleLogin"})
    assert not matches("{ $.eventName = ConsoleLogin }", {"eventName": "consolelogin"})


def test_string_equality_is_whole_value() -> None:
    assert not matches("{ $.eventName = Console }", {"eventName": "ConsoleLogin"})
    assert not matches("{ $.eventName = ConsoleLogin }", {"eventName": "ConsoleLogin "})


def test_not_equal_matches_a_different_string() -> None:
    assert matches('{ $.eventType != "AwsServiceEvent" }', {"eventType": "AwsApiCall"})
    assert not matches('{ $.eventType != "AwsServiceEvent" }', {"eventType": "AwsServiceEvent"})


def test_quoted_and_unquoted_values_compare_alike() -> None:
    record = {"eventSource": "kms.amazonaws.com"}
    assert matches("{ $.eventSource = kms.amazonaws.com }", record)
    assert matches('{ $.eventSource = "kms.amazonaws.com" }', record)


def test_quoted_escapes_match_quote_and_backslash() -> None:
    assert matches(r'{ $.m = "a \"b\" c\\d" }', {"m": 'a "b" c\\d'})


def test_string_literal_compares_with_a_number_through_its_text() -> None:
    # AWS: `= "1"` matches 1 but not 1.0; `!= "Alpha"` matches numbers.
    assert matches('{ $.code = "400" }', {"code": 400})
    assert not matches('{ $.code != "400" }', {"code": 400})
    assert matches('{ $.code != "500" }', {"code": 400})
    assert not matches('{ $.code = "1" }', {"code": 1.0})


def test_string_literal_does_not_match_a_boolean() -> None:
    assert not matches("{ $.flag = true }", {"flag": True})
    assert not matches("{ $.flag != true }", {"flag": True})


# --- wildcards ----------------------------------------------------------------------------


def test_leading_star_matches_empty_prefix() -> None:
    assert matches('{ $.e = "*Op" }', {"e": "Op"})
    assert matches('{ $.e = "*Op" }', {"e": "Client.Op"})
    assert not matches('{ $.e = "*Op" }', {"e": "Op.Client"})


def test_trailing_star_matches_empty_suffix() -> None:
    assert matches('{ $.e = "Acc*" }', {"e": "Acc"})
    assert matches('{ $.e = "Acc*" }', {"e": "AccessDenied"})
    assert not matches('{ $.e = "Acc*" }', {"e": "xAcc"})


def test_stars_at_both_ends_match_a_substring() -> None:
    assert matches("{ $.r = *html* }", {"r": "GET /index.html HTTP/1.1"})
    assert matches("{ $.r = *html* }", {"r": "html"})
    assert not matches("{ $.r = *html* }", {"r": "HTML"})


def test_star_in_the_middle_is_literal() -> None:
    assert matches("{ $.e = Ev*ent }", {"e": "Ev*ent"})
    assert not matches("{ $.e = Ev*ent }", {"e": "Event"})
    assert not matches("{ $.e = Ev*ent }", {"e": "EvXent"})


def test_wildcard_not_equal_means_a_string_without_the_match() -> None:
    assert matches('{ $.e != "Access*" }', {"e": "Throttling"})
    assert not matches('{ $.e != "Access*" }', {"e": "AccessDenied"})
    assert not matches('{ $.e != "Access*" }', {})


def test_lone_star_means_field_exists_with_a_value() -> None:
    pattern = "{ $.f = * }"
    assert matches(pattern, {"f": "x"})
    assert matches(pattern, {"f": ""})
    assert matches(pattern, {"f": 0})
    assert not matches(pattern, {"f": False})
    assert not matches(pattern, {"f": None})
    assert not matches(pattern, {"f": {}})
    assert not matches(pattern, {"f": []})
    assert not matches(pattern, {})


def test_not_equal_lone_star_matches_nothing() -> None:
    for record in ({"f": "x"}, {"f": None}, {}, {"f": 1}):
        assert not matches("{ $.f != * }", record)


def test_instance_type_suffix_needs_the_dot() -> None:
    pattern = "{ $.t = *.8xlarge }"
    assert matches(pattern, {"t": "m5.8xlarge"})
    assert not matches(pattern, {"t": "m5.18xlarge"})
    assert not matches(pattern, {"t": "8xlarge"})


# --- numbers ------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("op", "value", "expected"),
    [
        ("=", 1000, True),
        ("=", 999, False),
        ("!=", 999, True),
        ("!=", 1000, False),
        ("<", 1001, True),
        ("<", 1000, False),
        (">", 999, True),
        (">", 1000, False),
        ("<=", 1000, True),
        ("<=", 999, False),
        (">=", 1000, True),
        (">=", 1001, False),
    ],
)
def test_six_numeric_operators(op: str, value: int, expected: bool) -> None:
    assert matches(f"{{ $.bytes {op} {value} }}", {"bytes": 1000}) is expected


@pytest.mark.parametrize(
    ("literal", "field"),
    [("1e3", 1000), ("+1000", 1000), ("1000.0", 1000), ("-2.5", -2.5), ("1e-3", 0.001)],
)
def test_numbers_compare_by_value_whatever_their_spelling(literal: str, field: float) -> None:
    assert matches(f"{{ $.n = {literal} }}", {"n": field})


def test_numeric_comparison_does_not_match_a_numeric_string() -> None:
    assert not matches("{ $.status = 400 }", {"status": "400"})
    assert not matches("{ $.status != 400 }", {"status": "400"})
    assert not matches("{ $.status > 1 }", {"status": "400"})


def test_numeric_comparison_does_not_treat_booleans_as_numbers() -> None:
    assert not matches("{ $.n = 1 }", {"n": True})
    assert not matches("{ $.n < 1 }", {"n": False})


def test_numeric_comparison_does_not_match_missing_or_null() -> None:
    assert not matches("{ $.n != 1 }", {})
    assert not matches("{ $.n != 1 }", {"n": None})


def test_objects_list_number_example_from_aws_docs() -> None:
    record = {"objectList": [{"name": "a", "id": 1}, {"name": "b", "id": 2}]}
    assert matches("{ $.objectList[1].id = 2 }", record)
    assert not matches("{ $.objectList[0].id = 2 }", record)


# --- IS NULL / IS TRUE / IS FALSE / NOT EXISTS ---------------------------------------------


def test_is_null_needs_a_present_null() -> None:
    assert matches("{ $.requestParameters IS NULL }", {"requestParameters": None})
    assert not matches("{ $.requestParameters IS NULL }", {})
    assert not matches("{ $.requestParameters IS NULL }", {"requestParameters": "null"})


def test_is_true_and_is_false_need_json_booleans() -> None:
    assert matches("{ $.readOnly IS TRUE }", {"readOnly": True})
    assert not matches("{ $.readOnly IS TRUE }", {"readOnly": "true"})
    assert not matches("{ $.readOnly IS TRUE }", {"readOnly": 1})
    assert matches("{ $.readOnly IS FALSE }", {"readOnly": False})
    assert not matches("{ $.readOnly IS FALSE }", {"readOnly": 0})
    assert not matches("{ $.readOnly IS FALSE }", {})


def test_not_exists_holds_for_absent_fields_only() -> None:
    pattern = "{ $.userIdentity.invokedBy NOT EXISTS }"
    assert matches(pattern, {"userIdentity": {"type": "Root"}})
    assert matches(pattern, {})
    assert matches(pattern, {"userIdentity": "not an object"})
    assert not matches(pattern, {"userIdentity": {"invokedBy": None}})
    assert not matches(pattern, {"userIdentity": {"invokedBy": "signin.amazonaws.com"}})


def test_not_exists_past_the_end_of_an_array() -> None:
    assert matches("{ $.resources[2] NOT EXISTS }", {"resources": [1, 2]})
    assert not matches("{ $.resources[1] NOT EXISTS }", {"resources": [1, 2]})


# --- selectors into arrays ----------------------------------------------------------------


def test_array_index_selectors() -> None:
    record = {"resources": [{"ARN": "arn:aws:s3:::b"}], "a": [[0], ["x", "y"]]}
    assert matches('{ $.resources[0].ARN = "arn:aws:s3:::b" }', record)
    assert matches("{ $.a[1][0] = x }", record)
    assert matches("{ $.a[1][1] = y }", record)
    assert not matches("{ $.a[1][2] = y }", record)
    assert not matches("{ $.resources.ARN = x }", record)


def test_index_on_an_object_with_digit_keys_leads_nowhere() -> None:
    assert not matches("{ $.a[0] = x }", {"a": {"0": "x"}})


# --- && / || ------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("a", "b", "c"), [(a, b, c) for a in (0, 1) for b in (0, 1) for c in (0, 1)]
)
def test_or_and_precedence_truth_table(a: int, b: int, c: int) -> None:
    record = {"a": "x" if a else "-", "b": "y" if b else "-", "c": "z" if c else "-"}
    assert matches("{ $.a = x || $.b = y && $.c = z }", record) is bool(a or (b and c))
    assert matches("{ ($.a = x || $.b = y) && $.c = z }", record) is bool((a or b) and c)


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


def test_selector_used_in_several_branches_resolves_consistently() -> None:
    pattern = "{ ($.a = 1 && $.b = x) || ($.a = 2 && $.c = y) || $.a NOT EXISTS }"
    assert matches(pattern, {"a": 1, "b": "x"})
    assert matches(pattern, {"a": 2, "c": "y"})
    assert matches(pattern, {"b": "x"})
    assert not matches(pattern, {"a": 2, "b": "x"})
    assert not matches(pattern, {"a": None})


# --- regular expressions ------------------------------------------------------------------


def test_regex_finds_a_match_anywhere_in_the_value() -> None:
    assert matches("{ $.eventName = %Put.*% }", {"eventName": "BucketPutAcl"})
    assert matches("{ $.eventName = %^Put% }", {"eventName": "PutBucketAcl"})
    assert not matches("{ $.eventName = %^Put% }", {"eventName": "BucketPut"})


def test_regex_not_equal_means_a_string_the_regex_does_not_find() -> None:
    assert matches("{ $.e != %^Get% }", {"e": "PutObject"})
    assert not matches("{ $.e != %^Get% }", {"e": "GetObject"})
    assert not matches("{ $.e != %^Get% }", {})


def test_regex_reads_numbers_through_their_text() -> None:
    assert matches("{ $.n = %^40% }", {"n": 404})
    assert not matches("{ $.n = %^1$% }", {"n": 1.0})


def test_regex_classes_are_ascii_only() -> None:
    assert matches(r"{ $.v = %^\d+$% }", {"v": "123"})
    assert not matches(r"{ $.v = %^\d+$% }", {"v": "\u0661\u0662"})  # Arabic-Indic digits


# --- records: dicts, lines, non-objects ---------------------------------------------------


def test_json_pattern_decodes_a_raw_line() -> None:
    line = json.dumps(sample("aws-docs.jsonl", 1))
    assert event("console-signin-without-mfa").matches(line)


@pytest.mark.parametrize(
    "line", ["not json at all", "[1, 2]", '"ConsoleLogin"', "42", "null", "", "{bad json"]
)
def test_json_pattern_does_not_match_non_object_lines(line: str) -> None:
    assert not matches("{ $.eventName = * || $.eventName NOT EXISTS }", line)


def test_json_pattern_does_not_match_non_object_values() -> None:
    for record in (None, 42, ["a"], "x"):
        assert not matches("{ $.a NOT EXISTS }", record)


# --- term patterns ------------------------------------------------------------------------


def test_term_matches_as_case_sensitive_substring() -> None:
    assert matches("ERROR", "2024 ERROR disk full")
    assert matches("ERROR", "XERRORX")
    assert not matches("ERROR", "error: disk full")


def test_all_plain_terms_must_appear() -> None:
    assert matches("ERROR disk", "ERROR: disk full")
    assert not matches("ERROR disk", "ERROR: memory")


def test_quoted_phrase_must_appear_exactly() -> None:
    assert matches('"disk full"', "ERROR: disk full")
    assert not matches('"disk full"', "ERROR: full disk")


def test_minus_term_excludes() -> None:
    assert matches("ERROR -DEBUG", "ERROR disk")
    assert not matches("ERROR -DEBUG", "DEBUG ERROR disk")


def test_question_mark_terms_need_any_one() -> None:
    assert matches("?ERROR ?WARN", "WARN low disk")
    assert matches("?ERROR ?WARN", "ERROR")
    assert not matches("?ERROR ?WARN", "INFO ok")


def test_question_mark_terms_beside_plain_terms_change_nothing() -> None:
    # AWS: `?ERROR ?ARGUMENTS REQUEST` matches exactly the events with REQUEST.
    assert matches("disk ?ERROR ?WARN", "WARN disk")
    assert matches("disk ?ERROR ?WARN", "INFO disk")
    assert not matches("disk ?ERROR ?WARN", "WARN memory")


@pytest.mark.parametrize("pattern", ["", '""', '" "', "   "])
def test_empty_and_blank_patterns_match_every_event(pattern: str) -> None:
    assert matches(pattern, "anything")
    assert matches(pattern, "")
    assert matches(pattern, {"eventName": "x"})


def test_term_pattern_reads_a_dict_record_as_json_text() -> None:
    assert matches("ConsoleLogin", sample("aws-docs.jsonl", 1))
    assert matches('"\\"eventName\\":\\"ConsoleLogin\\""', sample("aws-docs.jsonl", 1))


def test_regex_term_searches_the_line() -> None:
    assert matches(r"%ERR[0-9]{3}%", "fail ERR404 x")
    assert not matches(r"%ERR[0-9]{3}%", "fail ERR4 x")
    assert matches(r"-%^DEBUG%", "INFO DEBUG")


# --- space-delimited patterns -------------------------------------------------------------

APACHE = '127.0.0.1 - frank [10/Oct/2000:13:25:15 -0700] "GET /apache_pb.gif HTTP/1.0" 200 1534'
APACHE_FIELDS = "[ip, user, username, timestamp, request, status_code, bytes]"


def test_space_pattern_groups_brackets_and_quotes_into_one_field() -> None:
    assert matches(APACHE_FIELDS, APACHE)
    assert matches("[ip, user, username, timestamp = 10/Oct*, request = *gif*, s, b]", APACHE)


def test_space_pattern_last_field_takes_the_rest_of_the_line() -> None:
    assert matches("[ip, user, username, timestamp, request, status_code]", APACHE)
    assert matches('[ip, user, username, timestamp, request, rest = "200 1534"]', APACHE)
    assert matches(APACHE_FIELDS, APACHE + " extra")
    assert not matches("[ip, user, username, timestamp, request, status_code, bytes, more]", APACHE)


def test_ellipsis_stands_for_any_number_of_fields() -> None:
    assert matches("[..., status_code = 200, bytes > 1000]", APACHE)
    assert matches("[ip = 127.0.0.1, ..., bytes]", APACHE)
    assert matches("[..., a, b, c, d, e, f, g]", APACHE)
    assert not matches("[..., a, b, c, d, e, f, g, h]", APACHE)


def test_space_string_fields_use_wildcards() -> None:
    assert matches("[..., status_code = 2*, bytes]", APACHE)
    assert not matches("[..., status_code = 4*, bytes]", APACHE)
    assert matches("[..., status_code != 4*, bytes]", APACHE)


def test_space_numeric_fields_take_the_six_operators() -> None:
    for op, expected in [
        ("=", False),
        ("!=", True),
        ("<", False),
        (">", True),
        ("<=", False),
        (">=", True),
    ]:
        assert matches(f"[..., bytes {op} 1000]", APACHE) is expected, op


def test_space_numeric_test_does_not_match_a_non_number_field() -> None:
    assert not matches("[ip, ..., bytes != 5]", "host - x")
    assert not matches("[ip, ..., bytes < 5]", "host - x")


def test_space_conditions_join_on_one_field() -> None:
    assert matches("[..., status_code = 4* || status_code = 2*, bytes]", APACHE)
    assert matches("[..., bytes > 1000 && bytes < 2000]", APACHE)
    assert not matches("[..., bytes > 1000 && bytes < 1500]", APACHE)


def test_space_fields_split_on_runs_of_whitespace() -> None:
    assert matches("[a, b = x, c]", "  1   x\t3  ")


def test_unclosed_bracket_runs_to_the_end_of_the_line() -> None:
    assert matches('[a, b = "*c d"]', "x [b c d")


def test_space_pattern_on_a_dict_record_reads_its_json_text() -> None:
    assert matches("[one_field]", {"eventName": "ConsoleLogin"})


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


def test_catalog_evaluation_costs_less_than_decoding_the_record() -> None:
    lines = [
        line
        for name in ("aws-docs.jsonl", "stratus-red-team.jsonl")
        for line in _sample_lines(name)
        if 1000 <= len(line) <= 2000
    ][:50]
    records = [json.loads(line) for line in lines]
    patterns = [compile_pattern(text) for text in catalog().values()]

    def evaluate() -> None:
        for record in records:
            for pattern in patterns:
                pattern.matches(record)

    def decode() -> None:
        for line in lines:
            json.loads(line)

    evaluating = min(timeit.repeat(evaluate, number=20, repeat=5))
    decoding = min(timeit.repeat(decode, number=20, repeat=5))
    assert evaluating < decoding
