"""The checks an exclusion rule passes before it is compiled into a deployed pattern.

Unique ids, CloudWatch's regex limits (two per pattern, five regex filters per log group) and
the rule's own evidence: every `removes:` record is one the rule describes and one of its events
counts until the rule drops it; every `keeps:` record is one of its events still counts. The
event's own samples are checked with the deployed pattern by `trailwatch.replay.evidence`, which
expects a match sample that a rule describes to be dropped. Each failure is one `ConfigError`
line naming `exclusions.rules[i]`, the rule's id and the sample's note.
"""

from __future__ import annotations

import datetime
from collections.abc import Mapping, Sequence
from typing import Any

from trailwatch.errors import ConfigError
from trailwatch.spec.catalog import MAX_PATTERN_LENGTH, Catalog
from trailwatch.spec.config import Config
from trailwatch.spec.exclusions import clauses_for, regex_count, rule_pattern, with_clauses
from trailwatch.spec.overrides import ExclusionRule

# CloudWatch's limits on regular expressions (../shared/reference/filter-patterns.md).
MAX_REGEXES_PER_PATTERN = 2
MAX_REGEX_FILTERS_PER_LOG_GROUP = 5


def where(index: int, rule: ExclusionRule) -> str:
    """How messages name a rule: its place in the config and its id."""
    return f"exclusions.rules[{index}] ({rule.id})"


def check_rules(config: Config, catalog: Catalog) -> None:
    """Ids unique, regexes within CloudWatch's limit per pattern, samples proving each rule."""
    rules = config.exclusions.rules
    seen: dict[str, int] = {}
    for index, rule in enumerate(rules):
        if rule.id in seen:
            raise ConfigError(
                f"exclusions.rules[{index}].id: {rule.id!r} is already the id of "
                f"exclusions.rules[{seen[rule.id]}]; rule ids are unique"
            )
        seen[rule.id] = index
    for event_id, event in catalog.items():
        on_event = [(i, r) for i, r in enumerate(rules) if event_id in r.events]
        regexes = pattern_regexes(event.pattern_for(config.pattern_profile)) + sum(
            regex_count(r) for _, r in on_event
        )
        if regexes > MAX_REGEXES_PER_PATTERN:
            raise ConfigError(
                f"exclusions.rules: the {event_id} pattern would hold {regexes} regular "
                f"expressions with {', '.join(where(i, r) for i, r in on_event)} (a value with * "
                f"inside is one; CloudWatch allows {MAX_REGEXES_PER_PATTERN} per pattern); move "
                "the * to the ends of a value or merge the rules"
            )
    for index, rule in enumerate(rules):
        _prove_rule(config, catalog, index, rule)


def pattern_regexes(pattern: str) -> int:
    """How many `%regex%` a valid pattern holds."""
    # Imported here: the engine is only needed once a config has rules or patterns to check.
    from trailwatch.patterns import parse_pattern
    from trailwatch.patterns.lexer import tokenize
    from trailwatch.patterns.syntax import TermPattern

    tree = parse_pattern(pattern)
    if isinstance(tree, TermPattern):
        return sum(term.regex for term in tree.terms)
    start = len(pattern) - len(pattern.lstrip())
    return sum(token.kind == "regex" for token in tokenize(pattern, start, len(pattern)))


def check_regex_filters(path: str, patterns: Sequence[tuple[str, str]]) -> None:
    """At most five of a log group's (event id, pattern) filters hold a regex."""
    with_regex = [event_id for event_id, pattern in patterns if pattern_regexes(pattern)]
    if len(with_regex) > MAX_REGEX_FILTERS_PER_LOG_GROUP:
        raise ConfigError(
            f"{path}: {len(with_regex)} filters of one log group would hold a regular expression "
            f"({', '.join(with_regex)}); CloudWatch allows {MAX_REGEX_FILTERS_PER_LOG_GROUP}: "
            "move the * of exclusion rule values to their ends, or drop rules"
        )


def _prove_rule(config: Config, catalog: Catalog, index: int, rule: ExclusionRule) -> None:
    from trailwatch.patterns import compile_pattern

    described = compile_pattern(rule_pattern(rule))
    events = [catalog[e] for e in rule.events if e in catalog]
    pairs = []
    for event in events:
        base = event.pattern_for(config.pattern_profile)
        compiled = with_clauses(base, [c for _, c in clauses_for(event.id, config.exclusions)])
        if len(compiled) > MAX_PATTERN_LENGTH:
            continue  # refused where it is deployed; an event disabled everywhere deploys nothing
        pairs.append((event.id, compile_pattern(base), compile_pattern(compiled)))
    wrong = []
    for sample in rule.removes:
        counted = [e for e, base, _ in pairs if base.matches(sample.record)]
        still = [e for e, base, deployed in pairs if deployed.matches(sample.record)]
        if not described.matches(sample.record):
            wrong.append(f"removes {sample.note!r}: the rule's match does not describe it")
        elif not counted:
            wrong.append(f"removes {sample.note!r}: none of {', '.join(rule.events)} counts it")
        elif still:
            wrong.append(f"removes {sample.note!r}: {', '.join(still)} still counts it")
    for sample in rule.keeps:
        counted = [e for e, base, _ in pairs if base.matches(sample.record)]
        dropped = [
            e for e, base, deployed in pairs if e in counted and not deployed.matches(sample.record)
        ]
        if not counted:
            wrong.append(f"keeps {sample.note!r}: none of {', '.join(rule.events)} counts it")
        elif dropped:
            by = _droppers(config, dropped, sample.record)
            wrong.append(f"keeps {sample.note!r}: {', '.join(dropped)} no longer counts it{by}")
    if wrong:
        raise ConfigError(f"{where(index, rule)}: " + "; ".join(wrong))


def expired(
    rules: Sequence[ExclusionRule], today: datetime.date
) -> list[tuple[int, ExclusionRule]]:
    """(index, rule) of every rule whose `expires` date has passed."""
    return [(i, r) for i, r in enumerate(rules) if r.expires is not None and r.expires < today]


def expiry_problem(index: int, rule: ExclusionRule) -> str:
    """What an expired rule means, in one line."""
    return (
        f"{where(index, rule)}: expired on {rule.expires} (expires); synth refuses an expired "
        "exclusion: look at the alarm's noise again, then renew expires or remove the rule"
    )


def _droppers(config: Config, event_ids: Sequence[str], record: Mapping[str, Any]) -> str:
    """The exclusions that drop a record from the events: " (dropped by exclusions.rules[i]
    (id))", or a shorthand's field. The rule being proved may not be one: another rule can drop its
    `keeps:` record, and the message must say which."""
    from trailwatch.patterns import compile_pattern

    index = {f"rules.{r.id}": where(i, r) for i, r in enumerate(config.exclusions.rules)}
    found: list[str] = []
    for event_id in event_ids:
        for name, clause in clauses_for(event_id, config.exclusions):
            label = index.get(name, f"exclusions.{name}")
            if label not in found and not compile_pattern("{ " + clause + " }").matches(record):
                found.append(label)
    return f" (dropped by {', '.join(found)})" if found else ""
