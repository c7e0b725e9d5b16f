"""Review Terraform plans of trailwatch stacks: what changes, and what weakens the alarms.

Pure: reads the JSON that `terraform show -json PLANFILE` prints (format 1.x) and the catalog;
never runs Terraform and never imports cdktf.

    stack = parse_plan(json.loads(text), source="primary.json")   # or load_plan(path)
    report = review([stack, ...], catalog, profile="securityhub")
    report.verdict            # "No security-relevant change" | "3 changes to review (2 weakenings)"
    report.findings           # what a reviewer must look at, weakenings first
    stack.changes[0].attributes()   # before -> after of each changing attribute, masked

Which stack a plan belongs to: the plan JSON carries no backend settings, but every trailwatch
stack's provider sets the default tag `trailwatch-target`, and the stack is `trailwatch-<that>`.
A plan without it (another tool's plan, say) is named after the first `trailwatch-<name>` in its
file name, else after the file name itself.

Values a plan marks sensitive are never shown (`Hidden.SENSITIVE`); values Terraform learns only
at apply are `Hidden.UNKNOWN`. Findings compare raw values but word them with masked ones.
"""

from __future__ import annotations

import json
import math
import re
from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from enum import Enum
from pathlib import Path
from typing import Any, Literal

from trailwatch.errors import PlanError, TrailwatchError
from trailwatch.spec.catalog import DEFAULT_PROFILE, EventDefinition, Sample

Action = Literal["create", "update", "replace", "delete", "forget"]
Kind = Literal["weakening", "review"]
ACTIONS: tuple[Action, ...] = ("create", "update", "replace", "delete", "forget")
STACK_TAG = "trailwatch-target"
_STACK_IN_NAME = re.compile(r"trailwatch-[a-z0-9](?:[a-z0-9-]*[a-z0-9])?")


class Hidden(Enum):
    """What the report shows in place of a value it must not or cannot show."""

    SENSITIVE = "(sensitive)"
    UNKNOWN = "(known after apply)"


# --- the plan as data ----------------------------------------------------------------------


@dataclass(frozen=True)
class AttributeChange:
    """One top-level attribute that changes: masked values for display."""

    name: str
    before: Any
    after: Any
    forces_replacement: bool


@dataclass(frozen=True)
class ResourceChange:
    """One managed resource the plan would change, with Terraform's raw values and masks."""

    address: str
    type: str
    action: Action
    before: Mapping[str, Any]
    after: Mapping[str, Any]
    after_unknown: Any
    before_sensitive: Any
    after_sensitive: Any
    replace_paths: frozenset[str]

    @property
    def name(self) -> str:
        """The resource's logical name (the address without type or module path)."""
        return self.address.rsplit(".", 1)[-1].split("[", 1)[0]

    def known(self, attribute: str) -> bool:
        """True when the attribute's value after apply is known now, all of it."""
        return not _any_true(_sub(self.after_unknown, attribute))

    def shown_before(self, attribute: str) -> Any:
        return hide(self.before.get(attribute), _sub(self.before_sensitive, attribute))

    def shown_after(self, attribute: str) -> Any:
        return hide(
            self.after.get(attribute),
            _sub(self.after_sensitive, attribute),
            _sub(self.after_unknown, attribute),
        )

    def changed(self, attribute: str) -> bool:
        """The attribute differs after apply, or cannot be known before it."""
        if self.action not in ("update", "replace"):
            return False
        if not self.known(attribute):
            return True
        return not _same(self.before.get(attribute), self.after.get(attribute))

    def attributes(self) -> tuple[AttributeChange, ...]:
        """Every changing top-level attribute of an update or replace, sorted by name."""
        names = set(self.before) | set(self.after)
        if isinstance(self.after_unknown, Mapping):
            names |= {k for k, v in self.after_unknown.items() if _any_true(v)}
        return tuple(
            AttributeChange(
                name=name,
                before=self.shown_before(name),
                after=self.shown_after(name),
                forces_replacement=name in self.replace_paths,
            )
            for name in sorted(names)
            if self.changed(name)
        )


@dataclass(frozen=True)
class StackPlan:
    """The plan of one stack: its name, where it came from, and what it changes."""

    stack: str
    source: str
    region: str | None
    changes: tuple[ResourceChange, ...]

    def counts(self) -> dict[Action, int]:
        """Resources per action, every action present (0 when none)."""
        return {a: sum(1 for c in self.changes if c.action == a) for a in ACTIONS}


def load_plan(path: Path) -> StackPlan:
    """Read one `terraform show -json PLANFILE` output; errors name the file."""
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise PlanError(f"{path}: plan JSON not found") from None
    except (OSError, UnicodeDecodeError) as err:
        raise PlanError(f"{path}: cannot read: {getattr(err, 'strerror', None) or err}") from None
    try:
        data = json.loads(text)
    except json.JSONDecodeError as err:
        raise PlanError(
            f"{path}: not JSON ({err.msg} at line {err.lineno}); give the output of "
            "`terraform show -json PLANFILE`, not the binary plan file"
        ) from None
    return parse_plan(data, source=path.name, origin=str(path))


def parse_plan(
    data: Any, *, source: str, stack: str | None = None, origin: str | None = None
) -> StackPlan:
    """A plan's managed resource changes (no-ops and data reads left out), sorted by address.

    `source` is what the report calls the plan (a file name); errors name `origin` (the path
    as given) when it is set.
    """
    where = origin or source
    if not isinstance(data, dict) or "format_version" not in data:
        raise PlanError(f"{where}: not the JSON of a Terraform plan (no format_version)")
    if "planned_values" not in data and "resource_changes" not in data:
        raise PlanError(
            f"{where}: this is state, not a plan: run `terraform plan -out=PLANFILE` and "
            "give `terraform show -json PLANFILE`"
        )
    if not str(data["format_version"]).startswith("1."):
        raise PlanError(f"{where}: plan format {data['format_version']} is not 1.x")
    if data.get("errored"):
        raise PlanError(f"{where}: the plan errored; fix the plan before reviewing it")
    changes = []
    for index, raw in enumerate(data.get("resource_changes") or []):
        try:
            change = _resource_change(raw)
        except (KeyError, TypeError, AttributeError):
            raise PlanError(f"{where}: resource_changes[{index}] is malformed") from None
        if change is not None:
            changes.append(change)
    return StackPlan(
        stack=stack or stack_name(data, source),
        source=source,
        region=_provider_constant(data, "region"),
        changes=tuple(sorted(changes, key=lambda c: c.address)),
    )


def stack_name(data: Mapping[str, Any], source: str) -> str:
    """`trailwatch-<target>` from the provider's default tags, else from the file name."""
    tags = _provider_default_tags(data)
    if isinstance(tags.get(STACK_TAG), str):
        return f"trailwatch-{tags[STACK_TAG]}"
    found = _STACK_IN_NAME.search(Path(source).name)
    return found.group(0) if found else Path(source).stem


def _resource_change(raw: Mapping[str, Any]) -> ResourceChange | None:
    if raw.get("mode", "managed") != "managed":
        return None
    change = raw["change"]
    action = _action(change["actions"])
    if action is None:
        return None
    for side in ("before", "after", "after_unknown"):
        if not isinstance(change.get(side) or {}, Mapping):
            # Raised as the caller's "malformed" message, naming the resource.
            raise TypeError(f"change.{side} is not an object")
    return ResourceChange(
        address=raw["address"],
        type=raw["type"],
        action=action,
        before=change.get("before") or {},
        after=change.get("after") or {},
        after_unknown=change.get("after_unknown") or {},
        before_sensitive=change.get("before_sensitive") or {},
        after_sensitive=change.get("after_sensitive") or {},
        replace_paths=frozenset(
            str(p[0]) for p in change.get("replace_paths") or [] if isinstance(p, list) and p
        ),
    )


def _action(actions: Sequence[str]) -> Action | None:
    if "delete" in actions and "create" in actions:
        return "replace"  # either order: create_before_destroy only changes the sequence
    for action in ACTIONS:
        if list(actions) == [action]:
            return action
    return None  # no-op, read


def _provider_config(data: Mapping[str, Any]) -> Mapping[str, Any]:
    providers = (data.get("configuration") or {}).get("provider_config") or {}
    for key, config in providers.items():
        if key == "aws" or key.startswith("aws."):
            return config.get("expressions") or {}
    return {}


def _provider_constant(data: Mapping[str, Any], name: str) -> str | None:
    value = (_provider_config(data).get(name) or {}).get("constant_value")
    return value if isinstance(value, str) else None


def _provider_default_tags(data: Mapping[str, Any]) -> Mapping[str, Any]:
    blocks = _provider_config(data).get("default_tags") or []
    for block in blocks if isinstance(blocks, list) else []:
        tags = ((block or {}).get("tags") or {}).get("constant_value")
        if isinstance(tags, dict):
            return tags
    return {}


# --- masking ---------------------------------------------------------------------------


def hide(value: Any, sensitive: Any = False, unknown: Any = False) -> Any:
    """The value with what the masks mark replaced by `Hidden` markers, at any depth."""
    if sensitive is True:
        return Hidden.SENSITIVE
    if unknown is True:
        return Hidden.UNKNOWN
    if isinstance(value, Mapping) or isinstance(unknown, Mapping):
        mapping = value if isinstance(value, Mapping) else {}
        keys = list(mapping) + [
            k
            for k, v in (unknown.items() if isinstance(unknown, Mapping) else ())
            if _any_true(v) and k not in mapping
        ]
        return {k: hide(mapping.get(k), _sub(sensitive, k), _sub(unknown, k)) for k in keys}
    if isinstance(value, list) or isinstance(unknown, list):
        items = value if isinstance(value, list) else []
        length = max(len(items), len(unknown) if isinstance(unknown, list) else 0)
        return [
            hide(items[i] if i < len(items) else None, _sub(sensitive, i), _sub(unknown, i))
            for i in range(length)
        ]
    return value


def _sub(mask: Any, key: str | int) -> Any:
    if isinstance(mask, Mapping) and isinstance(key, str):
        return mask.get(key, False)
    if isinstance(mask, list) and isinstance(key, int) and key < len(mask):
        return mask[key]
    return False


def _any_true(mask: Any) -> bool:
    if mask is True:
        return True
    if isinstance(mask, Mapping):
        return any(_any_true(v) for v in mask.values())
    if isinstance(mask, list):
        return any(_any_true(v) for v in mask)
    return False


def _empty(value: Any) -> bool:
    return value is None or value == "" or value == [] or value == {}


def _same(before: Any, after: Any) -> bool:
    # The provider reports unset as null in state and as "" / [] / {} in the plan, and back:
    # not a change anyone made.
    return before == after or (_empty(before) and _empty(after))


# --- findings ------------------------------------------------------------------------------


@dataclass(frozen=True)
class PatternChange:
    """A filter pattern that changes, and which catalog samples change their result."""

    event_id: str | None
    before: str
    after: str
    stops_matching: tuple[str, ...]
    starts_matching: tuple[str, ...]
    # Set when the samples could not be evaluated (no catalog entry, a pattern the engine rejects).
    unchecked: str | None = None


@dataclass(frozen=True)
class Resource:
    stack: str
    address: str


@dataclass(frozen=True)
class Finding:
    """Something a reviewer must look at; the same reason in several places is one finding."""

    kind: Kind
    reason: str
    resources: tuple[Resource, ...]
    pattern: PatternChange | None = None

    @property
    def weakening(self) -> bool:
        return self.kind == "weakening"


@dataclass(frozen=True)
class Report:
    stacks: tuple[StackPlan, ...]
    findings: tuple[Finding, ...]

    @property
    def weakenings(self) -> int:
        return sum(1 for f in self.findings if f.weakening)

    @property
    def verdict(self) -> str:
        if not self.findings:
            return "No security-relevant change"
        count = len(self.findings)
        text = f"{count} change{'s' if count != 1 else ''} to review"
        if self.weakenings:
            text += f" ({self.weakenings} weakening{'s' if self.weakenings != 1 else ''})"
        return text

    def counts(self) -> dict[Action, int]:
        return {a: sum(s.counts()[a] for s in self.stacks) for a in ACTIONS}


Flag = tuple[Kind, str]


def review(
    stacks: Sequence[StackPlan],
    catalog: Mapping[str, EventDefinition] | None = None,
    profile: str = DEFAULT_PROFILE,
) -> Report:
    """Flag every security-relevant change of the plans; one finding per reason."""
    names = [s.stack for s in stacks]
    for name in names:
        if names.count(name) > 1:
            sources = ", ".join(s.source for s in stacks if s.stack == name)
            raise PlanError(f"{sources}: all are plans of {name}; give one plan per stack")
    evidence = _Evidence(catalog or {}, profile)
    flags: list[tuple[Kind, str, Resource, PatternChange | None]] = []
    for stack in sorted(stacks, key=lambda s: s.stack):
        for address, kind, reason, pattern in _review_stack(stack, evidence):
            flags.append((kind, reason, Resource(stack.stack, address), pattern))
    grouped: dict[tuple[Kind, str, PatternChange | None], list[Resource]] = {}
    for kind, reason, resource, pattern in flags:
        grouped.setdefault((kind, reason, pattern), []).append(resource)
    findings = [
        Finding(kind=kind, reason=reason, resources=tuple(resources), pattern=pattern)
        for (kind, reason, pattern), resources in grouped.items()
    ]
    findings.sort(key=lambda f: (not f.weakening, f.resources[0].address, f.reason))
    return Report(stacks=tuple(sorted(stacks, key=lambda s: s.stack)), findings=tuple(findings))


def _review_stack(
    stack: StackPlan, evidence: _Evidence
) -> Iterator[tuple[str, Kind, str, PatternChange | None]]:
    covered = _covered(stack.changes)
    for change in stack.changes:
        if change.address in covered:
            continue
        if change.action == "forget":
            yield (
                change.address,
                "review",
                ("removed from Terraform without being destroyed: nothing manages it any more"),
                None,
            )
            continue
        if change.type == "aws_cloudwatch_log_metric_filter":
            pattern = _pattern_change(change, evidence)
            if pattern is not None:
                yield change.address, _pattern_kind(pattern), _pattern_reason(pattern), pattern
        for kind, reason in RULES.get(change.type, _no_rule)(change):
            yield change.address, kind, reason, None
    for address, kind, reason in _subscriptions(stack.changes):
        yield address, kind, reason, None


def _no_rule(change: ResourceChange) -> Iterator[Flag]:
    return iter(())


def _covered(changes: Sequence[ResourceChange]) -> set[str]:
    """Resources whose removal a destroyed parent already reports (a bucket's settings, say)."""
    gone_buckets = {
        c.before.get("bucket")
        for c in changes
        if c.type == "aws_s3_bucket" and c.action in ("delete", "replace")
    }
    gone_topics = {
        c.before.get("arn")
        for c in changes
        if c.type == "aws_sns_topic" and c.action in ("delete", "replace")
    }
    covered = set()
    for c in changes:
        if c.action != "delete":
            continue
        if c.type.startswith("aws_s3_bucket_") and c.before.get("bucket") in gone_buckets:
            covered.add(c.address)
        if c.type == "aws_sns_topic_policy" and c.before.get("arn") in gone_topics:
            covered.add(c.address)
    return covered


# --- rule helpers ----------------------------------------------------------------------


def _turned_off(c: ResourceChange, attribute: str) -> bool:
    return (
        c.action in ("update", "replace")
        and c.before.get(attribute) is True
        and c.known(attribute)
        and c.after.get(attribute) in (False, None)
    )


def _removed(c: ResourceChange, attribute: str) -> bool:
    return (
        c.action in ("update", "replace")
        and not _empty(c.before.get(attribute))
        and c.known(attribute)
        and _empty(c.after.get(attribute))
    )


def _numbers(c: ResourceChange, attribute: str) -> tuple[float, float] | None:
    """Before and after of a numeric attribute, when both are known numbers."""
    if c.action not in ("update", "replace") or not c.known(attribute):
        return None
    before, after = c.before.get(attribute), c.after.get(attribute)
    if isinstance(before, int | float) and isinstance(after, int | float):
        return float(before), float(after)
    return None


def _show(value: Any) -> str:
    if isinstance(value, Hidden):
        return value.value
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    if isinstance(value, str):
        return value
    return json.dumps(value, default=_hidden_json, sort_keys=True)


def _hidden_json(value: object) -> str:
    if isinstance(value, Hidden):
        return value.value
    raise TypeError(f"{type(value).__name__} is not JSON")


def _changed_to(c: ResourceChange, attribute: str) -> str:
    return f"{_show(c.shown_before(attribute))} → {_show(c.shown_after(attribute))}"


# --- rules per resource type -------------------------------------------------------------


def _trail(c: ResourceChange) -> Iterator[Flag]:
    if c.action == "delete":
        yield "weakening", "trail destroyed: API calls are no longer logged"
        return
    if c.action == "replace":
        yield "review", "trail replaced: nothing is logged while it is recreated"
    for attribute, what in (
        ("enable_logging", "trail logging turned off: API calls are no longer logged"),
        ("is_multi_region_trail", "multi-region turned off: other regions' calls go unseen"),
        ("enable_log_file_validation", "log file validation turned off: tampering goes unseen"),
        ("include_global_service_events", "global service events (IAM, STS) turned off"),
    ):
        if _turned_off(c, attribute):
            yield "weakening", what
    if _removed(c, "kms_key_id"):
        yield (
            "weakening",
            "trail KMS encryption removed: log files are no longer encrypted with the customer key",
        )
    if _removed(c, "cloud_watch_logs_group_arn"):
        yield "weakening", "trail no longer delivers to CloudWatch Logs: no alarm can fire"
    elif c.changed("cloud_watch_logs_group_arn") and c.known("cloud_watch_logs_group_arn"):
        yield (
            "review",
            "trail delivers to another log group: " + _changed_to(c, "cloud_watch_logs_group_arn"),
        )


def _log_group(c: ResourceChange) -> Iterator[Flag]:
    if c.action == "delete":
        yield "weakening", "log group destroyed: its stored events and every filter on it go"
        return
    if c.action == "replace":
        yield "weakening", "log group replaced: its stored events are deleted"
    days = _numbers(c, "retention_in_days")
    # 0 (or unset) keeps events forever.
    if days and (days[1] or math.inf) < (days[0] or math.inf):
        yield "weakening", f"log retention shortened: {_changed_to(c, 'retention_in_days')} days"
    if _removed(c, "kms_key_id"):
        yield "weakening", "log group KMS encryption removed"


def _metric_filter(c: ResourceChange) -> Iterator[Flag]:
    if c.action == "delete":
        yield "weakening", "metric filter destroyed: its events are no longer counted"
        return
    if c.changed("log_group_name") and c.known("log_group_name"):
        yield "review", "metric filter reads another log group: " + _changed_to(c, "log_group_name")
    if c.changed("metric_transformation") and c.known("metric_transformation"):
        before = _transformation(c.before)
        after = _transformation(c.after)
        if before != after:
            yield (
                "review",
                (
                    f"metric filter counts into another metric: {'/'.join(before)} → "
                    f"{'/'.join(after)}"
                ),
            )


def _transformation(values: Mapping[str, Any]) -> tuple[str, str, str]:
    blocks = values.get("metric_transformation") or [{}]
    block = blocks[0] if isinstance(blocks, list) and blocks else {}
    return str(block.get("namespace", "")), str(block.get("name", "")), str(block.get("value", ""))


_CAPPED_AT_ONE = {"Average", "Minimum", "Maximum"}

_LAXER_COMPARISON = {
    ("GreaterThanOrEqualToThreshold", "GreaterThanThreshold"),
    ("LessThanOrEqualToThreshold", "LessThanThreshold"),
}


def _alarm(c: ResourceChange) -> Iterator[Flag]:
    if c.action == "delete":
        yield "weakening", "alarm destroyed: its events notify nobody"
        return
    if _turned_off(c, "actions_enabled"):
        yield "weakening", "alarm actions disabled (actions_enabled false): it notifies nobody"
    yield from _actions_removed(c, "alarm_actions", "weakening", "alarm actions removed")
    yield from _actions_removed(c, "ok_actions", "review", "OK actions removed")
    yield from _actions_removed(
        c, "insufficient_data_actions", "review", "insufficient-data actions removed"
    )
    threshold = _numbers(c, "threshold")
    if threshold and threshold[0] != threshold[1]:
        comparison = str(c.after.get("comparison_operator", ""))
        raised = threshold[1] > threshold[0]
        # A higher threshold is laxer for "greater than" alarms, a lower one for "less than".
        if raised == comparison.startswith("Greater"):
            verb = "raised" if raised else "lowered"
            yield "weakening", f"alarm threshold {verb}: {_changed_to(c, 'threshold')}"
    period = _numbers(c, "period")
    if period and period[1] > period[0]:
        yield "weakening", f"alarm period lengthened: {_changed_to(c, 'period')} s"
    needed = _datapoints(c)
    if needed and needed[1] > needed[0]:
        yield (
            "weakening",
            (f"alarm needs more breaching periods: {needed[0]} → {needed[1]} datapoints"),
        )
    window = _numbers(c, "evaluation_periods")
    if window and needed and window[1] < window[0] and needed[1] >= needed[0]:
        # M breaching periods must now fall inside a shorter window: it fires less often.
        yield (
            "weakening",
            (
                f"alarm window narrowed: {window[0]:g} → {window[1]:g} evaluation periods "
                f"for {needed[1]} breaching"
            ),
        )
    if c.changed("comparison_operator") and c.known("comparison_operator"):
        pair = (c.before.get("comparison_operator"), c.after.get("comparison_operator"))
        flipped = str(pair[0])[:4] != str(pair[1])[:4]
        kind: Kind = "weakening" if pair in _LAXER_COMPARISON or flipped else "review"
        reason = "alarm comparison changed"
        if flipped:
            reason = "alarm comparison reversed: it now fires on the opposite condition"
        yield kind, f"{reason}: {_changed_to(c, 'comparison_operator')}"
    statistic = str(c.after.get("statistic", ""))
    limit = c.after.get("threshold")
    if (
        c.changed("statistic")
        and c.known("statistic")
        and statistic in _CAPPED_AT_ONE
        and isinstance(limit, int | float)
        and limit > 1
        and str(c.after.get("comparison_operator", "")).startswith("Greater")
    ):
        # Every matching record adds a datapoint of 1: Average, Minimum and Maximum stay at 1.
        yield (
            "weakening",
            (
                f"alarm statistic {statistic} never exceeds 1 per period, so threshold "
                f"{limit:g} is unreachable: {_changed_to(c, 'statistic')}"
            ),
        )
    for attribute in ("statistic", "treat_missing_data", "metric_name", "namespace"):
        if c.changed(attribute) and c.known(attribute):
            yield "review", f"alarm {attribute} changed: {_changed_to(c, attribute)}"


def _actions_removed(c: ResourceChange, attribute: str, kind: Kind, what: str) -> Iterator[Flag]:
    if c.action not in ("update", "replace") or not c.known(attribute):
        return
    before = c.before.get(attribute) or []
    after = c.after.get(attribute) or []
    gone = [a for a in before if a not in after]
    if not gone:
        return
    if _any_true(_sub(c.before_sensitive, attribute)) or _any_true(
        _sub(c.after_sensitive, attribute)
    ):
        yield kind, f"{what}: {Hidden.SENSITIVE.value}"
        return
    now = f" (now {', '.join(map(str, after))})" if after else ""
    yield kind, f"{what}: {', '.join(map(str, gone))}{now}"


def _datapoints(c: ResourceChange) -> tuple[int, int] | None:
    """How many breaching periods the alarm needs, before and after (M of M-of-N)."""
    if c.action not in ("update", "replace"):
        return None
    if not (c.known("datapoints_to_alarm") and c.known("evaluation_periods")):
        return None

    def needed(values: Mapping[str, Any]) -> int | None:
        value = values.get("datapoints_to_alarm") or values.get("evaluation_periods")
        return int(value) if isinstance(value, int | float) else None

    before, after = needed(c.before), needed(c.after)
    return (before, after) if before is not None and after is not None else None


def _kms_key(c: ResourceChange) -> Iterator[Flag]:
    if c.action in ("delete", "replace"):
        window = c.before.get("deletion_window_in_days")
        when = f" (in {window} days)" if window else ""
        yield (
            "weakening",
            (f"KMS key scheduled for deletion{when}: what it encrypted becomes unreadable"),
        )
    if _turned_off(c, "enable_key_rotation"):
        yield "weakening", "KMS key rotation turned off"
    if _turned_off(c, "is_enabled"):
        yield "weakening", "KMS key disabled: the trail, log group and topic cannot use it"
    if c.action == "update" and c.changed("policy"):
        yield "review", "KMS key policy changed"


def _topic(c: ResourceChange) -> Iterator[Flag]:
    if c.action == "delete":
        yield "weakening", "alarm topic destroyed: alarms have nowhere to notify"
        return
    if c.action == "replace":
        yield "weakening", "alarm topic replaced: every subscriber must confirm again"
    if _removed(c, "kms_master_key_id"):
        yield "weakening", "alarm topic encryption removed"


def _topic_policy(c: ResourceChange) -> Iterator[Flag]:
    if c.action == "delete":
        yield "weakening", "alarm topic policy removed: the topic falls back to its default policy"
    elif c.changed("policy"):
        yield "review", "alarm topic policy changed"


def _bucket(c: ResourceChange) -> Iterator[Flag]:
    if c.action in ("delete", "replace"):
        yield "weakening", "log bucket destroyed: the trail's log files go with it"


def _public_access_block(c: ResourceChange) -> Iterator[Flag]:
    if c.action == "delete":
        yield "weakening", "log bucket public access block removed"
    for attribute in (
        "block_public_acls",
        "block_public_policy",
        "ignore_public_acls",
        "restrict_public_buckets",
    ):
        if _turned_off(c, attribute):
            yield "weakening", f"log bucket {attribute} turned off"


def _bucket_part(what: str) -> Callable[[ResourceChange], Iterator[Flag]]:
    def rule(c: ResourceChange) -> Iterator[Flag]:
        if c.action == "delete":
            yield "weakening", f"log bucket {what} removed"
        elif c.type == "aws_s3_bucket_versioning" and c.known("versioning_configuration"):
            before = (c.before.get("versioning_configuration") or [{}])[0].get("status")
            after = (c.after.get("versioning_configuration") or [{}])[0].get("status")
            if before == "Enabled" and after != "Enabled":
                yield "weakening", f"log bucket versioning suspended ({before} → {after})"
        elif c.type == "aws_s3_bucket_policy" and c.changed("policy"):
            yield "review", "log bucket policy changed"

    return rule


RULES: dict[str, Callable[[ResourceChange], Iterator[Flag]]] = {
    "aws_cloudtrail": _trail,
    "aws_cloudwatch_log_group": _log_group,
    "aws_cloudwatch_log_metric_filter": _metric_filter,
    "aws_cloudwatch_metric_alarm": _alarm,
    "aws_kms_key": _kms_key,
    "aws_sns_topic": _topic,
    "aws_sns_topic_policy": _topic_policy,
    "aws_s3_bucket": _bucket,
    "aws_s3_bucket_public_access_block": _public_access_block,
    "aws_s3_bucket_policy": _bucket_part("policy (TLS-only access, CloudTrail's write permission)"),
    "aws_s3_bucket_server_side_encryption_configuration": _bucket_part("default encryption"),
    "aws_s3_bucket_versioning": _bucket_part("versioning"),
}


def _subscriptions(changes: Sequence[ResourceChange]) -> Iterator[tuple[str, Kind, str]]:
    """Subscribers that the plan drops, or recreates (which makes e-mail ones confirm again).

    Compared across the stack, because subscriptions are numbered: dropping the first of two
    addresses replaces #0 with the second address and destroys #1.
    """
    subs = [c for c in changes if c.type == "aws_sns_topic_subscription"]
    # (protocol, endpoint) raw, for comparing -> (address, the same masked, for wording)
    before: dict[tuple[Any, Any], tuple[str, str, str]] = {}
    for c in subs:
        if c.action in ("delete", "replace", "update") and c.before:
            key = (c.before.get("protocol"), c.before.get("endpoint"))
            shown = (_show(c.shown_before("protocol")), _show(c.shown_before("endpoint")))
            before[key] = (c.address, *shown)
    after = {
        (c.after.get("protocol"), c.after.get("endpoint")): c.action
        for c in subs
        if c.action in ("create", "replace", "update") and c.known("endpoint")
    }
    for key, (address, protocol, endpoint) in before.items():
        if key not in after:
            yield address, "weakening", f"topic subscription removed: {protocol} {endpoint}"
        elif protocol.startswith("email") and after[key] in ("create", "replace"):
            yield (
                address,
                "review",
                (f"{protocol} subscription {endpoint} recreated: it must be confirmed again"),
            )


# --- filter patterns and the catalog's evidence -------------------------------------------


class _Evidence:
    """Catalog samples per event, and which of them a pattern change moves."""

    def __init__(self, catalog: Mapping[str, EventDefinition], profile: str) -> None:
        self.catalog = catalog
        self.profile = profile
        self._by_metric = {e.metric_name: e.id for e in catalog.values()}

    def event_of(self, change: ResourceChange) -> str | None:
        """The event a filter counts: from its logical id (`filter_<id>`), else its metric."""
        name = change.name.removeprefix("filter_").replace("_", "-")
        if name in self.catalog:
            return name
        metric = str(change.before.get("name") or change.after.get("name") or "")
        for metric_name, event_id in self._by_metric.items():
            # Metric names carry the config's name_prefix.
            if metric.endswith(metric_name):
                return event_id
        return None

    def samples(self, event_id: str) -> list[Sample]:
        """Every sample of the event (this profile's first), each record once."""
        event = self.catalog[event_id]
        sets = [event.samples_for(self.profile), event.samples]
        sets += [v.samples for v in event.profiles.values() if v.samples]
        seen: set[str] = set()
        out = []
        for samples in sets:
            for sample in (*samples.match, *samples.no_match):
                key = json.dumps(sample.record, sort_keys=True, default=str)
                if key not in seen:
                    seen.add(key)
                    out.append(sample)
        return out


def _pattern_change(c: ResourceChange, evidence: _Evidence) -> PatternChange | None:
    if c.action not in ("update", "replace") or not c.changed("pattern"):
        return None
    before = _show(c.shown_before("pattern"))
    after = _show(c.shown_after("pattern"))
    event_id = evidence.event_of(c)
    if Hidden.SENSITIVE.value in (before, after):
        return PatternChange(event_id, before, after, (), (), "the pattern is marked sensitive")
    if not c.known("pattern"):
        return PatternChange(event_id, before, after, (), (), "the new pattern is known at apply")
    if event_id is None:
        return PatternChange(event_id, before, after, (), (), "no catalog event for this filter")
    # Imported here: only pattern changes need the engine.
    from trailwatch.patterns import compile_pattern

    try:
        old, new = compile_pattern(before), compile_pattern(after)
    except TrailwatchError as err:
        return PatternChange(event_id, before, after, (), (), f"not evaluated: {err}")
    stops, starts = [], []
    for sample in evidence.samples(event_id):
        was, now = old.matches(sample.record), new.matches(sample.record)
        if was and not now:
            stops.append(sample.note)
        elif now and not was:
            starts.append(sample.note)
    return PatternChange(event_id, before, after, tuple(stops), tuple(starts))


def _pattern_kind(p: PatternChange) -> Kind:
    # Only evidence that the pattern got broader (and nowhere narrower) spares it the weakening
    # flag: a change no sample tells apart may narrow it in ways no sample covers.
    return "review" if p.starts_matching and not p.stops_matching else "weakening"


def _pattern_reason(p: PatternChange) -> str:
    subject = f"filter pattern of {p.event_id} changed" if p.event_id else "filter pattern changed"
    if p.unchecked:
        return f"{subject}: {p.unchecked}"
    if p.stops_matching:
        n = len(p.stops_matching)
        verb = "no longer matches" if n == 1 else "no longer match"
        return f"{subject}: {n} catalog sample{'s' if n != 1 else ''} {verb}"
    if p.starts_matching:
        n = len(p.starts_matching)
        verb = "matches" if n == 1 else "match"
        return f"{subject}: broader, {n} more catalog sample{'s' if n != 1 else ''} {verb}"
    return f"{subject}: no catalog sample changes its result; check it by hand"
