"""Which compliance controls the synthesized stacks meet, per framework, and why not.

`trailwatch coverage` judges what would be deployed: the metric filters, alarms and log groups in
`cdktf.out/stacks/*/cdk.tf.json`, against `frameworks.yaml` (which control needs what) and the
event catalog (the exact texts). Each stack is judged on its own, and a control is met when every
stack meets it. Each event's control also says which path covers the event (`delivery_path`:
the alarm, the EventBridge rule, both). The config model is used only to explain a miss (event
disabled, variant pattern, wrong profile, exclusion added, stale synth, shadow alarm); it never
makes a control pass.

What a config claims: every control of the frameworks its `pattern_profile` is for (securityhub:
CIS v1.2, CIS v1.4+ and Security Hub; prowler: Prowler). That includes the controls of events the
config disables: turning an alarm off is exactly the change a compliance gate must catch. The
command exits 1 when a claimed control is not met.

Pure Python on purpose: no cdktf, no Prowler (tests/test_prowler.py checks that the Prowler
expectations in frameworks.yaml agree with Prowler's own code).
"""

from __future__ import annotations

import dataclasses
import re
from collections.abc import Collection, Sequence
from dataclasses import dataclass, field
from functools import cached_property
from pathlib import Path
from typing import Any, Literal

from trailwatch.inventory.model import Inventory
from trailwatch.inventory.synth import read_synth_stacks
from trailwatch.spec.catalog import DEFAULT_PROFILE
from trailwatch.spec.frameworks import (
    Control,
    Frameworks,
    FrameworkSpec,
    framework_controls,
    load_frameworks,
    normalized,
)
from trailwatch.spec.model import Deployment

Status = Literal["met", "not met", "n/a"]

SNS_ACTION = re.compile(r"^(\$\{aws_sns_topic\.[A-Za-z0-9_-]+\.arn\}|arn:aws[a-z-]*:sns:.+)$")


# -- what a stack's trails feed ---------------------------------------------------------------


def trail_log_groups(stack: Inventory) -> set[str]:
    """Log groups a trail delivers to; filters elsewhere see no CloudTrail records."""
    if not stack.trails:
        # `trail: existing`: the config states that a trail outside this stack (an organization
        # trail, typically multi-region) delivers to the log group its filters use.
        return {f.log_group_name for f in stack.filters}
    return {t.log_group_name for t in stack.trails if t.log_group_name}


def multi_region_log_groups(stack: Inventory) -> set[str]:
    """Of those, the ones a multi-region, logging trail feeds (what CIS and Security Hub want)."""
    if not stack.trails:
        return trail_log_groups(stack)
    return {
        t.log_group_name for t in stack.trails if t.log_group_name and t.multi_region and t.logging
    }


def has_subscriber(stack: Inventory, action: str) -> bool:
    """A subscription or a chat channel receives the topic. A topic trailwatch does not manage
    (a channel's topic_arn) is subscribed to outside the stack."""
    return action not in {t.arn for t in stack.topics} or bool(stack.receivers(action))


# -- judging ----------------------------------------------------------------------------------


@dataclass(frozen=True)
class Verdict:
    """A control in one stack: met or not, a short reason and the particulars."""

    status: Status
    reason: str = ""
    detail: str = ""

    def to_json(self) -> dict[str, Any]:
        return {"status": self.status, "reason": self.reason or None, "detail": self.detail or None}


MET = Verdict("met")
REGIONAL = "no multi-region trail"


def _missed(reason: str, detail: str) -> Verdict:
    return Verdict("not met", reason, detail)


def judge_pattern(control: Control, stack: Inventory, deployment: Deployment) -> Verdict:
    """Is there a filter with the pattern the control needs, on the trail's logs, alarmed?"""
    assert control.pattern is not None
    spec = control.framework
    candidates = [
        f
        for f in stack.filters
        if f.log_group_name in trail_log_groups(stack) and control.pattern.matches(f.pattern)
    ]
    if not candidates:
        return _missed(*_why_no_filter(control, stack, deployment))
    alarms = [a for f in candidates for a in stack.alarms_on(f)]
    if not alarms:
        f = candidates[0]
        return _missed("no alarm", f"no alarm watches {f.namespace}/{f.metric_name}")
    if not any(f.log_group_name in multi_region_log_groups(stack) for f in candidates):
        return _missed(
            REGIONAL,
            f"{candidates[0].log_group_name} is fed by a single-region trail; the control needs a "
            "multi-region trail that is logging",
        )
    if spec.needs_sns_action:
        actions = [x for a in alarms for x in a.alarm_actions if SNS_ACTION.match(x)]
        if not actions:
            return _missed("no SNS action", f"alarm {alarms[0].name} notifies no SNS topic")
        if spec.needs_subscriber and not any(has_subscriber(stack, x) for x in actions):
            return _missed("no subscriber", f"alarm {alarms[0].name}'s topic has no subscription")
    if not any(a.actions_enabled for a in alarms) and {a.name for a in alarms} <= shadow_alarms(
        stack, deployment
    ):
        # The checks read the filter, the alarm and its topic, not whether its actions are on
        # (Prowler's do not either): met, and said to be met only in letter.
        return Verdict("met", "", f"shadow: alarm {alarms[0].name} has its actions off")
    return MET


def _why_no_filter(control: Control, stack: Inventory, deployment: Deployment) -> tuple[str, str]:
    """Explain, from the config model, why no deployed filter has the needed pattern."""
    assert control.pattern is not None and control.event_id is not None
    event_id = control.event_id
    target = deployment.target_of_stack(stack.stack)
    if event_id in deployment.config.disabled_events:
        return "disabled", f"{event_id} is in disabled_events"
    if target is not None and event_id in target.disabled_events:
        return "disabled", f"{event_id} is in the disabled_events of target {target.name}"
    if target is not None and "alarms" not in deployment.delivery_for(target):
        return (
            "alarms not delivered",
            f"target {target.name} delivers {', '.join(deployment.delivery_for(target))} only: "
            "no metric filter or alarm, which the control asks for",
        )
    try:
        alarm = deployment.alarm(event_id, target)
    except KeyError:
        return "no event", f"no event {event_id} in the catalog"
    deployed = [f for f in stack.filters if f.metric_name == alarm.metric_name]
    if not deployed or normalized(deployed[0].pattern) != normalized(alarm.pattern):
        return (
            "stale synth",
            f"the stack's filter for {event_id} is not what the config deploys; run `make synth`",
        )
    if deployed[0].log_group_name not in trail_log_groups(stack):
        return "wrong log group", f"{deployed[0].log_group_name} receives no trail's records"
    exclusions: tuple[str, ...] = tuple(getattr(alarm, "exclusions", ()) or ())
    if exclusions:
        rules = [name.removeprefix("rules.") for name in exclusions if name.startswith("rules.")]
        reason = "exclusion added" + (f": {', '.join(rules)}" if rules else "")
        why = "; ".join(f"{rule.id}: {rule.reason}" for rule in alarm.rules)
        return reason, (
            f"{', '.join(f'exclusions.{name}' for name in exclusions)} changes the pattern of "
            f"{event_id}" + (f" ({why})" if why else "")
        )
    if alarm.pattern_override:
        skipped = f" (samples skipped: {alarm.samples_skipped})" if alarm.samples_skipped else ""
        return (
            "pattern overridden",
            f"{alarm.pattern_override} replaces the catalog pattern of {event_id}{skipped}",
        )
    profile = deployment.profile
    event = alarm.event
    if not alarm.exact and control.pattern.matches(event.pattern):
        return (
            "variant pattern",
            f"profile {profile} deploys a variant; "
            f"{control.framework.title} needs the {DEFAULT_PROFILE} text",
        )
    others = [
        p
        for p in sorted(deployment.catalog.profiles())
        if p != profile and control.pattern.matches(event.pattern_for(p))
    ]
    if others:
        return "wrong profile", f"profile {profile}; profile {others[0]} meets it"
    return (
        "pattern overridden",
        f"the deployed pattern of {event_id} is not what {control.framework.title} requires",
    )


def shadow_alarms(stack: Inventory, deployment: Deployment) -> set[str]:
    """Names of the stack's alarms that the config deploys as shadows (actions off on purpose)."""
    target = deployment.target_of_stack(stack.stack)
    if target is None:
        return set()
    return {a.alarm_name for a in deployment.alarms_for(target) if a.shadow}


def judge_resources(control: Control, stack: Inventory, shadows: Collection[str] = ()) -> Verdict:
    """A rule every alarm or log group of the stack must keep (`shadows`: the alarms the config
    deploys with actions off, named as such when they are what misses the control)."""
    rule = control.resource
    assert rule is not None
    if rule.rule in ("alarm-action", "actions-enabled"):
        if not stack.alarms:
            return Verdict("n/a", "no alarms", "the stack has no alarms")
        if rule.rule == "alarm-action":
            bad = [a.name for a in stack.alarms if not a.alarm_actions]
            reason = "no alarm action"
        else:
            bad = [a.name for a in stack.alarms if not a.actions_enabled]
            reason = "actions disabled"
            if bad and set(bad) <= set(shadows):
                return _missed("shadow", f"actions off, {control.id} not met ({', '.join(bad)})")
            bad = [f"{name} (shadow)" if name in shadows else name for name in bad]
        return _missed(reason, ", ".join(bad)) if bad else MET
    if not stack.log_groups:
        return Verdict(
            "n/a",
            "existing log group",
            "the log group belongs to the existing trail, outside this stack",
        )
    if rule.rule == "retention":
        short = [
            f"{g.name}: {g.retention_days} days"
            for g in stack.log_groups
            if 0 < (g.retention_days or 0) < rule.min_days
        ]
        return _missed(f"retention < {rule.min_days}", ", ".join(short)) if short else MET
    plain = [g.name for g in stack.log_groups if not g.encrypted]
    return _missed("no KMS key", ", ".join(plain)) if plain else MET


def delivery_path(verdict: Verdict, stack: Inventory, event_id: str | None) -> str:
    """Which path tells someone about the control's event in a stack: its alarm (the control is
    met), its EventBridge rule (enabled, with a target), both, or none ("-"). The rule never
    makes a control met: the frameworks ask for a metric filter and an alarm."""
    if event_id is None:
        return ""
    rule = stack.rule_of_event(event_id)
    events = rule is not None and rule.enabled and bool(stack.targets_of(rule))
    alarm = verdict.status == "met"
    return {(True, True): "both", (True, False): "alarm", (False, True): "events"}.get(
        (alarm, events), "-"
    )


# -- the report -------------------------------------------------------------------------------


@dataclass(frozen=True)
class ControlResult:
    control: Control
    claimed: bool
    verdicts: dict[str, Verdict]
    # Per stack: "alarm", "events", "both" or "-" (`delivery_path`); "" for resource rules.
    paths: dict[str, str] = field(default_factory=dict)

    @property
    def path(self) -> str:
        """The path that covers the control's event, or each stack's when they differ."""
        found = set(self.paths.values())
        if len(found) <= 1:
            return found.pop() if found else ""
        return "; ".join(f"{stack}: {path}" for stack, path in self.paths.items())

    @property
    def status(self) -> Status:
        statuses = {v.status for v in self.verdicts.values()}
        if "not met" in statuses:
            return "not met"
        return "n/a" if statuses == {"n/a"} else "met"

    def misses(self) -> list[tuple[str, Verdict]]:
        """(stack, verdict) for every stack where the control is not met."""
        return [(s, v) for s, v in self.verdicts.items() if v.status == "not met"]

    def to_json(self) -> dict[str, Any]:
        return {
            "id": self.control.id,
            "title": self.control.title,
            "event": self.control.event_id,
            "status": self.status,
            "claimed": self.claimed,
            "reasons": sorted({v.reason for _, v in self.misses()}),
            "path": self.path,
            "stacks": {stack: v.to_json() for stack, v in self.verdicts.items()},
        }


@dataclass(frozen=True)
class FrameworkResult:
    spec: FrameworkSpec
    claimed: bool
    controls: tuple[ControlResult, ...]

    @property
    def met(self) -> int:
        return sum(c.status == "met" for c in self.controls)

    def to_json(self) -> dict[str, Any]:
        return {
            "id": self.spec.id,
            "title": self.spec.title,
            "profile": self.spec.profile,
            "claimed": self.claimed,
            "met": self.met,
            "total": len(self.controls),
            "controls": [c.to_json() for c in self.controls],
        }


@dataclass(frozen=True)
class CoverageReport:
    profile: str
    stacks: tuple[str, ...]
    frameworks: tuple[FrameworkResult, ...]

    @cached_property
    def failed_claims(self) -> list[ControlResult]:
        """Claimed controls that some stack does not meet: these make the command exit 1."""
        return [
            c for f in self.frameworks for c in f.controls if c.claimed and c.status == "not met"
        ]

    @property
    def ok(self) -> bool:
        return not self.failed_claims

    def to_json(self) -> dict[str, Any]:
        return {
            "profile": self.profile,
            "stacks": list(self.stacks),
            "ok": self.ok,
            "claimed_frameworks": [f.spec.id for f in self.frameworks if f.claimed],
            "frameworks": [f.to_json() for f in self.frameworks],
        }


def assess(
    deployment: Deployment, stacks: Sequence[Inventory], frameworks: Frameworks
) -> CoverageReport:
    """Judge every control of every framework in every stack."""
    results = []
    for spec in frameworks.frameworks:
        claimed = spec.profile == deployment.profile
        controls = []
        for control in framework_controls(spec, deployment.catalog):
            verdicts = {}
            for stack in stacks:
                if control.resource is not None:
                    verdicts[stack.stack] = judge_resources(
                        control, stack, shadow_alarms(stack, deployment)
                    )
                else:
                    verdicts[stack.stack] = judge_pattern(control, stack, deployment)
            _credit_multi_region_stacks(verdicts, stacks)
            paths = {s.stack: delivery_path(verdicts[s.stack], s, control.event_id) for s in stacks}
            controls.append(ControlResult(control, claimed, verdicts, paths))
        results.append(FrameworkResult(spec, claimed, tuple(controls)))
    return CoverageReport(deployment.profile, tuple(s.stack for s in stacks), tuple(results))


def _credit_multi_region_stacks(verdicts: dict[str, Verdict], stacks: Sequence[Inventory]) -> None:
    # One multi-region trail per account is what the frameworks want: a regional stack is
    # covered when a stack of the same account meets the control through such a trail.
    for stack in stacks:
        if verdicts[stack.stack].reason != REGIONAL:
            continue
        covering = [
            s.stack
            for s in stacks
            if s.account == stack.account and verdicts[s.stack].status == "met"
        ]
        if covering:
            verdicts[stack.stack] = Verdict(
                "met", "", f"covered by {covering[0]}'s multi-region trail ({stack.account})"
            )


def assess_synth(deployment: Deployment, outdir: Path) -> CoverageReport:
    """Judge the stacks that `make synth` wrote for the deployment's targets."""
    names = [deployment.stack_name(t) for t in deployment.targets]
    return assess(deployment, read_synth_stacks(outdir, names), load_frameworks())


def assess_state(deployment: Deployment, *, refresh: bool = False) -> CoverageReport:
    """Judge what each target's Terraform state holds (what is deployed, not what would be)."""
    from trailwatch.inventory.state import read_state

    stacks = []
    for target in deployment.targets:
        inventory, source = read_state(deployment, target, refresh=refresh)
        stack = inventory or Inventory(stack=deployment.stack_name(target), source=source)
        # State records no provider settings: the config says which account a stack is in, as
        # the synthesized provider block does.
        account = (
            f"account {target.account_id}"
            if target.account_id
            else f"profile {target.profile or 'default'}, role {target.assume_role_arn or 'none'}"
        )
        stacks.append(dataclasses.replace(stack, account=account))
    return assess(deployment, stacks, load_frameworks())
