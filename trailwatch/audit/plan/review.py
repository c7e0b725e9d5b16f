"""Run the rules over every stack's plan and group the flags into findings, weakenings first."""

from __future__ import annotations

from collections.abc import Iterator, Mapping, Sequence

from trailwatch.audit.plan.parse import StackPlan
from trailwatch.audit.plan.pattern_review import Evidence, pattern_change
from trailwatch.audit.plan.report import Finding, Kind, PatternChange, Report, ResourceRef
from trailwatch.audit.plan.rule_review import rule_flags
from trailwatch.audit.plan.rules import RULES, covered, default_value_counts, subscriptions
from trailwatch.audit.plan.rules_events import rule_pattern
from trailwatch.errors import PlanError
from trailwatch.inventory.resources import EVENT_RULE_TYPE
from trailwatch.spec import naming
from trailwatch.spec.catalog import DEFAULT_PROFILE, EventDefinition
from trailwatch.spec.overrides import ExclusionRule

# Where, what and why: (address, kind, reason, the pattern change behind it if any).
_Flagged = tuple[str, Kind, str, PatternChange | None]

# How the reason for every alarm and filter of a stack whose target left the config begins.
REMOVED_TARGET = "target removed from the config"
_ALARMS_AND_FILTERS = (
    "aws_cloudwatch_log_metric_filter",
    "aws_cloudwatch_metric_alarm",
    EVENT_RULE_TYPE,
)


def review(
    stacks: Sequence[StackPlan],
    catalog: Mapping[str, EventDefinition] | None = None,
    profile: str = DEFAULT_PROFILE,
    rules: Sequence[ExclusionRule] = (),
) -> Report:
    """Flag every security-relevant change of the plans; one finding per reason. The config's
    exclusion `rules` name the rules a filter's pattern gains or loses."""
    names = [s.stack for s in stacks]
    for name in names:
        if names.count(name) > 1:
            sources = ", ".join(s.source for s in stacks if s.stack == name)
            raise PlanError(f"{sources}: all are plans of {name}; give one plan per stack")
    evidence = Evidence(catalog or {}, profile, rules)
    grouped: dict[tuple[Kind, str, PatternChange | None], list[ResourceRef]] = {}
    for stack in sorted(stacks, key=lambda s: s.stack):
        for address, kind, reason, pattern in _review_stack(stack, evidence):
            where = ResourceRef(stack.stack, address)
            grouped.setdefault((kind, reason, pattern), []).append(where)
    findings = [
        Finding(kind=kind, reason=reason, resources=tuple(resources), pattern=pattern)
        for (kind, reason, pattern), resources in grouped.items()
    ]
    # A removed target leads: the other flags of its stack follow from it.
    findings.sort(
        key=lambda f: (
            not f.weakening,
            not f.reason.startswith(REMOVED_TARGET),
            f.resources[0].address,
            f.reason,
        )
    )
    return Report(stacks=tuple(sorted(stacks, key=lambda s: s.stack)), findings=tuple(findings))


def _review_stack(stack: StackPlan, evidence: Evidence) -> Iterator[_Flagged]:
    skip = covered(stack.changes)
    for change in stack.changes:
        if stack.removed_target and change.type in _ALARMS_AND_FILTERS:
            yield change.address, "weakening", _removed_target(stack), None
        if change.address in skip:
            continue
        if change.action == "forget":
            yield (
                change.address,
                "review",
                "removed from Terraform without being destroyed: nothing manages it any more",
                None,
            )
            continue
        if change.type == "aws_cloudwatch_log_metric_filter":
            flags, whole = rule_flags(change, evidence.event_of(change), evidence.rules)
            for kind, reason in flags:
                yield change.address, kind, reason, None
            pattern = None if whole else pattern_change(change, evidence)
            if pattern is not None:
                yield change.address, pattern.kind, pattern.reason, pattern
        if change.type == EVENT_RULE_TYPE:
            for kind, reason in rule_pattern(change, evidence):
                yield change.address, kind, reason, None
        rule = RULES.get(change.type)
        for kind, reason in rule(change) if rule else ():
            yield change.address, kind, reason, None
    for address, kind, reason in subscriptions(stack.changes):
        yield address, kind, reason, None
    for address, kind, reason in default_value_counts(stack.changes):
        yield address, kind, reason, None


def _removed_target(stack: StackPlan) -> str:
    target = naming.target_of_stack(stack.stack) or stack.stack
    return (
        f"{REMOVED_TARGET}: {target}'s alarms and filters are destroyed with its stack "
        f"(`trailwatch destroy --orphaned {target}`; until then they stay deployed, unmanaged)"
    )
