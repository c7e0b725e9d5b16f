"""The compiler's table: each filter-pattern construct and the EventBridge operator it becomes,
each construct without an equivalent and its reason, and the catalog's events compiled."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from trailwatch.eventbridge import DETAIL_TYPES, event_limits, pattern_text, translate
from trailwatch.eventbridge.compiler import MAX_BRANCHES, MAX_PATTERN_CHARS
from trailwatch.spec.catalog import load_catalog

REPO = Path(__file__).resolve().parents[1]

# (filter pattern, the `detail` of the event pattern it compiles to)
TRANSLATIONS: list[tuple[str, dict[str, Any]]] = [
    ("{ $.eventName = ConsoleLogin }", {"eventName": ["ConsoleLogin"]}),
    ('{ $.errorCode = "AccessDenied*" }', {"errorCode": [{"prefix": "AccessDenied"}]}),
    (
        '{ $.errorCode = "*UnauthorizedOperation" }',
        {"errorCode": [{"suffix": "UnauthorizedOperation"}]},
    ),
    ('{ $.userAgent = "*aws-cli*" }', {"userAgent": [{"wildcard": "*aws-cli*"}]}),
    # A `*` inside a contains test is a literal character: escaped in the wildcard.
    ('{ $.a = "*x*y*" }', {"a": [{"wildcard": "*x\\*y*"}]}),
    # A `*` in the middle of a value is literal (json.wildcard-middle): an exact string.
    ('{ $.a = "Ev*ent" }', {"a": ["Ev*ent"]}),
    ('{ $.a = "" }', {"a": [""]}),
    ("{ $.a = * }", {"a": [{"wildcard": "*"}, {"numeric": [">=", -5e9, "<=", 5e9]}]}),
    ('{ $.a != "Yes" }', {"a": [{"anything-but": "Yes"}]}),
    ('{ $.a != "Access*" }', {"a": [{"anything-but": {"prefix": "Access"}}]}),
    ('{ $.a != "*Denied" }', {"a": [{"anything-but": {"suffix": "Denied"}}]}),
    ('{ $.a != "*cli*" }', {"a": [{"anything-but": {"wildcard": "*cli*"}}]}),
    ("{ $.a NOT EXISTS }", {"a": [{"exists": False}]}),
    ("{ $.a IS NULL }", {"a": [None]}),
    ("{ $.a IS TRUE }", {"a": [True]}),
    ("{ $.a IS FALSE }", {"a": [False]}),
    ("{ $.n > 10 }", {"n": [{"numeric": [">", 10]}]}),
    ("{ $.n <= 2.5 }", {"n": [{"numeric": ["<=", 2.5]}]}),
    # json.number-equality: the number, or the string spelled as the pattern spells it.
    ("{ $.n = 5 }", {"n": [{"numeric": ["=", 5]}, "5"]}),
    ("{ $.userIdentity.type = Root }", {"userIdentity": {"type": ["Root"]}}),
    # `||` on one field: one list of alternatives.
    (
        "{ $.eventName = A || $.eventName = B* || $.eventName = A }",
        {"eventName": ["A", {"prefix": "B"}]},
    ),
    # `||` across fields: `$or`.
    ("{ $.a = x || $.b = y }", {"$or": [{"a": ["x"]}, {"b": ["y"]}]}),
    # `&&` over `||` distributes; branches that differ in one field fold back.
    ("{ $.s = e && ($.n = A || $.n = B) }", {"s": ["e"], "n": ["A", "B"]}),
    (
        "{ ($.a = 1 || $.b = 2) && $.c = x }",
        {
            "$or": [
                {"a": [{"numeric": ["=", 1]}, "1"], "c": ["x"]},
                {"b": [{"numeric": ["=", 2]}, "2"], "c": ["x"]},
            ]
        },
    ),
    # A branch implied by another is dropped: (a) || (a && b) is (a).
    ("{ $.a = x || ($.a = x && $.b = y) }", {"a": ["x"]}),
    # Two conditions on one field where one side is exact values: the values the other takes.
    ("{ ($.a = x || $.a = yz) && $.a = y* }", {"a": ["yz"]}),
    ("{ $.a = x && $.a != y }", {"a": ["x"]}),
    # Two anything-buts on one field: one list of excluded values.
    ("{ $.a != x && $.a != y }", {"a": [{"anything-but": ["x", "y"]}]}),
    # A prefix that already refuses the excluded value stays the prefix.
    ("{ $.a = x* && $.a != y }", {"a": [{"prefix": "x"}]}),
    # The exclusions' shape, twice on one field (trailwatch.spec.exclusions).
    (
        "{ ($.a NOT EXISTS || $.a != x) && ($.a NOT EXISTS || $.a != y) }",
        {"a": [{"exists": False}, {"anything-but": ["x", "y"]}]},
    ),
]


@pytest.mark.parametrize(("pattern", "detail"), TRANSLATIONS, ids=[p for p, _ in TRANSLATIONS])
def test_construct_compiles_to_its_eventbridge_operator(
    pattern: str, detail: dict[str, Any]
) -> None:
    translation = translate(pattern)
    assert translation.limits == ()
    assert translation.event_pattern == {"detail-type": list(DETAIL_TYPES), "detail": detail}


# (filter pattern, the start of its one reason); these get no rule at all.
UNTRANSLATABLE: list[tuple[str, str]] = [
    ("{ $.a = %Access.*% }", "`$.a = %Access.*%`: EventBridge has no regular expressions"),
    ("{ $.a[0] = x }", "`$.a[0] = x`: EventBridge cannot address an array element"),
    ("{ $.a[*].b = x }", "`$.a[*].b = x`: EventBridge cannot address an array element"),
    ("{ $.['a.b'] = x }", "`$.['a.b'] = x`: EventBridge joins member names with dots"),
    ("{ $.prefix = x }", "`$.prefix = x`: EventBridge reads a member named 'prefix'"),
    ("{ $.n != 5 }", "`$.n != 5`: `!=` with a number excludes the number and its text"),
    ("{ $.n > 6000000000 }", "`$.n > 6000000000`: EventBridge's numeric matching stops"),
    ("{ $.a = x* && $.a = *y }", "two conditions on `$.a` in one branch"),
    ("{ $.a = x && $.a.b = y }", "conditions on both `$.a` and a field inside it"),
    ("{ $.a != * }", "the filter pattern can match no record"),
    ("{ $.a = x && $.a = y }", "the filter pattern can match no record"),
    ("ERROR", "term pattern: EventBridge patterns test JSON fields"),
    ("[ip, user = root]", "space pattern: EventBridge patterns test JSON fields"),
]


@pytest.mark.parametrize(("pattern", "reason"), UNTRANSLATABLE, ids=[p for p, _ in UNTRANSLATABLE])
def test_construct_without_equivalent_is_reported_with_its_reason(
    pattern: str, reason: str
) -> None:
    translation = translate(pattern)
    assert translation.event_pattern is None
    assert not translation.exact
    assert len(translation.limits) == 1
    assert translation.limits[0].startswith(reason)


def test_every_untranslatable_construct_is_named_not_only_the_first() -> None:
    translation = translate("{ $.a = %x% || $.b[0] = y }")
    assert [limit.split(":")[0] for limit in translation.limits] == ["`$.a = %x%`", "`$.b[0] = y`"]


def test_empty_pattern_matches_every_cloudtrail_event() -> None:
    assert translate("").event_pattern == {"detail-type": list(DETAIL_TYPES)}


def test_normal_form_over_the_branch_cap_is_refused() -> None:
    # Seven two-field disjunctions multiplied out: 2**7 = 128 branches.
    pattern = " && ".join(f"($.a{i} = x || $.b{i} = y)" for i in range(7))
    translation = translate("{ " + pattern + " }")
    assert translation.event_pattern is None
    assert f"more than {MAX_BRANCHES} `$or` branches" in translation.limits[0]


def test_pattern_over_eventbridge_size_quota_is_refused() -> None:
    # Six two-field disjunctions multiplied out: 64 branches of six fields, 4,455 characters.
    pattern = " && ".join(f"($.a{i} = x || $.b{i} = y)" for i in range(6))
    translation = translate("{ " + pattern + " }")
    assert translation.event_pattern is None
    assert translation.limits == (
        f"the event pattern has 4455 characters; EventBridge allows {MAX_PATTERN_CHARS}",
    )


def test_differences_name_the_values_where_rule_and_filter_disagree() -> None:
    translation = translate('{ $.a NOT EXISTS && $.b != "Yes" && $.c = "12" }')
    assert translation.event_pattern is not None
    assert not translation.exact
    assert translation.differences == (
        "`$.a NOT EXISTS`: an object or empty array there exists for `NOT EXISTS`, not for "
        "exists:false",
        '`$.b != "Yes"`: a null or boolean value matches anything-but but not `!=`',
        "`$.c = \"12\"`: a JSON number whose text fits '12' matches the filter, not the rule",
    )


def catalog_patterns() -> dict[str, str]:
    catalog = load_catalog([REPO / "events"])
    patterns = {}
    for event_id, event in catalog.items():
        patterns[event_id] = event.pattern
        for name, variant in event.profiles.items():
            patterns[f"{event_id}/{name}"] = variant.pattern
    return patterns


def test_every_catalog_pattern_compiles_within_eventbridge_quota() -> None:
    patterns = catalog_patterns()
    assert len(patterns) == 20  # 17 events, 3 Prowler variants
    for name, pattern in patterns.items():
        translation = translate(pattern)
        assert translation.event_pattern is not None, name
        assert translation.limits == (), name
        assert len(pattern_text(translation.event_pattern)) <= MAX_PATTERN_CHARS, name


def test_catalog_rules_are_one_branch_each() -> None:
    # Every catalog pattern is an AND of one-field ORs: no `$or` needed.
    for name, pattern in catalog_patterns().items():
        event_pattern = translate(pattern).event_pattern
        assert event_pattern is not None
        assert "$or" not in pattern_text(event_pattern), name


def test_root_usage_rule() -> None:
    pattern = catalog_patterns()["root-account-usage"]
    assert translate(pattern).event_pattern == {
        "detail-type": list(DETAIL_TYPES),
        "detail": {
            "userIdentity": {"type": ["Root"], "invokedBy": [{"exists": False}]},
            "eventType": [{"anything-but": "AwsServiceEvent"}],
        },
    }


def test_limits_report_lists_differences_and_the_counted_sign_in_failures() -> None:
    rows = event_limits(load_catalog([REPO / "events"]))
    assert [(row.event_id, row.kind) for row in rows] == [
        ("console-signin-failures", "counted"),
        ("console-signin-without-mfa", "difference"),
        ("root-account-usage", "difference"),
        ("root-account-usage", "difference"),
    ]
    assert rows[0].text == (
        "the alarm fires at 3 records in 300 s; the rule sends a message for each record, and "
        "the alarm stays the counted path"
    )
    assert rows[0].to_json() == {
        "event": "console-signin-failures",
        "kind": "counted",
        "text": rows[0].text,
    }
    assert not any(row.kind == "untranslated" for row in rows)


# (filter pattern, whether its rule must take read-only management events)
READ_ONLY: list[tuple[str, bool]] = [
    ("{ $.eventName = PutBucketPolicy || $.eventName = DeleteBucketPolicy }", False),
    ("{ $.eventName = GetBucketPolicy }", True),
    ("{ $.eventName = Put* }", False),
    ("{ $.eventName = Desc* }", True),
    ("{ $.eventName = *Policy }", True),
    ("{ $.errorCode = AccessDenied* }", True),
    ("{ $.eventName = CreateTrail || $.userIdentity.type = Root }", True),
    ("", True),
]


@pytest.mark.parametrize(("pattern", "read_only"), READ_ONLY, ids=[p for p, _ in READ_ONLY])
def test_rule_asks_for_read_only_calls_when_its_filter_can_match_one(
    pattern: str, read_only: bool
) -> None:
    assert translate(pattern).read_only_events is read_only
