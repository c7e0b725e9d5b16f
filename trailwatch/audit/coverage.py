"""Which compliance controls the synthesized stacks meet, per framework, and why not.

`trailwatch coverage` judges what would be deployed: the metric filters, alarms and log groups in
`cdktf.out/stacks/*/cdk.tf.json`, against `frameworks.yaml` (which control needs what) and the
event catalog (the exact texts). Each stack is judged on its own, and a control is met when every
stack meets it. The config model is used only to explain a miss (event disabled, variant pattern,
wrong profile, exclusion added, stale synth); it never makes a control pass.

What a config claims: every control of the frameworks its `pattern_profile` is for (securityhub:
CIS v1.2, CIS v1.4+ and Security Hub; prowler: Prowler). That includes the controls of events the
config disables: turning an alarm off is exactly the change a compliance gate must catch. The
command exits 1 when a claimed control is not met.

Pure Python on purpose: no cdktf, no Prowler (tests/test_prowler.py checks that the Prowler
expectations in frameworks.yaml agree with Prowler's own code).
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from functools import cached_property
from pathlib import Path
from typing import Any, Literal, Protocol

import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError

from trailwatch.catalog import DEFAULT_PROFILE, Catalog
from trailwatch.errors import TrailwatchError, describe_validation_error
from trailwatch.model import Deployment

FRAMEWORKS_FILE = Path(__file__).with_name("frameworks.yaml")

Status = Literal["met", "not met", "n/a"]
Rule = Literal["alarm-action", "actions-enabled", "retention", "log-group-kms"]
Operator = Literal["=", "!="]

# A Terraform reference as cdktf writes it: ${aws_type.name.attribute...}
REFERENCE = re.compile(r"^\$\{(aws_[a-z0-9_]+)\.([A-Za-z0-9_-]+)\.([A-Za-z0-9_.\[\]]+)\}(.*)$")
SNS_ACTION = re.compile(r"^(\$\{aws_sns_topic\.[A-Za-z0-9_-]+\.arn\}|arn:aws[a-z-]*:sns:.+)$")


class CoverageError(TrailwatchError):
    """The synthesized stacks or the frameworks file cannot be read."""


def normalized(pattern: str) -> str:
    """A pattern without whitespace outside quoted strings: Security Hub ignores spacing."""
    parts = re.split(r'("(?:[^"\\]|\\.)*")', pattern)
    return "".join(p if p.startswith('"') else re.sub(r"\s+", "", p) for p in parts)


# -- frameworks.yaml ------------------------------------------------------------------------


class _Spec(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class PatternCheck(_Spec):
    """A Prowler check: a regex its metric filter's pattern text must match."""

    id: str
    event: str
    # Prowler's literal regex for checks that have one (`regex` in the file); otherwise the
    # regex is built from the clauses.
    fixed_regex: str | None = Field(default=None, alias="regex")
    event_source: str | None = None
    event_names: tuple[str, ...] = ()
    extra_clauses: tuple[tuple[str, Operator, str], ...] = ()

    def regex(self) -> str:
        """The regex Prowler's check hands its matcher (as its build_metric_filter_pattern)."""
        if self.fixed_regex is not None:
            return self.fixed_regex
        parts = []
        if self.event_source is not None:
            parts.append(rf"(?=.*\$\.eventSource\s*=\s*.?{re.escape(self.event_source)})")
        for name in self.event_names:
            parts.append(rf"(?=.*\$\.eventName\s*=\s*.?{re.escape(name)}\b)")
        for field, operator, value in self.extra_clauses:
            op = r"\s*!=\s*" if operator == "!=" else r"\s*=\s*"
            parts.append(rf"(?=.*\$\.{re.escape(field)}{op}.?{re.escape(value)})")
        return "".join(parts)

    def matches(self, pattern: str) -> bool:
        return re.search(self.regex(), pattern, flags=re.DOTALL) is not None


class ResourceControl(_Spec):
    """A control over every alarm or log group of a stack."""

    id: str
    title: str
    rule: Rule
    min_days: int = 365


class FrameworkSpec(_Spec):
    """One framework: its controls, and the pattern profile meant to meet them."""

    id: str
    title: str
    profile: str
    # Controls that need an event's exact catalog pattern, named by the events' compliance field.
    compliance_field: Literal["cis_v1_2", "cis_v1_4", "security_hub"] | None = None
    needs_sns_action: bool = False
    needs_subscriber: bool = False
    pattern_checks: tuple[PatternCheck, ...] = ()
    resource_controls: tuple[ResourceControl, ...] = ()


class Frameworks(_Spec):
    frameworks: tuple[FrameworkSpec, ...]

    def framework(self, framework_id: str) -> FrameworkSpec:
        for spec in self.frameworks:
            if spec.id == framework_id:
                return spec
        raise KeyError(framework_id)

    def prowler_checks(self) -> list[PatternCheck]:
        return list(self.framework("prowler").pattern_checks)


def load_frameworks(path: Path = FRAMEWORKS_FILE) -> Frameworks:
    """Read and validate the frameworks file."""
    try:
        data = yaml.safe_load(path.read_text(encoding="utf-8"))
        return Frameworks.model_validate(data)
    except OSError as err:
        raise CoverageError(f"{path}: cannot read: {err.strerror or err}") from None
    except yaml.YAMLError as err:
        raise CoverageError(f"{path}: not valid YAML: {err}") from None
    except ValidationError as err:
        raise CoverageError(describe_validation_error(path, err)) from None


# -- what a control needs ---------------------------------------------------------------------


class PatternRequirement(Protocol):
    def matches(self, pattern: str) -> bool: ...


@dataclass(frozen=True)
class ExactPattern:
    """The catalog's exact text, spacing aside (how Security Hub compares)."""

    text: str

    def matches(self, pattern: str) -> bool:
        return normalized(pattern) == normalized(self.text)


@dataclass(frozen=True)
class Control:
    """One control of a framework: a pattern on an event's filter, or a rule over resources."""

    framework: FrameworkSpec
    id: str
    title: str
    event_id: str | None = None
    pattern: PatternRequirement | None = None
    resource: ResourceControl | None = None


def _control_order(control_id: str) -> tuple[int, ...]:
    return tuple(int(n) for n in re.findall(r"\d+", control_id))


def framework_controls(spec: FrameworkSpec, catalog: Catalog) -> list[Control]:
    """The controls of a framework, with the events of the catalog that serve them."""
    controls: dict[str, Control] = {}
    if spec.compliance_field:
        for event in catalog.values():
            control_id = getattr(event.compliance, spec.compliance_field)
            # An extra event claiming a control that a built-in event serves does not replace it.
            if control_id and control_id not in controls:
                controls[control_id] = Control(
                    spec, control_id, event.title, event.id, ExactPattern(event.pattern)
                )
        controls = dict(sorted(controls.items(), key=lambda item: _control_order(item[0])))
    for check in spec.pattern_checks:
        title = catalog[check.event].title if check.event in catalog else check.event
        controls[check.id] = Control(spec, check.id, title, check.event, check)
    for resource in spec.resource_controls:
        controls[resource.id] = Control(spec, resource.id, resource.title, resource=resource)
    return list(controls.values())


# -- what the synthesized stacks deploy -------------------------------------------------------


@dataclass(frozen=True)
class MetricFilter:
    pattern: str
    log_group: str
    metric: str
    namespace: str


@dataclass(frozen=True)
class MetricAlarm:
    name: str
    metric: str
    namespace: str
    alarm_actions: tuple[str, ...]
    actions_enabled: bool


@dataclass(frozen=True)
class LogGroup:
    name: str
    # 0: never expires.
    retention_days: int
    encrypted: bool


@dataclass(frozen=True)
class StackView:
    """The parts of one synthesized stack that compliance controls look at."""

    name: str
    filters: tuple[MetricFilter, ...]
    alarms: tuple[MetricAlarm, ...]
    log_groups: tuple[LogGroup, ...]
    # Log groups a trail delivers to; filters elsewhere see no CloudTrail records.
    trail_log_groups: frozenset[str]
    # Of those, the ones a multi-region, logging trail feeds (what CIS and Security Hub want).
    multi_region_log_groups: frozenset[str]
    # Which account the stack deploys to, as far as the synthesized provider tells.
    account: str
    # Alarm actions (topic references or ARNs) whose topic has a subscription in this stack.
    subscribed_topics: frozenset[str]
    manages_topic: bool

    def alarms_on(self, metric_filter: MetricFilter) -> list[MetricAlarm]:
        """Alarms on exactly the filter's metric and namespace."""
        return [a for a in self.alarms
                if (a.metric, a.namespace) == (metric_filter.metric, metric_filter.namespace)]

    def alarmed_filters(self) -> list[MetricFilter]:
        """Filters on a trail's log group with an alarm on their metric."""
        return [f for f in self.filters
                if f.log_group in self.trail_log_groups and self.alarms_on(f)]

    def has_subscriber(self, action: str) -> bool:
        # A topic trailwatch does not manage (topic_arn) is subscribed to outside the stack.
        return action in self.subscribed_topics or not self.manages_topic


class _Resolver:
    """Terraform references of one stack resolved to the literal arguments they point at."""

    def __init__(self, data: dict[str, Any]) -> None:
        self.resources: dict[str, dict[str, dict[str, Any]]] = data.get("resource", {})

    def of(self, kind: str) -> dict[str, dict[str, Any]]:
        return self.resources.get(kind, {})

    def value(self, value: Any) -> Any:
        """The literal behind `${type.name.attr}`; the reference itself when it is computed."""
        match = REFERENCE.match(value) if isinstance(value, str) else None
        if not match:
            return value
        kind, name, path, rest = match.groups()
        node: Any = self.of(kind).get(name)
        for part in re.findall(r"[A-Za-z0-9_]+|\[\d+\]", path):
            if part.startswith("["):
                # cdktf writes single blocks as objects; Terraform indexes them as lists.
                node = node[int(part[1:-1])] if isinstance(node, list) else node
            elif isinstance(node, dict) and part in node:
                node = node[part]
            else:
                return value  # computed at apply time (an ARN, an id): keep the reference
        resolved = self.value(node)
        return f"{resolved}{rest}" if rest else resolved

    def log_group_of_arn(self, arn: str) -> str:
        """The log group name in a trail's `cloud_watch_logs_group_arn`."""
        match = re.match(r"^\$\{aws_cloudwatch_log_group\.([A-Za-z0-9_-]+)\.arn\}", arn)
        if match:
            return str(self.of("aws_cloudwatch_log_group")[match.group(1)]["name"])
        parts = arn.split(":")
        return parts[6] if len(parts) > 6 else arn


def read_stack(path: Path, name: str) -> StackView:
    """Read one synthesized `cdk.tf.json`."""
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError) as err:
        raise CoverageError(f"{path}: cannot read the synthesized stack: {err}") from None
    try:
        return _stack_view(data, name)
    except (KeyError, TypeError, AttributeError, IndexError) as err:
        # A hand-edited or foreign file: one message, not a traceback.
        raise CoverageError(f"{path}: not a stack cdktf synthesized ({err!r})") from None


def _stack_view(data: dict[str, Any], name: str) -> StackView:
    refs = _Resolver(data)
    filters = []
    for resource in refs.of("aws_cloudwatch_log_metric_filter").values():
        transformation = resource["metric_transformation"]
        if isinstance(transformation, list):
            transformation = transformation[0]
        filters.append(MetricFilter(
            pattern=str(refs.value(resource["pattern"])),
            log_group=str(refs.value(resource["log_group_name"])),
            metric=str(refs.value(transformation["name"])),
            namespace=str(refs.value(transformation["namespace"])),
        ))
    alarms = [
        MetricAlarm(
            name=str(resource["alarm_name"]),
            metric=str(refs.value(resource.get("metric_name"))),
            namespace=str(refs.value(resource.get("namespace"))),
            alarm_actions=tuple(str(a) for a in resource.get("alarm_actions") or ()),
            # The provider's default when the argument is left out.
            actions_enabled=bool(resource.get("actions_enabled", True)),
        )
        for resource in refs.of("aws_cloudwatch_metric_alarm").values()
    ]
    log_groups = tuple(
        LogGroup(str(g["name"]), int(g.get("retention_in_days") or 0), bool(g.get("kms_key_id")))
        for g in refs.of("aws_cloudwatch_log_group").values()
    )
    trails = refs.of("aws_cloudtrail").values()
    trail_groups = {refs.log_group_of_arn(str(t["cloud_watch_logs_group_arn"]))
                    for t in trails if t.get("cloud_watch_logs_group_arn")}
    multi_region_groups = {
        refs.log_group_of_arn(str(t["cloud_watch_logs_group_arn"]))
        for t in trails
        if t.get("cloud_watch_logs_group_arn") and t.get("is_multi_region_trail") is True
        and t.get("enable_logging", True) is not False
    }
    if not trails:
        # `trail: existing`: the config states that a trail outside this stack (an organization
        # trail, typically multi-region) delivers to the log group its filters use.
        trail_groups = multi_region_groups = {f.log_group for f in filters}
    return StackView(
        name=name,
        filters=tuple(filters),
        alarms=tuple(alarms),
        log_groups=log_groups,
        trail_log_groups=frozenset(trail_groups),
        multi_region_log_groups=frozenset(multi_region_groups),
        account=_account(data),
        subscribed_topics=frozenset(
            str(s["topic_arn"]) for s in refs.of("aws_sns_topic_subscription").values()
        ),
        manages_topic=bool(refs.of("aws_sns_topic")),
    )


def _account(data: dict[str, Any]) -> str:
    """The account a stack's provider is pinned to, else the credentials that pick it."""
    providers = data.get("provider", {}).get("aws") or [{}]
    provider = providers[0] if isinstance(providers, list) else {}
    allowed = provider.get("allowed_account_ids")
    if allowed:
        return "account " + ",".join(map(str, allowed))
    roles = provider.get("assume_role") or [{}]
    role = roles[0].get("role_arn") if isinstance(roles, list) and roles else None
    return f"profile {provider.get('profile') or 'default'}, role {role or 'none'}"


def read_stacks(outdir: Path, names: Iterable[str]) -> list[StackView]:
    """The named stacks of a synth output folder; a missing one says to run `make synth`."""
    stacks_dir = outdir / "stacks"
    if not stacks_dir.is_dir():
        raise CoverageError(
            f"{stacks_dir}: no synthesized stacks; run `make synth` first (or pass --synth-dir)"
        )
    views = []
    for name in names:
        path = stacks_dir / name / "cdk.tf.json"
        if not path.is_file():
            raise CoverageError(
                f"{path}: stack {name} of the config is not synthesized; run `make synth`"
            )
        views.append(read_stack(path, name))
    return views


# -- judging ----------------------------------------------------------------------------------


@dataclass(frozen=True)
class Verdict:
    """A control in one stack: met or not, a short reason and the particulars."""

    status: Status
    reason: str = ""
    detail: str = ""


MET = Verdict("met")
REGIONAL = "no multi-region trail"


def _missed(reason: str, detail: str) -> Verdict:
    return Verdict("not met", reason, detail)


def judge_pattern(control: Control, stack: StackView, deployment: Deployment) -> Verdict:
    """Is there a filter with the pattern the control needs, on the trail's logs, alarmed?"""
    assert control.pattern is not None
    spec = control.framework
    candidates = [f for f in stack.filters
                  if f.log_group in stack.trail_log_groups and control.pattern.matches(f.pattern)]
    if not candidates:
        return _missed(*_why_no_filter(control, stack, deployment))
    alarms = [a for f in candidates for a in stack.alarms_on(f)]
    if not alarms:
        f = candidates[0]
        return _missed("no alarm", f"no alarm watches {f.namespace}/{f.metric}")
    if not any(f.log_group in stack.multi_region_log_groups for f in candidates):
        return _missed(
            REGIONAL,
            f"{candidates[0].log_group} is fed by a single-region trail; the control needs a "
            "multi-region trail that is logging",
        )
    if spec.needs_sns_action:
        actions = [x for a in alarms for x in a.alarm_actions if SNS_ACTION.match(x)]
        if not actions:
            return _missed("no SNS action", f"alarm {alarms[0].name} notifies no SNS topic")
        if spec.needs_subscriber and not any(stack.has_subscriber(x) for x in actions):
            return _missed("no subscriber", f"alarm {alarms[0].name}'s topic has no subscription")
    return MET


def _why_no_filter(control: Control, stack: StackView, deployment: Deployment) -> tuple[str, str]:
    """Explain, from the config model, why no deployed filter has the needed pattern."""
    assert control.pattern is not None and control.event_id is not None
    event_id = control.event_id
    if event_id in deployment.config.disabled_events:
        return "disabled", f"{event_id} is in disabled_events"
    try:
        alarm = deployment.alarm(event_id)
    except KeyError:
        return "no event", f"no event {event_id} in the catalog"
    deployed = [f for f in stack.filters if f.metric == alarm.metric_name]
    if not deployed or normalized(deployed[0].pattern) != normalized(alarm.pattern):
        return "stale synth", f"the stack's filter for {event_id} is not what the config " \
            "deploys; run `make synth`"
    if deployed[0].log_group not in stack.trail_log_groups:
        return "wrong log group", f"{deployed[0].log_group} receives no trail's records"
    exclusions: tuple[str, ...] = tuple(getattr(alarm, "exclusions", ()) or ())
    if exclusions:
        return "exclusion added", f"{', '.join(exclusions)} changes the pattern of {event_id}"
    profile = deployment.profile
    event = alarm.event
    if not alarm.exact and control.pattern.matches(event.pattern):
        return "variant pattern", f"profile {profile} deploys a variant; " \
            f"{control.framework.title} needs the {DEFAULT_PROFILE} text"
    others = [p for p in sorted(deployment.catalog.profiles())
              if p != profile and control.pattern.matches(event.pattern_for(p))]
    if others:
        return "wrong profile", f"profile {profile}; profile {others[0]} meets it"
    return "pattern overridden", f"the deployed pattern of {event_id} is not what " \
        f"{control.framework.title} requires"


def judge_resources(rule: ResourceControl, stack: StackView) -> Verdict:
    """A rule every alarm or log group of the stack must keep."""
    if rule.rule in ("alarm-action", "actions-enabled"):
        if not stack.alarms:
            return Verdict("n/a", "no alarms", "the stack has no alarms")
        if rule.rule == "alarm-action":
            bad = [a.name for a in stack.alarms if not a.alarm_actions]
            reason = "no alarm action"
        else:
            bad = [a.name for a in stack.alarms if not a.actions_enabled]
            reason = "actions disabled"
        return _missed(reason, ", ".join(bad)) if bad else MET
    if not stack.log_groups:
        return Verdict("n/a", "existing log group",
                       "the log group belongs to the existing trail, outside this stack")
    if rule.rule == "retention":
        short = [f"{g.name}: {g.retention_days} days" for g in stack.log_groups
                 if 0 < g.retention_days < rule.min_days]
        return _missed(f"retention < {rule.min_days}", ", ".join(short)) if short else MET
    plain = [g.name for g in stack.log_groups if not g.encrypted]
    return _missed("no KMS key", ", ".join(plain)) if plain else MET


# -- the report -------------------------------------------------------------------------------


@dataclass(frozen=True)
class ControlResult:
    control: Control
    claimed: bool
    verdicts: dict[str, Verdict]

    @property
    def status(self) -> Status:
        statuses = {v.status for v in self.verdicts.values()}
        if "not met" in statuses:
            return "not met"
        return "n/a" if statuses == {"n/a"} else "met"

    def misses(self) -> list[tuple[str, Verdict]]:
        """(stack, verdict) for every stack where the control is not met."""
        return [(s, v) for s, v in self.verdicts.items() if v.status == "not met"]


@dataclass(frozen=True)
class FrameworkResult:
    spec: FrameworkSpec
    claimed: bool
    controls: tuple[ControlResult, ...]

    @property
    def met(self) -> int:
        return sum(c.status == "met" for c in self.controls)


@dataclass(frozen=True)
class CoverageReport:
    profile: str
    stacks: tuple[str, ...]
    frameworks: tuple[FrameworkResult, ...]

    @cached_property
    def failed_claims(self) -> list[ControlResult]:
        """Claimed controls that some stack does not meet: these make the command exit 1."""
        return [c for f in self.frameworks for c in f.controls
                if c.claimed and c.status == "not met"]

    @property
    def ok(self) -> bool:
        return not self.failed_claims

    def to_json(self) -> dict[str, Any]:
        return {
            "profile": self.profile,
            "stacks": list(self.stacks),
            "ok": self.ok,
            "claimed_frameworks": [f.spec.id for f in self.frameworks if f.claimed],
            "frameworks": [
                {
                    "id": f.spec.id,
                    "title": f.spec.title,
                    "profile": f.spec.profile,
                    "claimed": f.claimed,
                    "met": f.met,
                    "total": len(f.controls),
                    "controls": [_control_json(c) for c in f.controls],
                }
                for f in self.frameworks
            ],
        }


def _control_json(result: ControlResult) -> dict[str, Any]:
    return {
        "id": result.control.id,
        "title": result.control.title,
        "event": result.control.event_id,
        "status": result.status,
        "claimed": result.claimed,
        "reasons": sorted({v.reason for _, v in result.misses()}),
        "stacks": {
            stack: {"status": v.status, "reason": v.reason or None, "detail": v.detail or None}
            for stack, v in result.verdicts.items()
        },
    }


def assess(
    deployment: Deployment, stacks: Sequence[StackView], frameworks: Frameworks
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
                    verdicts[stack.name] = judge_resources(control.resource, stack)
                else:
                    verdicts[stack.name] = judge_pattern(control, stack, deployment)
            _credit_multi_region_stacks(verdicts, stacks)
            controls.append(ControlResult(control, claimed, verdicts))
        results.append(FrameworkResult(spec, claimed, tuple(controls)))
    return CoverageReport(deployment.profile, tuple(s.name for s in stacks), tuple(results))


def _credit_multi_region_stacks(verdicts: dict[str, Verdict], stacks: Sequence[StackView]) -> None:
    # One multi-region trail per account is what the frameworks want: a regional stack is
    # covered when a stack of the same account meets the control through such a trail.
    for stack in stacks:
        if verdicts[stack.name].reason != REGIONAL:
            continue
        covering = [s.name for s in stacks if s.account == stack.account
                    and verdicts[s.name].status == "met"]
        if covering:
            verdicts[stack.name] = Verdict(
                "met", "", f"covered by {covering[0]}'s multi-region trail ({stack.account})"
            )


def assess_synth(deployment: Deployment, outdir: Path) -> CoverageReport:
    """Judge the stacks that `make synth` wrote for the deployment's targets."""
    names = [deployment.stack_name(t) for t in deployment.targets]
    return assess(deployment, read_stacks(outdir, names), load_frameworks())
