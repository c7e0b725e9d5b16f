"""The filter-pattern parser: the trees it builds, and the column at which it refuses.

Which patterns are accepted or refused, as plain cases, is data in tests/semantics/*.json.
"""

from __future__ import annotations

import pickle
from pathlib import Path

import pytest
import yaml

from trailwatch.errors import TrailwatchError
from trailwatch.patterns import PatternSyntaxError, parse_pattern
from trailwatch.patterns.syntax import (
    WILDCARD,
    And,
    AnyFields,
    Check,
    Comparison,
    Field,
    FieldAnd,
    FieldOr,
    FieldTest,
    JsonPattern,
    NumberValue,
    Or,
    RegexValue,
    Selector,
    SpacePattern,
    StringValue,
    Term,
    TermPattern,
)

EVENTS = Path(__file__).resolve().parents[1] / "events"


def catalog_patterns() -> list[tuple[str, str]]:
    found = []
    for path in sorted(EVENTS.glob("*.yaml")):
        data = yaml.safe_load(path.read_text(encoding="utf-8"))
        found.append((data["id"], data["pattern"]))
        for name, variant in (data.get("profiles") or {}).items():
            found.append((f"{data['id']}@{name}", variant["pattern"]))
    return found


def error_of(text: str) -> PatternSyntaxError:
    with pytest.raises(PatternSyntaxError) as caught:
        parse_pattern(text)
    return caught.value


def sel(*path: str | int) -> Selector:
    return Selector(tuple(path), "")


def eq(path: str, value: str) -> Comparison:
    return Comparison(sel(path), "=", StringValue(value, "exact", value))


# --- the catalog --------------------------------------------------------------------------


def test_catalog_has_seventeen_events_and_three_profile_variants() -> None:
    ids = [name for name, _ in catalog_patterns()]
    assert len([i for i in ids if "@" not in i]) == 17
    assert sorted(i for i in ids if "@" in i) == [
        "organizations-changes@prowler",
        "route-table-changes@prowler",
        "security-group-changes@prowler",
    ]


@pytest.mark.parametrize(("event_id", "text"), catalog_patterns())
def test_every_catalog_pattern_parses_as_json(event_id: str, text: str) -> None:
    tree = parse_pattern(text)
    assert isinstance(tree, JsonPattern), event_id
    assert tree.kind == "json"


def test_root_usage_pattern_without_parentheses_is_one_and_of_three() -> None:
    tree = parse_pattern(
        '{$.userIdentity.type="Root" && $.userIdentity.invokedBy NOT EXISTS && '
        '$.eventType !="AwsServiceEvent"}'
    )
    assert tree == JsonPattern(
        And(
            (
                Comparison(sel("userIdentity", "type"), "=", StringValue("Root", "exact", "Root")),
                Check(sel("userIdentity", "invokedBy"), "NOT EXISTS"),
                Comparison(
                    sel("eventType"),
                    "!=",
                    StringValue("AwsServiceEvent", "exact", "AwsServiceEvent"),
                ),
            )
        )
    )


def test_kms_pattern_nests_an_or_inside_an_and() -> None:
    tree = parse_pattern(
        "{($.eventSource=kms.amazonaws.com) && (($.eventName=DisableKey) || "
        "($.eventName=ScheduleKeyDeletion))}"
    )
    assert tree == JsonPattern(
        And(
            (
                eq("eventSource", "kms.amazonaws.com"),
                Or((eq("eventName", "DisableKey"), eq("eventName", "ScheduleKeyDeletion"))),
            )
        )
    )


# --- spacing, parentheses, precedence -----------------------------------------------------


def test_spacing_inside_a_pattern_is_free() -> None:
    tight = parse_pattern("{$.eventName=X&&$.a!=b}")
    loose = parse_pattern("  {   $.eventName   =   X   &&\n\t$.a  !=  b  }  ")
    assert tight == loose


def test_redundant_parentheses_give_the_same_tree() -> None:
    assert parse_pattern("{ (($.a = 1)) }") == parse_pattern("{ $.a = 1 }")
    assert parse_pattern("{ ($.a = x || $.b = y) || $.c = z }") == parse_pattern(
        "{ $.a = x || $.b = y || $.c = z }"
    )


def test_and_binds_tighter_than_or() -> None:
    tree = parse_pattern("{ $.a = x || $.b = y && $.c = z }")
    assert tree == JsonPattern(Or((eq("a", "x"), And((eq("b", "y"), eq("c", "z"))))))


def test_parentheses_override_precedence() -> None:
    tree = parse_pattern("{ ($.a = x || $.b = y) && $.c = z }")
    assert tree == JsonPattern(And((Or((eq("a", "x"), eq("b", "y"))), eq("c", "z"))))


def test_parentheses_may_nest_one_hundred_deep() -> None:
    tree = parse_pattern("{" + "(" * 100 + "$.a = x" + ")" * 100 + "}")
    assert tree == JsonPattern(eq("a", "x"))


def test_parentheses_deeper_than_one_hundred_are_refused() -> None:
    err = error_of("{" + "(" * 101 + "$.a = x" + ")" * 101 + "}")
    assert err.position == 101
    assert "deeper than 100" in err.reason


# --- selectors ----------------------------------------------------------------------------


def test_nested_selector_splits_into_names() -> None:
    tree = parse_pattern("{ $.userIdentity.sessionContext.sessionIssuer.type = Role }")
    assert isinstance(tree, JsonPattern)
    assert isinstance(tree.expr, Comparison)
    assert tree.expr.selector.path == ("userIdentity", "sessionContext", "sessionIssuer", "type")
    assert tree.expr.selector.text == "$.userIdentity.sessionContext.sessionIssuer.type"


def test_selector_array_indexes_become_integers() -> None:
    tree = parse_pattern("{ $.resources[0].ARN = x && $.a[1][0] = y }")
    assert isinstance(tree, JsonPattern) and isinstance(tree.expr, And)
    paths = [op.selector.path for op in tree.expr.operands if isinstance(op, Comparison)]
    assert paths == [("resources", 0, "ARN"), ("a", 1, 0)]


def test_selector_names_take_dashes_underscores_and_digits() -> None:
    tree = parse_pattern("{ $.my-field_2.x1 = y }")
    assert isinstance(tree, JsonPattern) and isinstance(tree.expr, Comparison)
    assert tree.expr.selector.path == ("my-field_2", "x1")


def selector_of(text: str) -> Selector:
    tree = parse_pattern("{ " + text + " = 1 }")
    assert isinstance(tree, JsonPattern) and isinstance(tree.expr, Comparison)
    return tree.expr.selector


@pytest.mark.parametrize(
    ("text", "path"),
    [
        ("$.['cluster.name']", ("cluster.name",)),
        ('$.["a\\"b"]', ('a"b',)),
        ("$.a['b'].c", ("a", "b", "c")),
        ("$.a.['b']", ("a", "b")),
        ("$.['*']", ("*",)),
        ("$.['']", ("",)),
        ("$.arr[*]", ("arr", WILDCARD)),
        ("$.*", (WILDCARD,)),
        ("$.a.*.b[0][*]", ("a", WILDCARD, "b", 0, WILDCARD)),
    ],
)
def test_bracket_and_wildcard_selectors(text: str, path: tuple[object, ...]) -> None:
    selector = selector_of(text)
    assert selector.path == path
    assert selector.text == text
    assert selector.multi is (WILDCARD in path)


def test_bracket_name_and_dotted_name_give_the_same_tree() -> None:
    assert parse_pattern("{ $.['a'].b = 1 }") == parse_pattern("{ $.a.b = 1 }")
    assert parse_pattern("{ $.['a.b'] = 1 }") != parse_pattern("{ $.a.b = 1 }")


def test_wildcard_step_survives_pickling() -> None:
    tree = parse_pattern("{ $.a[*] = x }")
    assert pickle.loads(pickle.dumps(tree)) == tree
    assert pickle.loads(pickle.dumps(WILDCARD)) is WILDCARD


@pytest.mark.parametrize(
    ("text", "position"),
    [
        ("{ $..value = x }", 3),
        ("{ $.a[-1] = x }", 5),
        ("{ $.['a] = x }", 5),
        ("{ $.a[0:1] = x }", 5),
        ("[a, ..., b, ..., c]", 12),
    ],
)
def test_unsupported_selectors_and_a_second_ellipsis_are_refused_at_their_column(
    text: str, position: int
) -> None:
    assert error_of(text).position == position


@pytest.mark.parametrize(
    ("text", "position"),
    [
        ("{ $eventName = x }", 2),
        ("{ $. eventName = x }", 4),
        ("{ $.a. = x }", 6),
        ("{ $.a[x] = y }", 5),
        ("{ $.a[1 = y }", 5),
        ("{ $.a[] = y }", 5),
        ("{ eventName = x }", 2),
    ],
)
def test_malformed_selectors_are_refused_at_their_column(text: str, position: int) -> None:
    assert error_of(text).position == position


# --- values -------------------------------------------------------------------------------


def value_of(text: str) -> object:
    tree = parse_pattern("{ $.f = " + text + " }")
    assert isinstance(tree, JsonPattern) and isinstance(tree.expr, Comparison)
    return tree.expr.value


def test_quoted_values_unescape_quote_and_backslash() -> None:
    assert value_of(r'"say \"hi\" C:\\dir"') == StringValue(
        'say "hi" C:\\dir', "exact", 'say "hi" C:\\dir'
    )


def test_backslash_before_other_characters_is_kept() -> None:
    assert value_of(r'"a\nb"') == StringValue("a\\nb", "exact", "a\\nb")


def test_unquoted_values_take_dots_colons_slashes_dashes_underscores() -> None:
    text = "arn:aws:iam::123456789012:role/my-role_1.x"
    assert value_of(text) == StringValue(text, "exact", text)


def test_unquoted_value_with_other_characters_is_refused() -> None:
    err = error_of("{ $.f = a@b }")
    assert err.position == 9


@pytest.mark.parametrize(
    ("text", "match", "needle"),
    [
        ('"*UnauthorizedOperation"', "suffix", "UnauthorizedOperation"),
        ('"AccessDenied*"', "prefix", "AccessDenied"),
        ("*html*", "contains", "html"),
        ("*.8xlarge", "suffix", ".8xlarge"),
        ("*", "present", ""),
        ('"*"', "present", ""),
        ("Ev*ent", "exact", "Ev*ent"),
        ("*a*b*", "contains", "a*b"),
    ],
)
def test_wildcards_only_at_the_ends(text: str, match: str, needle: str) -> None:
    value = value_of(text)
    assert isinstance(value, StringValue)
    assert (value.match, value.needle) == (match, needle)


@pytest.mark.parametrize(
    ("text", "number"),
    [
        ("400", 400),
        ("-2", -2),
        ("+1000", 1000),
        ("1.5", 1.5),
        ("-0.25", -0.25),
        (".5", 0.5),
        ("1e-3", 0.001),
        ("2E+2", 200.0),
        ("1.05", 1.05),
    ],
)
def test_unquoted_numbers_are_number_values(text: str, number: float) -> None:
    value = value_of(text)
    assert isinstance(value, NumberValue)
    assert value.value == number
    assert isinstance(value.value, int) == ("." not in text and "e" not in text.lower())


def test_quoted_number_is_a_string() -> None:
    assert value_of('"400"') == StringValue("400", "exact", "400")


@pytest.mark.parametrize("op", ["<", ">", "<=", ">="])
def test_all_six_operators_parse(op: str) -> None:
    for each in ("=", "!=", op):
        tree = parse_pattern("{ $.bytes " + each + " 10 }")
        assert isinstance(tree, JsonPattern) and isinstance(tree.expr, Comparison)
        assert tree.expr.op == each


@pytest.mark.parametrize("value", ["abc", '"5"', "%5%", "*"])
def test_ordering_operators_need_a_number(value: str) -> None:
    err = error_of("{ $.bytes > " + value + " }")
    assert err.reason.startswith("expected a number after '>'")
    assert err.position == 12


def test_missing_value_is_refused_at_the_closing_brace() -> None:
    err = error_of("{$.eventName = }")
    assert err.position == 15
    assert err.reason == "expected a value after '=', found '}'"


def test_double_equals_is_refused() -> None:
    assert error_of("{ $.a == b }").position == 7


# --- special tests ------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "kind"),
    [
        ("$.x IS NULL", "IS NULL"),
        ("$.x IS TRUE", "IS TRUE"),
        ("$.x IS FALSE", "IS FALSE"),
        ("$.x NOT EXISTS", "NOT EXISTS"),
    ],
)
def test_special_tests_parse(text: str, kind: str) -> None:
    assert parse_pattern("{ " + text + " }") == JsonPattern(Check(sel("x"), kind))  # type: ignore[arg-type]


# --- regular expressions ------------------------------------------------------------------


def test_regex_value_keeps_its_source() -> None:
    assert value_of("%Put.*%") == RegexValue("Put.*")


def test_regex_takes_the_documented_operators() -> None:
    assert value_of(r"%^[a-z]{2,3}\d+?$|x*y+.z%") == RegexValue(r"^[a-z]{2,3}\d+?$|x*y+.z")


def test_regex_with_parentheses_is_refused() -> None:
    err = error_of("{ $.f = %a(b)% }")
    assert err.position == 10
    assert "parentheses" in err.reason


def test_third_regex_is_a_syntax_error() -> None:
    err = error_of("{ $.a = %x% || $.b = %y% || $.c = %z% }")
    assert err.position == 34
    assert "at most 2 regular expressions" in err.reason


def test_quoted_percent_text_is_a_plain_string() -> None:
    assert value_of('"%x%"') == StringValue("%x%", "exact", "%x%")


# --- pattern-level limits and errors ------------------------------------------------------


def test_pattern_of_exactly_1024_characters_is_accepted() -> None:
    text = "{ $.a = " + "x" * (1024 - 10) + " }"
    assert len(text) == 1024
    assert isinstance(parse_pattern(text), JsonPattern)


def test_pattern_over_1024_characters_is_refused() -> None:
    err = error_of("x" * 1025)
    assert err.position == 1024
    assert "at most 1,024 characters" in err.reason


def test_text_after_closing_brace_is_refused() -> None:
    assert error_of("{ $.a = b } c").position == 12


def test_unterminated_string_is_refused_at_its_quote() -> None:
    assert error_of('{ $.a = "abc }').position == 8


def test_error_message_is_one_line_with_column_reason_and_pattern() -> None:
    err = error_of("{$.eventName = }")
    assert str(err) == "column 15: expected a value after '=', found '}' in {$.eventName = }"
    assert (err.pattern, err.position) == ("{$.eventName = }", 15)


def test_error_message_shows_line_breaks_as_escapes() -> None:
    err = error_of("{ $.a =\n }")
    assert "\n" not in str(err)
    assert "\\n" in str(err)


def test_syntax_error_is_a_trailwatch_error() -> None:
    assert isinstance(error_of("{"), TrailwatchError)


def test_non_text_input_is_a_syntax_error() -> None:
    with pytest.raises(PatternSyntaxError):
        parse_pattern(None)  # type: ignore[arg-type]


# --- term patterns ------------------------------------------------------------------------


def test_plain_terms_are_required_terms() -> None:
    assert parse_pattern("ERROR Exception") == TermPattern(
        (Term("ERROR", "require"), Term("Exception", "require"))
    )


def test_quoted_phrase_is_one_term() -> None:
    assert parse_pattern('"exact phrase" x') == TermPattern(
        (Term("exact phrase", "require"), Term("x", "require"))
    )


def test_minus_excludes_and_question_mark_makes_optional() -> None:
    assert parse_pattern('ERROR -DEBUG ?WARN ?"a b"') == TermPattern(
        (
            Term("ERROR", "require"),
            Term("DEBUG", "exclude"),
            Term("WARN", "optional"),
            Term("a b", "optional"),
        )
    )


@pytest.mark.parametrize("text", ["", "   ", '""', '" "', ' "" " " '])
def test_empty_and_blank_quoted_patterns_have_no_terms(text: str) -> None:
    assert parse_pattern(text) == TermPattern(())


def test_regex_term_parses() -> None:
    assert parse_pattern("%ERR[0-9]+%") == TermPattern((Term("ERR[0-9]+", "require", regex=True),))


@pytest.mark.parametrize(("text", "position"), [("ERROR:", 5), ("a-b", 1), ("x.y", 1), ("(", 0)])
def test_unquoted_term_with_other_characters_is_refused(text: str, position: int) -> None:
    err = error_of(text)
    assert err.position == position
    assert "quote terms" in err.reason


# --- space-delimited patterns -------------------------------------------------------------


def test_space_pattern_fields_and_conditions() -> None:
    tree = parse_pattern("[ip, user, ..., status = 4*, bytes > 1000]")
    assert tree == SpacePattern(
        (
            Field("ip"),
            Field("user"),
            AnyFields(),
            Field("status", FieldTest("=", StringValue("4*", "prefix", "4"))),
            Field("bytes", FieldTest(">", NumberValue(1000, "1000"))),
        )
    )
    assert tree.kind == "space"


def test_space_conditions_join_with_and_binding_tighter() -> None:
    tree = parse_pattern("[a, b >= 1 && b < 5 || b = 9]")
    assert isinstance(tree, SpacePattern)
    assert tree.fields[1] == Field(
        "b",
        FieldOr(
            (
                FieldAnd(
                    (FieldTest(">=", NumberValue(1, "1")), FieldTest("<", NumberValue(5, "5")))
                ),
                FieldTest("=", NumberValue(9, "9")),
            )
        ),
    )


def test_space_condition_may_omit_the_repeated_field_name() -> None:
    assert parse_pattern("[s = 4* || = 5*]") == parse_pattern("[s = 4* || s = 5*]")
