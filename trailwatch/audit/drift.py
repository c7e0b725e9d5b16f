"""What each stack's Terraform state holds, and how it drifted from the model.

`read_stack(deployment, target)` reads one stack's resources: the local state file directly
(no Terraform needed), or `terraform show -json` for an S3 backend. With `refresh=True` it runs
`terraform plan -refresh-only` and reads the refreshed values from that plan instead: state
only learns about changes made outside Terraform (a pattern edited in the console or through
boto3) after a refresh, and a refresh-only *plan* never writes state, so `trailwatch state
--refresh` stays read-only. `compare(deployment, target, resources)` is pure: it turns the
resources into a `StackReport` with the trail, the log group, each event's filter and alarm,
and every `Finding` of drift. Patterns are compared whitespace-exact: the catalog's text is the
compliance text, and a finding says when only whitespace differs.
"""

from __future__ import annotations

import json
import tempfile
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any, TypeVar

from trailwatch.config import CreateTrail, LocalBackend, Target
from trailwatch.errors import TrailwatchError
from trailwatch.model import Alarm, Deployment
from trailwatch.terraform import Terraform

# Finding kinds (stable: `--json` consumers match on them).
NOT_DEPLOYED = "not-deployed"
MISSING_EVENT = "missing-event"
EXTRA_FILTER = "extra-filter"
PATTERN_DIFFERS = "pattern-differs"
FILTER_LOG_GROUP = "filter-log-group"
ALARM_MISSING = "alarm-missing"
EXTRA_ALARM = "extra-alarm"
ORPHAN_ALARM = "orphan-alarm"
ACTIONS_DISABLED = "actions-disabled"
NO_ACTIONS = "no-actions"
SETTING_DIFFERS = "setting-differs"
TRAIL = "trail"
LOG_GROUP = "log-group"

T = TypeVar("T")


@dataclass(frozen=True)
class Resource:
    """One managed resource from state: type, Terraform name and attribute values."""

    type: str
    name: str
    values: Mapping[str, Any]


@dataclass(frozen=True)
class TrailView:
    name: str
    multi_region: bool
    logging: bool
    log_group_arn: str | None
    role_arn: str | None
    kms_key_id: str | None


@dataclass(frozen=True)
class LogGroupView:
    name: str
    retention_days: int | None
    kms_key_id: str | None


@dataclass(frozen=True)
class FilterView:
    name: str
    log_group_name: str
    pattern: str
    metric_name: str
    namespace: str


@dataclass(frozen=True)
class AlarmView:
    name: str
    metric_name: str
    namespace: str
    threshold: float
    comparison: str
    period: int
    evaluation_periods: int
    datapoints_to_alarm: int | None
    statistic: str
    treat_missing_data: str
    actions_enabled: bool
    alarm_actions: tuple[str, ...]
    ok_actions: tuple[str, ...]
    insufficient_data_actions: tuple[str, ...]

    @property
    def comparison_symbol(self) -> str:
        return _SYMBOLS.get(self.comparison, self.comparison)


_SYMBOLS = {
    "GreaterThanOrEqualToThreshold": ">=",
    "GreaterThanThreshold": ">",
    "LessThanThreshold": "<",
    "LessThanOrEqualToThreshold": "<=",
}


@dataclass(frozen=True)
class EventView:
    """An enabled event of the model and what state holds for it."""

    event_id: str
    filter: FilterView | None
    alarm: AlarmView | None
    pattern_exact: bool


@dataclass(frozen=True)
class Finding:
    kind: str
    subject: str
    message: str


@dataclass(frozen=True)
class StackReport:
    stack: str
    target: str
    region: str
    source: str
    refreshed: bool
    deployed: bool
    trail: TrailView | None
    log_group: LogGroupView | None
    topic_arn: str | None
    subscriptions: tuple[str, ...]
    events: tuple[EventView, ...]
    findings: tuple[Finding, ...]

    @property
    def drift(self) -> bool:
        return bool(self.findings)


# --- reading state ------------------------------------------------------------------------

TerraformFactory = Callable[[Path, str], Terraform]


def _terraform(stack_dir: Path, stack: str) -> Terraform:
    return Terraform(stack_dir, stack=stack)


def read_stack(
    deployment: Deployment,
    target: Target,
    *,
    refresh: bool = False,
    terraform: TerraformFactory = _terraform,
) -> tuple[tuple[Resource, ...] | None, str]:
    """The stack's resources (None: no state at all) and where they were read from."""
    stack = deployment.stack_name(target)
    location = deployment.state(target)
    if refresh:
        tf = terraform(deployment.stack_dir(target), stack)
        # The folder may have been initialized for another backend (a real deploy, the demo).
        tf.init(reconfigure=True)
        with tempfile.TemporaryDirectory(prefix="trailwatch-refresh-") as tmp:
            plan_file = Path(tmp) / "refresh.tfplan"
            tf.plan(out=plan_file, refresh_only=True)
            plan = tf.show_plan(plan_file)
        # A refresh-only plan's prior_state is the refreshed state.
        prior = plan.get("prior_state", {}).get("values")
        return (resources_from_values(prior) if prior else ()), f"{stack} (refreshed)"
    if isinstance(location.backend, LocalBackend):
        path = deployment.state_dir() / f"{stack}.tfstate"
        if not path.is_file():
            return None, str(path)
        try:
            data = json.loads(path.read_text(encoding="utf-8"))
        except (OSError, json.JSONDecodeError) as err:
            raise TrailwatchError(f"{path}: cannot read Terraform state: {err}") from None
        return _parsed(str(path), resources_from_state_file, data), str(path)
    tf = terraform(deployment.stack_dir(target), stack)
    tf.init(reconfigure=True)
    values = tf.show_state().get("values")
    source = f"s3://{location.backend.bucket}/{location.path}"
    return (_parsed(source, resources_from_values, values) if values else None), source


def _parsed(
    source: str, parse: Callable[[Mapping[str, Any]], tuple[Resource, ...]], data: Any
) -> tuple[Resource, ...]:
    # A truncated or hand-edited state must be one clear message, not a traceback.
    try:
        if not isinstance(data, Mapping):
            raise TypeError("not a JSON object")
        return parse(data)
    except (KeyError, TypeError, AttributeError) as err:
        raise TrailwatchError(f"{source}: not a Terraform state file ({err})") from None


def resources_from_state_file(data: Mapping[str, Any]) -> tuple[Resource, ...]:
    """Managed resources of a raw state file (format version 4)."""
    if data.get("version") != 4:
        raise TypeError(
            f"Terraform state format version {data.get('version')} is not supported (want 4)"
        )
    resources = []
    for resource in data.get("resources", []):
        if resource.get("mode") != "managed":
            continue
        for instance in resource.get("instances", []):
            resources.append(
                Resource(resource["type"], resource["name"], instance.get("attributes", {}))
            )
    return tuple(resources)


def resources_from_values(values: Mapping[str, Any]) -> tuple[Resource, ...]:
    """Managed resources of `terraform show -json` values (state, or a plan's prior_state)."""
    resources = []
    modules = [values.get("root_module", {})]
    while modules:
        module = modules.pop()
        for resource in module.get("resources", []):
            if resource.get("mode") == "managed":
                resources.append(
                    Resource(resource["type"], resource["name"], resource.get("values", {}))
                )
        modules.extend(module.get("child_modules", []))
    return tuple(resources)


# --- comparing with the model -------------------------------------------------------------


def compare(
    deployment: Deployment,
    target: Target,
    resources: Iterable[Resource] | None,
    *,
    source: str = "",
    refreshed: bool = False,
) -> StackReport:
    """What state holds for a target, and every difference from the model."""
    stack = deployment.stack_name(target)
    listed = tuple(resources or ())
    if not listed:
        return StackReport(
            stack=stack, target=target.name, region=target.region, source=source,
            refreshed=refreshed, deployed=False, trail=None, log_group=None, topic_arn=None,
            subscriptions=(), events=(),
            findings=(
                Finding(NOT_DEPLOYED, stack, f"nothing deployed (no resources in {source})"),
            ),
        )
    by_type: dict[str, list[Resource]] = {}
    for resource in listed:
        by_type.setdefault(resource.type, []).append(resource)
    filters = [_filter(r) for r in by_type.get("aws_cloudwatch_log_metric_filter", [])]
    alarms = [_alarm(r) for r in by_type.get("aws_cloudwatch_metric_alarm", [])]
    trail = _first(_trail(r) for r in by_type.get("aws_cloudtrail", []))
    log_group_name = deployment.log_group_name(target)
    log_group = _first(
        _log_group(r) for r in by_type.get("aws_cloudwatch_log_group", [])
        if r.values.get("name") == log_group_name
    )
    topic = _first(r.values.get("arn") for r in by_type.get("aws_sns_topic", []))
    topic_arn = topic or deployment.config.notifications.topic_arn
    subscriptions = tuple(
        f"{r.values.get('protocol')}:{r.values.get('endpoint')}"
        for r in by_type.get("aws_sns_topic_subscription", [])
    )

    findings: list[Finding] = []
    findings += _trail_findings(deployment, target, trail, log_group)
    events, used_filters, used_alarms = [], set(), set()
    for alarm in deployment.alarms:
        view, event_findings = _event(deployment, target, alarm, filters, alarms, topic_arn)
        events.append(view)
        findings += event_findings
        if view.filter:
            used_filters.add(view.filter.name)
        if view.alarm:
            used_alarms.add(view.alarm.name)
    produced = {(f.namespace, f.metric_name) for f in filters}
    for extra in filters:
        if extra.name not in used_filters:
            findings.append(Finding(
                EXTRA_FILTER, extra.name,
                f"filter {extra.name} (metric {extra.namespace}/{extra.metric_name}) belongs to "
                "no enabled event",
            ))
    for other in alarms:
        if (other.namespace, other.metric_name) not in produced:
            findings.append(Finding(
                ORPHAN_ALARM, other.name,
                f"alarm {other.name} watches {other.namespace}/{other.metric_name}, which no "
                "filter produces: it can never fire",
            ))
        elif other.name not in used_alarms:
            findings.append(Finding(
                EXTRA_ALARM, other.name, f"alarm {other.name} belongs to no enabled event"
            ))
    return StackReport(
        stack=stack, target=target.name, region=target.region, source=source,
        refreshed=refreshed, deployed=True, trail=trail, log_group=log_group,
        topic_arn=topic_arn, subscriptions=subscriptions, events=tuple(events),
        findings=tuple(findings),
    )


def _event(
    deployment: Deployment,
    target: Target,
    alarm: Alarm,
    filters: list[FilterView],
    alarms: list[AlarmView],
    topic_arn: str | None,
) -> tuple[EventView, list[Finding]]:
    namespace = deployment.config.namespace
    metric = (namespace, alarm.metric_name)
    findings: list[Finding] = []
    found = _first(f for f in filters if (f.namespace, f.metric_name) == metric)
    if found is None:
        findings.append(Finding(
            MISSING_EVENT, alarm.id,
            f"event {alarm.id}: no metric filter produces {namespace}/{alarm.metric_name}",
        ))
    else:
        findings += _filter_findings(deployment, target, alarm, found)
    watching = [a for a in alarms if (a.namespace, a.metric_name) == metric]
    chosen = _first(a for a in watching if a.name == alarm.alarm_name) or _first(watching)
    if chosen is None:
        findings.append(Finding(
            ALARM_MISSING, alarm.id,
            f"event {alarm.id}: no alarm watches {namespace}/{alarm.metric_name}",
        ))
    else:
        findings += _alarm_findings(alarm, chosen, topic_arn)
    exact = found is not None and found.pattern == alarm.pattern
    return EventView(alarm.id, found, chosen, exact), findings


def _filter_findings(
    deployment: Deployment, target: Target, alarm: Alarm, found: FilterView
) -> list[Finding]:
    findings = []
    if found.pattern != alarm.pattern:
        if " ".join(found.pattern.split()) == " ".join(alarm.pattern.split()):
            how = "differs from the catalog's in whitespace only (compared whitespace-exact)"
        else:
            how = "differs from the catalog's (compared whitespace-exact)"
        findings.append(Finding(
            PATTERN_DIFFERS, alarm.id,
            f"event {alarm.id}: filter {found.name} pattern {how}: deployed {found.pattern!r}, "
            f"catalog {alarm.pattern!r}",
        ))
    expected_group = deployment.log_group_name(target)
    if found.log_group_name != expected_group:
        findings.append(Finding(
            FILTER_LOG_GROUP, alarm.id,
            f"event {alarm.id}: filter {found.name} reads log group {found.log_group_name}, "
            f"not {expected_group}",
        ))
    return findings


# Model setting -> the alarm view's attribute, compared one by one.
_SETTINGS = (
    ("threshold", "threshold"),
    ("period", "period"),
    ("evaluation_periods", "evaluation_periods"),
    ("datapoints_to_alarm", "datapoints_to_alarm"),
    ("statistic", "statistic"),
    ("comparison", "comparison"),
    ("treat_missing_data", "treat_missing_data"),
)


def _alarm_findings(alarm: Alarm, found: AlarmView, topic_arn: str | None) -> list[Finding]:
    findings = []
    if not found.actions_enabled:
        findings.append(Finding(
            ACTIONS_DISABLED, alarm.id,
            f"event {alarm.id}: alarm {found.name} has its actions disabled: it notifies nobody",
        ))
    if not found.alarm_actions:
        findings.append(Finding(
            NO_ACTIONS, alarm.id, f"event {alarm.id}: alarm {found.name} has no alarm actions"
        ))
    elif topic_arn and topic_arn not in found.alarm_actions:
        findings.append(Finding(
            NO_ACTIONS, alarm.id,
            f"event {alarm.id}: alarm {found.name} does not notify the alarm topic {topic_arn}",
        ))
    for setting, attribute in _SETTINGS:
        expected = getattr(alarm.settings, setting)
        actual = getattr(found, attribute)
        if actual is None or expected == actual:
            continue
        findings.append(Finding(
            SETTING_DIFFERS, alarm.id,
            f"event {alarm.id}: alarm {found.name} {setting} is {_show(actual)}, the config "
            f"says {_show(expected)}",
        ))
    return findings


def _trail_findings(
    deployment: Deployment,
    target: Target,
    trail: TrailView | None,
    log_group: LogGroupView | None,
) -> list[Finding]:
    settings = target.trail
    if not isinstance(settings, CreateTrail):
        return []  # an existing trail is not trailwatch's to report on
    name = deployment.log_group_name(target)
    findings = []
    if trail is None:
        findings.append(Finding(TRAIL, target.name, "no trail in state"))
    else:
        if not trail.logging:
            findings.append(Finding(TRAIL, trail.name, f"trail {trail.name} is not logging"))
        if trail.multi_region != settings.multi_region:
            findings.append(Finding(
                TRAIL, trail.name,
                f"trail {trail.name} multi-region is {_show(trail.multi_region)}, the config "
                f"says {_show(settings.multi_region)}",
            ))
        if not trail.log_group_arn or f":log-group:{name}:" not in trail.log_group_arn:
            findings.append(Finding(
                TRAIL, trail.name,
                f"trail {trail.name} does not deliver to log group {name} "
                f"(got {trail.log_group_arn or 'none'})",
            ))
        if not trail.role_arn:
            findings.append(Finding(TRAIL, trail.name, f"trail {trail.name} has no delivery role"))
    if log_group is None:
        findings.append(Finding(LOG_GROUP, name, f"log group {name} is not in state"))
    else:
        retention = log_group.retention_days
        # 0 or unset: CloudWatch Logs keeps events forever, which is never too short.
        if retention and retention < settings.retention_days:
            findings.append(Finding(
                LOG_GROUP, name,
                f"log group {name} keeps events {log_group.retention_days} days, the config "
                f"says {settings.retention_days}",
            ))
        if not log_group.kms_key_id:
            findings.append(Finding(LOG_GROUP, name, f"log group {name} is not KMS-encrypted"))
    return findings


# --- state attributes -> views ------------------------------------------------------------


def _filter(resource: Resource) -> FilterView:
    values = resource.values
    transformation = _first(values.get("metric_transformation") or []) or {}
    return FilterView(
        name=str(values.get("name", resource.name)),
        log_group_name=str(values.get("log_group_name", "")),
        pattern=str(values.get("pattern", "")),
        metric_name=str(transformation.get("name", "")),
        namespace=str(transformation.get("namespace", "")),
    )


def _alarm(resource: Resource) -> AlarmView:
    values = resource.values
    return AlarmView(
        name=str(values.get("alarm_name", resource.name)),
        metric_name=str(values.get("metric_name") or ""),
        namespace=str(values.get("namespace") or ""),
        threshold=float(values.get("threshold") or 0),
        comparison=str(values.get("comparison_operator", "")),
        period=int(values.get("period") or 0),
        evaluation_periods=int(values.get("evaluation_periods") or 0),
        datapoints_to_alarm=_int_or_none(values.get("datapoints_to_alarm")),
        statistic=str(values.get("statistic") or ""),
        treat_missing_data=str(values.get("treat_missing_data") or ""),
        actions_enabled=bool(values.get("actions_enabled", True)),
        alarm_actions=tuple(sorted(values.get("alarm_actions") or ())),
        ok_actions=tuple(sorted(values.get("ok_actions") or ())),
        insufficient_data_actions=tuple(sorted(values.get("insufficient_data_actions") or ())),
    )


def _trail(resource: Resource) -> TrailView:
    values = resource.values
    return TrailView(
        name=str(values.get("name", resource.name)),
        multi_region=bool(values.get("is_multi_region_trail")),
        logging=bool(values.get("enable_logging")),
        log_group_arn=values.get("cloud_watch_logs_group_arn") or None,
        role_arn=values.get("cloud_watch_logs_role_arn") or None,
        kms_key_id=values.get("kms_key_id") or None,
    )


def _log_group(resource: Resource) -> LogGroupView:
    values = resource.values
    return LogGroupView(
        name=str(values.get("name", "")),
        retention_days=_int_or_none(values.get("retention_in_days")),
        kms_key_id=values.get("kms_key_id") or None,
    )


def _first(items: Iterable[T]) -> T | None:
    return next(iter(items), None)


def _int_or_none(value: Any) -> int | None:
    return None if value in (None, "") else int(value)


def _show(value: Any) -> str:
    if isinstance(value, bool):
        return "on" if value else "off"
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value)
