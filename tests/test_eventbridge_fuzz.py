"""Property test of the normal form: on records of strings and objects only (none of the values
where EventBridge reads otherwise, README "Two paths"), a compiled rule and its filter agree on
every nesting of `&&`/`||` over prefix, suffix, wildcard, anything-but and exists conditions,
judged by moto's matcher. Patterns the compiler refuses must say one of its reasons."""

from __future__ import annotations

import json
from typing import Any

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from moto.events.models import EventPattern

from trailwatch.eventbridge import translate, wrap
from trailwatch.patterns import compile_pattern

FUZZ = settings(max_examples=200, deadline=None, suppress_health_check=[HealthCheck.too_slow])
SELECTORS = ("$.a", "$.b", "$.c.d", "$.c.e")
TEXTS = st.text(alphabet="xy", max_size=3)
# Reasons the compiler may give for these patterns (nothing here is a regex, an index, ...).
REFUSALS = ("two conditions on", "the filter pattern can match no record", "`$or` branches")


@st.composite
def conditions(draw: st.DrawFn) -> str:
    selector = draw(st.sampled_from(SELECTORS))
    if draw(st.integers(0, 7)) == 0:
        return f"{selector} NOT EXISTS"
    text = draw(TEXTS)
    value = draw(st.sampled_from([text, f"{text}*", f"*{text}", f"*{text}*", "*"]))
    op = draw(st.sampled_from(["=", "!="]))
    return f'{selector} {op} "{value}"'


def expressions() -> st.SearchStrategy[str]:
    return st.recursive(
        conditions(),
        lambda inner: st.builds(
            lambda parts, joiner: "(" + f" {joiner} ".join(parts) + ")",
            st.lists(inner, min_size=2, max_size=3),
            st.sampled_from(["&&", "||"]),
        ),
        max_leaves=6,
    )


@st.composite
def records(draw: st.DrawFn) -> dict[str, Any]:
    record: dict[str, Any] = {"eventType": "AwsApiCall"}
    for name in ("a", "b"):
        if draw(st.booleans()):
            record[name] = draw(TEXTS)
    if draw(st.booleans()):
        inner = {name: draw(TEXTS) for name in ("d", "e") if draw(st.booleans())}
        record["c"] = inner or {"other": "x"}  # an empty object is moto's slip, not ours
    return record


@FUZZ
@given(expressions(), st.lists(records(), min_size=1, max_size=8))
def test_rule_and_filter_agree_on_strings(expression: str, sample: list[dict[str, Any]]) -> None:
    pattern = "{ " + expression + " }"
    translation = translate(pattern)
    metric_filter = compile_pattern(pattern)
    if translation.event_pattern is None:
        assert translation.limits
        assert all(limit.startswith(REFUSALS) for limit in translation.limits), translation.limits
        if translation.limits == ("the filter pattern can match no record",):
            assert not any(metric_filter.matches(record) for record in sample), pattern
        return
    rule = EventPattern.load(json.dumps(translation.event_pattern))
    for record in sample:
        assert metric_filter.matches(record) == rule.matches_event(wrap(record)), (
            pattern,
            record,
            translation.event_pattern,
        )
