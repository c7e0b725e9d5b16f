"""Drill one target: sweep, exercise, and judge each call against the filter *deployed*.

`drill_target` reads the target's log group, its metric filters and (when trailwatch created
it) its trail from AWS (`trailwatch.inventory.aws`), removes an earlier drill's leftovers, runs
the exercises and deletes what they made (sweeping again on a failure). Which events are drilled
comes from the event files: an event whose `drill.exercise` names an area that ran is judged on
every call of that area its own (resolved) pattern matches, against the pattern deployed in the
log group, with trailwatch's engine, and against the event's deployed EventBridge rule, by
EventBridge's TestEventPattern (`event_rules`). No emulator evaluates filter patterns and a
real alarm can take many minutes: the engine answers now, `wait_for_alarms` watches the real
alarms after.
Every other enabled event is reported as not drillable, with the command that tests it on real
records instead.
"""

from __future__ import annotations

import shlex
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field, replace
from typing import Any

from trailwatch.drill.clients import AwsClients, caller_identity
from trailwatch.drill.event_rules import RuleCheck
from trailwatch.drill.exercises import EXERCISES, Exercise, TrailExercise
from trailwatch.drill.records import IAM, Call, Recorder
from trailwatch.drill.sweep import sweep
from trailwatch.errors import DrillError
from trailwatch.inventory.aws import read_inventory
from trailwatch.inventory.model import EventRule, Inventory, MetricFilter, Trail
from trailwatch.spec import naming
from trailwatch.spec.alarms import Alarm
from trailwatch.spec.catalog import EventDefinition
from trailwatch.spec.model import Deployment
from trailwatch.spec.targets import CreateTrail, Target


@dataclass(frozen=True)
class CallResult:
    """One call of an exercise, judged by the deployed filter of the event it produces."""

    event_id: str
    call: str
    filter_name: str | None
    matched: bool
    note: str = ""
    # The deployed EventBridge rule's verdict (TestEventPattern); None: no events path.
    rule_name: str | None = None
    rule_matched: bool | None = None
    rule_note: str = ""

    @property
    def ok(self) -> bool:
        """The filter matched, and so did the rule where the event has one."""
        return self.matched and self.rule_matched is not False

    def to_json(self) -> dict[str, Any]:
        return {
            "event_id": self.event_id,
            "call": self.call,
            "filter_name": self.filter_name,
            "matched": self.matched,
            "note": self.note,
            "rule_name": self.rule_name,
            "rule_matched": self.rule_matched,
            "rule_note": self.rule_note,
        }


@dataclass(frozen=True)
class NotDrillable:
    """An enabled event the drill did not exercise, why, and how to test it instead."""

    event_id: str
    reason: str
    replay: str

    def to_json(self) -> dict[str, Any]:
        return {"event_id": self.event_id, "reason": self.reason, "replay": self.replay}


@dataclass(frozen=True)
class AlarmState:
    """A drilled event's alarm and the state `wait_for_alarms` last saw."""

    event_id: str
    alarm_name: str
    state: str

    def to_json(self) -> dict[str, Any]:
        return {"event_id": self.event_id, "alarm_name": self.alarm_name, "state": self.state}


@dataclass(frozen=True)
class TargetDrill:
    """What the drill did on one target and what the deployed filters said."""

    target: str
    region: str
    account: str
    log_group: str
    results: tuple[CallResult, ...]
    not_drillable: tuple[NotDrillable, ...]
    leftovers_removed: int
    alarms: tuple[AlarmState, ...] = ()
    # The CloudTrail records of every call, set-up calls included; not in `to_json`.
    records: tuple[dict[str, Any], ...] = field(default=(), repr=False)

    @property
    def ok(self) -> bool:
        return all(r.ok for r in self.results)

    def to_json(self) -> dict[str, Any]:
        return {
            "target": self.target,
            "region": self.region,
            "account": self.account,
            "log_group": self.log_group,
            "results": [r.to_json() for r in self.results],
            "not_drillable": [n.to_json() for n in self.not_drillable],
            "leftovers_removed": self.leftovers_removed,
            "alarms": [a.to_json() for a in self.alarms],
        }


@dataclass(frozen=True)
class DrillReport:
    """One `trailwatch drill` run: every target's drill, and whether the run passed."""

    endpoint_url: str | None
    drills: tuple[TargetDrill, ...]
    # With --wait, a drilled event's alarm must also have reached ALARM.
    waited: bool = False

    @property
    def ok(self) -> bool:
        ok = all(d.ok for d in self.drills)
        if self.waited:
            ok = ok and all(a.state == "ALARM" for d in self.drills for a in d.alarms)
        return ok

    def to_json(self) -> dict[str, Any]:
        """The `trailwatch drill --json` document."""
        return {
            "ok": self.ok,
            "endpoint_url": self.endpoint_url,
            "targets": [d.to_json() for d in self.drills],
        }


# --- how to test what the drill does not ---------------------------------------------------

NO_SAFE_CALL = "trailwatch knows no safe call for it"
_LOOKUP = (
    "aws cloudtrail lookup-events --lookup-attributes {attribute} --max-items 1000 "
    "--output json > {file} && trailwatch replay {file}"
)
_FROM_BUCKET = (
    "aws s3 sync s3://<trail bucket>/AWSLogs/ cloudtrail-logs/ && "
    "trailwatch replay cloudtrail-logs/"
)


def replay_command(event: EventDefinition) -> str:
    """The command that tests an event on real records (in the target's region) instead: its
    file's `drill.lookup`, else replaying the trail's log files."""
    lookup = event.drill.lookup if event.drill else None
    if lookup is None:
        return _FROM_BUCKET
    attribute = shlex.quote(f"AttributeKey={lookup.key},AttributeValue={lookup.value}")
    return _LOOKUP.format(attribute=attribute, file=shlex.quote(f"{event.id}.json"))


def unavailable_exercises(
    deployment: Deployment, target: Target, trail: Trail | None, log_group: str
) -> dict[str, str]:
    """The areas that cannot run on this target, and why."""
    if trail is not None:
        return {}
    if not deployment.creates_trail(target):
        return {
            "trail": "the trail is not trailwatch's (trail: existing): the drill updates only "
            "a trail it created"
        }
    return {"trail": f"no trail in {target.region} delivers to {log_group}"}


def not_drillable(
    deployment: Deployment, unavailable: Mapping[str, str], target: Target | None = None
) -> tuple[NotDrillable, ...]:
    """Every enabled event the drill does not exercise on a target, as its event file says."""
    skipped = []
    for alarm in deployment.alarms if target is None else deployment.alarms_for(target):
        settings = alarm.event.drill
        if settings is None:
            reason = NO_SAFE_CALL
        elif settings.exercise is None:
            reason = settings.reason or NO_SAFE_CALL
        elif settings.exercise in unavailable:
            reason = unavailable[settings.exercise]
        else:
            continue
        skipped.append(NotDrillable(alarm.id, reason, replay_command(alarm.event)))
    return tuple(skipped)


# --- the drill -----------------------------------------------------------------------------


def drill_target(deployment: Deployment, target: Target, clients: AwsClients) -> TargetDrill:
    """Drill one deployed target; raises DrillError when it cannot (the clean-up still runs)."""
    from botocore.exceptions import BotoCoreError, ClientError  # type: ignore[import-untyped]

    log_group = deployment.log_group_name(target)
    try:
        identity = caller_identity(target, clients)
        deployed = read_deployed(deployment, target, clients)
        trail = deployed.trail_to(log_group)
        leftovers = sweep(target, clients)
    except (BotoCoreError, ClientError) as err:
        raise DrillError(f"drill {target.name}: {err}") from None
    recorder = Recorder(identity, target.region)
    unavailable = unavailable_exercises(deployment, target, trail, log_group)
    exercises = _exercises(recorder, target, clients, trail, unavailable)
    try:
        for exercise in exercises:
            exercise.run()
    except (BotoCoreError, ClientError) as err:
        cleanup = "cleaned up what it made"
        try:
            sweep(target, clients)
        except (BotoCoreError, ClientError) as sweep_err:
            cleanup = f"clean-up failed too ({sweep_err}); the next drill retries it"
        raise DrillError(f"drill {target.name}: {recorder.step} failed: {err}; {cleanup}") from None
    ran = {exercise.name for exercise in exercises}
    return TargetDrill(
        target=target.name,
        region=target.region,
        account=identity.account,
        log_group=log_group,
        results=evaluate(
            deployment,
            target,
            recorder.calls,
            deployed.filters,
            ran,
            rules=rule_check(deployment, target, clients("events"), deployed.event_rules),
        ),
        not_drillable=not_drillable(deployment, unavailable, target),
        leftovers_removed=leftovers,
        records=tuple(c.record for c in recorder.calls),
    )


def rule_check(
    deployment: Deployment, target: Target, events: Any, listed: Iterable[EventRule]
) -> RuleCheck:
    """The EventBridge check of a target: what ListRules found against what the model deploys
    there, and where the model puts the rules of the target's events hosted by another."""
    expected = {r.id: r.rule_name for r in deployment.event_rules_for(target)}
    elsewhere = {
        r.id: f"target {host.name} ({host.region}): {r.rule_name}"
        for host in deployment.targets
        if host.name != target.name
        for r in deployment.event_rules_for(host)
        if target.name in r.requested_by and r.id not in expected
    }
    return RuleCheck(events, listed, expected, elsewhere)


def read_deployed(deployment: Deployment, target: Target, clients: AwsClients) -> Inventory:
    """The target's log group with its filters and, when trailwatch created it, its trail."""
    log_group = deployment.log_group_name(target)
    inventory = read_inventory(
        clients,
        stack=deployment.stack_name(target),
        log_groups=[log_group],
        source=clients.endpoint_url or f"AWS {target.region}",
        trails=deployment.creates_trail(target),
        event_rule_prefix=naming.event_rule_name(deployment.config.name_prefix, ""),
    )
    if inventory.log_group(log_group) is None:
        raise DrillError(
            f"drill {target.name}: log group {log_group} does not exist in {target.region}: "
            "deploy the target first (make demo, or cdktf deploy)"
        )
    return inventory


def _exercises(
    recorder: Recorder,
    target: Target,
    clients: AwsClients,
    trail: Trail | None,
    unavailable: Mapping[str, str],
) -> list[Exercise]:
    made: list[Exercise] = []
    for name, exercise in EXERCISES.items():
        if name in unavailable:
            continue
        if exercise is TrailExercise:
            assert trail is not None  # the trail area is unavailable without one
            made.append(TrailExercise(recorder, target, clients, trail))
        else:
            made.append(exercise(recorder, target, clients))
    return made


def evaluate(
    deployment: Deployment,
    target: Target,
    calls: Iterable[Call],
    filters: Iterable[MetricFilter],
    ran: Iterable[str],
    rules: RuleCheck | None = None,
) -> tuple[CallResult, ...]:
    """Judge each call with the deployed filter of every event its exercise produces (by the
    event file's `drill.exercise`) whose resolved pattern matches the call's record, and with
    the event's deployed EventBridge rule when `rules` is given."""
    from trailwatch.patterns import compile_pattern

    areas = set(ran)
    drilled = [
        a
        for a in deployment.alarms_for(target)
        if a.event.drill and a.event.drill.exercise in areas
    ]
    expected = {a.id: compile_pattern(a.pattern) for a in drilled}
    deployed = {f.metric: f for f in filters}
    judged: set[str] = set()
    results = []
    for call in calls:
        for alarm in drilled:
            assert alarm.event.drill is not None
            if alarm.event.drill.exercise != call.exercise:
                continue
            if not expected[alarm.id].matches(call.record):
                continue
            judged.add(alarm.id)
            metric = (deployment.config.namespace, alarm.metric_name)
            result = _judge(target, alarm, call, deployed.get(metric), metric)
            if rules is not None:
                verdict = rules.judge(alarm.id, call.record)
                result = replace(
                    result,
                    rule_name=verdict.rule_name,
                    rule_matched=verdict.matched,
                    rule_note=verdict.note,
                )
            results.append(result)
    for alarm in drilled:
        if alarm.id not in judged:
            results.append(_no_call(deployment, alarm))
    return tuple(results)


def _judge(
    target: Target,
    alarm: Alarm,
    call: Call,
    deployed: MetricFilter | None,
    metric: tuple[str, str],
) -> CallResult:
    from trailwatch.patterns import PatternSyntaxError, compile_pattern

    if deployed is None:
        namespace, metric_name = metric
        note = f"no filter in the log group produces {namespace}/{metric_name}"
        return CallResult(alarm.id, call.label, None, False, note)
    try:
        matched = compile_pattern(deployed.pattern).matches(call.record)
        note = _global_note(target) if call.source == IAM else ""
    except PatternSyntaxError as err:
        matched, note = False, f"the deployed pattern does not parse: {err}"
    return CallResult(alarm.id, call.label, deployed.name, matched, note)


def _global_note(target: Target) -> str:
    settings = target.trail
    if (
        isinstance(settings, CreateTrail)
        and not settings.multi_region
        and target.region != "us-east-1"
    ):
        return "IAM is global: on AWS its events reach a single-region trail only in us-east-1"
    return ""


def _no_call(deployment: Deployment, alarm: Alarm) -> CallResult:
    """A failed result for an event whose exercise made no call its pattern matches."""
    assert alarm.event.drill is not None
    exercise = alarm.event.drill.exercise
    return CallResult(
        alarm.id,
        f"({exercise} exercise)",
        None,
        False,
        f"no call of the {exercise} exercise makes a record the event's pattern matches: "
        f"check drill.exercise in {deployment.catalog.source(alarm.id)}",
    )
