"""The two configs `trailwatch tune` compares, and the patterns it evaluates for them.

`current` is the config as it stands; `candidate` is another config file, or by default the
current one without any exclusion rule (the two shorthand exclusions stay). Every pattern of both
goes into one named set, so a record is evaluated once for everything tune counts.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

from trailwatch.spec.alarms import Alarm
from trailwatch.spec.config import Environment
from trailwatch.spec.exclusions import clauses_for, rule_pattern, with_clauses
from trailwatch.spec.model import Deployment, build_deployment
from trailwatch.spec.overrides import ExclusionRule

Side = Literal["current", "candidate"]
SIDES: tuple[Side, ...] = ("current", "candidate")


def without_rules(deployment: Deployment) -> Deployment:
    """The same config with `exclusions.rules` emptied: what the alarms count without them."""
    config = deployment.config
    stripped = config.model_copy(
        update={"exclusions": config.exclusions.model_copy(update={"rules": ()})}
    )
    env = Environment(
        config_path=deployment.config_path,
        endpoint_url=deployment.endpoint_url,
        outdir=deployment.outdir,
    )
    return build_deployment(stripped, deployment.config_path, env)


@dataclass(frozen=True)
class RuleCheck:
    """One rule on one event, in the config (side) that holds it, and the names of its patterns.

    `base` is the event's pattern before any exclusion rule (the shorthand exclusions applied),
    `rule` the records the rule describes,
    `without` the event's deployed pattern with only this rule left out.
    """

    side: Side
    event_id: str
    rule: ExclusionRule
    base: str
    matcher: str
    without: str


@dataclass(frozen=True)
class PatternSet:
    """Every named pattern tune evaluates: `patterns` for `compile_many`, and what each means."""

    patterns: dict[str, str]
    # Per side, event id -> the name of its deployed pattern.
    deployed: dict[Side, dict[str, str]]
    checks: tuple[RuleCheck, ...]
    # Event ids enabled in either config, sorted.
    event_ids: tuple[str, ...]
    alarms: dict[Side, dict[str, Alarm]]


def alarms_of(deployment: Deployment, target: str | None) -> tuple[Alarm, ...]:
    """The global alarms, or those of the target of this name (its own layered settings)."""
    if target is None:
        return deployment.alarms
    (chosen,) = deployment.select_targets([target])
    return deployment.alarms_for(chosen)


def pattern_set(
    current: Deployment, candidate: Deployment, target: str | None = None
) -> PatternSet:
    """The patterns of both configs and of each rule they hold, with unique names; a target's
    alarms in each when `target` names one (an error when a config lacks it).

    A rule id both configs hold is checked as the candidate writes it: that is the version
    under consideration.
    """
    current_alarms, candidate_alarms = alarms_of(current, target), alarms_of(candidate, target)
    alarms: dict[Side, dict[str, Alarm]] = {
        "current": {a.id: a for a in current_alarms},
        "candidate": {a.id: a for a in candidate_alarms},
    }
    patterns: dict[str, str] = {}
    deployed: dict[Side, dict[str, str]] = {"current": {}, "candidate": {}}
    for side in SIDES:
        for event_id, alarm in alarms[side].items():
            deployed[side][event_id] = f"{side}/{event_id}"
            patterns[f"{side}/{event_id}"] = alarm.pattern
    in_candidate = {(a.id, r.id) for a in candidate_alarms for r in a.rules}
    checks = _rule_checks("candidate", candidate, candidate_alarms, set(), patterns)
    checks += _rule_checks("current", current, current_alarms, in_candidate, patterns)
    checks.sort(key=lambda check: (check.event_id, check.side != "current"))
    event_ids = tuple(sorted(set(alarms["current"]) | set(alarms["candidate"])))
    return PatternSet(patterns, deployed, tuple(checks), event_ids, alarms)


def _rule_checks(
    side: Side,
    deployment: Deployment,
    alarms: tuple[Alarm, ...],
    skip: set[tuple[str, str]],
    patterns: dict[str, str],
) -> list[RuleCheck]:
    """Each rule of each alarm on this side (but the (event, rule) pairs in `skip`), its three
    patterns added to `patterns`."""
    exclusions = deployment.config.exclusions
    checks = []
    for alarm in alarms:
        for rule in alarm.rules:
            if (alarm.id, rule.id) in skip:
                continue
            prefix = f"{side}/{alarm.id}/{rule.id}"
            clauses = clauses_for(alarm.id, exclusions)
            others = [clause for name, clause in clauses if name != f"rules.{rule.id}"]
            # A record a shorthand exclusion already drops is not the rule's to remove: the
            # base is the event's pattern with the shorthands, without any rule.
            shorthands = [clause for name, clause in clauses if not name.startswith("rules.")]
            patterns[f"{prefix}/base"] = (
                with_clauses(alarm.base_pattern, shorthands) if shorthands else alarm.base_pattern
            )
            patterns[f"{prefix}/rule"] = rule_pattern(rule)
            patterns[f"{prefix}/without"] = (
                with_clauses(alarm.base_pattern, others) if others else alarm.base_pattern
            )
            checks.append(
                RuleCheck(
                    side, alarm.id, rule, f"{prefix}/base", f"{prefix}/rule", f"{prefix}/without"
                )
            )
    return checks
