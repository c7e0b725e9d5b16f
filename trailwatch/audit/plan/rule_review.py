"""Exclusion rules that a filter pattern change adds, widens, narrows or removes.

A plan holds only the filter's pattern text. The rules are read back from the clause structure
trailwatch writes (`trailwatch.spec.exclusions.decompose`: the base pattern, the shorthand
exclusions' clauses, each rule's `match`), so the review needs no config of the plan's "before"
side. The config given to plan-report names a rule (its id and reason) when one of its rules has
the same `match` on that event; a rule it no longer has is described by its `match`.

An added rule, or one whose `match` now covers more records (`covers`: every key of the wider
rule is a key of the narrower one with a value that matches all the narrower value does), is a
weakening; a removed or narrowed one a strengthening. When only rules differ, the rules explain
the whole change and the sample-based pattern review is not needed.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping, Sequence

from trailwatch.audit.plan.masking import Hidden, show
from trailwatch.audit.plan.parse import ResourceChange
from trailwatch.audit.plan.report import Kind
from trailwatch.spec.exclusions import decompose
from trailwatch.spec.overrides import ExclusionRule, MatchKey
from trailwatch.spec.rule_values import covers, normalized

Match = Mapping[MatchKey, str]


def rule_flags(
    change: ResourceChange, event_id: str | None, rules: Sequence[ExclusionRule]
) -> tuple[list[tuple[Kind, str]], bool]:
    """The rule flags of a filter change, and whether the rules explain the whole change."""
    if change.action not in ("update", "replace") or not change.changed("pattern"):
        return [], False
    if not change.known("pattern"):
        return [], False
    before, after = show(change.shown_before("pattern")), show(change.shown_after("pattern"))
    if Hidden.SENSITIVE.value in (before, after):
        return [], False
    old, new = decompose(before), decompose(after)
    if old.rules == new.rules:
        return [], False
    whole = (" ".join(old.base.split()), old.clauses) == (" ".join(new.base.split()), new.clauses)
    return list(_flags(event_id or "this filter", old.rules, new.rules, rules)), whole


def _flags(
    event: str, old: Sequence[Match], new: Sequence[Match], rules: Sequence[ExclusionRule]
) -> Iterator[tuple[Kind, str]]:
    gone = [m for m in old if m not in new]
    for match in (m for m in new if m not in old):
        name = _name(event, match, rules)
        wider = next((o for o in gone if _covers(match, o)), None)
        narrower = next((o for o in gone if _covers(o, match)), None) if wider is None else None
        if wider is not None:
            gone.remove(wider)
            yield (
                "weakening",
                f"exclusion rule {name} widened on {event}: {_words(wider)} → {_words(match)}; "
                f"it drops more records{_reason(event, match, rules)}",
            )
        elif narrower is not None:
            gone.remove(narrower)
            yield (
                "strengthening",
                f"exclusion rule {name} narrowed on {event}: {_words(narrower)} → "
                f"{_words(match)}; it drops fewer records",
            )
        else:
            yield (
                "weakening",
                f"exclusion rule {name} added to {event}: drops {_words(match)}"
                f"{_reason(event, match, rules)}",
            )
    for match in gone:
        yield (
            "strengthening",
            f"exclusion rule {_name(event, match, rules)} removed from {event}: "
            f"{_words(match)} counted again",
        )


def _covers(wide: Match, narrow: Match) -> bool:
    return all(key in narrow and covers(value, narrow[key]) for key, value in wide.items())


def _config_rule(event: str, match: Match, rules: Sequence[ExclusionRule]) -> ExclusionRule | None:
    wanted = {key: normalized(value) for key, value in match.items()}
    for rule in rules:
        if event in rule.events and {k: normalized(v) for k, v in rule.match.items()} == wanted:
            return rule
    return None


def _name(event: str, match: Match, rules: Sequence[ExclusionRule]) -> str:
    rule = _config_rule(event, match, rules)
    return rule.id if rule else "(not in the config)"


def _reason(event: str, match: Match, rules: Sequence[ExclusionRule]) -> str:
    rule = _config_rule(event, match, rules)
    return f"; reason: {rule.reason}" if rule else "; the config gives no reason"


def _words(match: Match) -> str:
    return "(" + ", ".join(f"{key} = {value}" for key, value in match.items()) + ")"
