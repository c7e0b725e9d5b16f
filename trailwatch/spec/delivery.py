"""The two delivery paths of the config (`delivery: [alarms, events]`) and the EventBridge rules.

`alarms` is the counted path: metric filters and CloudWatch alarms on the trail's log group.
`events` is the per-event path: one EventBridge rule per event, compiled from the same pattern
(`trailwatch.eventbridge.translate`), sending a readable message to the event's channels within
seconds. `event_rules` places each target's rules; a global-service event's rule goes in the
account's us-east-1 target, because CloudTrail sends those calls to EventBridge there only.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Annotated, Any, Literal

from pydantic import AfterValidator

from trailwatch.errors import ConfigError
from trailwatch.spec import naming

if TYPE_CHECKING:
    # Types only: targets.py imports `Delivery` from here.
    from trailwatch.eventbridge import Translation
    from trailwatch.spec.alarms import Alarm
    from trailwatch.spec.targets import Target

DeliveryPath = Literal["alarms", "events"]
DELIVERY_PATHS: tuple[DeliveryPath, ...] = ("alarms", "events")
DEFAULT_DELIVERY: tuple[DeliveryPath, ...] = ("alarms",)
# CloudTrail sends the calls of global services (IAM, STS, sign-in, Organizations) to
# EventBridge in this region only.
GLOBAL_EVENTS_REGION = "us-east-1"
# EventBridge's limits on a rule's name and description.
MAX_RULE_NAME = 64
MAX_RULE_DESCRIPTION = 512


def _check_delivery(value: tuple[str, ...]) -> tuple[str, ...]:
    allowed = ", ".join(DELIVERY_PATHS)
    if not value:
        raise ValueError(f"name at least one delivery path ({allowed})")
    unknown = [word for word in dict.fromkeys(value) if word not in DELIVERY_PATHS]
    if unknown:
        raise ValueError(f"unknown delivery path(s) {', '.join(unknown)}; allowed: {allowed}")
    twice = [word for word in dict.fromkeys(value) if value.count(word) > 1]
    if twice:
        raise ValueError(f"{', '.join(twice)} is named twice; name each path once")
    return value


# The config's `delivery` and `targets[].delivery`: a list of the paths above, each once.
Delivery = Annotated[tuple[str, ...], AfterValidator(_check_delivery)]


@dataclass(frozen=True)
class EventRule:
    """One EventBridge rule of a target: an event's compiled pattern and the channels it tells."""

    event_id: str
    title: str
    severity: str
    rule_name: str
    # The EventBridge event pattern (`trailwatch.eventbridge.translate` of the alarm's pattern).
    event_pattern: Mapping[str, Any]
    # The channels of the hosting target's alarm for the event (each one SNS topic there).
    channels: tuple[str, ...]
    # The targets whose delivery asked for the rule (another one than the host for a
    # global-service event placed in the account's us-east-1 target).
    requested_by: tuple[str, ...]
    # ENABLED, or ENABLED_WITH_ALL_CLOUDTRAIL_MANAGEMENT_EVENTS when the pattern can match
    # read-only calls (Describe*, Get*, List*): EventBridge shows a plain ENABLED rule none of them.
    state: str = "ENABLED"

    @property
    def pattern_json(self) -> str:
        """The event pattern as deployed: compact JSON with sorted keys, the same every synth."""
        return json.dumps(self.event_pattern, sort_keys=True, separators=(",", ":"))

    @property
    def description(self) -> str:
        text = (
            f"{self.title} (trailwatch event {self.id}, severity {self.severity}): each "
            "matching CloudTrail record, as a message to the event's channels"
        )
        return (
            text if len(text) <= MAX_RULE_DESCRIPTION else text[: MAX_RULE_DESCRIPTION - 3] + "..."
        )

    @property
    def id(self) -> str:
        return self.event_id

    def to_json(self) -> dict[str, Any]:
        return {
            "event": self.event_id,
            "rule_name": self.rule_name,
            "channels": list(self.channels),
            "event_pattern": json.loads(self.pattern_json),
            "requested_by": list(self.requested_by),
            "state": self.state,
        }


@dataclass(frozen=True)
class EventRules:
    """Every target's rules, and what the events path gives up (said whenever it is used)."""

    by_target: Mapping[str, tuple[EventRule, ...]]
    warnings: tuple[str, ...]


def delivery_for(default: Sequence[str], target: Target) -> tuple[str, ...]:
    """A target's delivery paths: its own, else the config's."""
    return tuple(default if target.delivery is None else target.delivery)


def _account(target: Target) -> str:
    # Without account_id the credentials decide the account: targets with the same profile and
    # role (or none) reach the same one (the rule of the multi-region trail check, config.py).
    return (
        target.account_id
        or f"(profile {target.profile or 'default'}, role {target.assume_role_arn or 'none'})"
    )


def _global_host(targets: Sequence[Target], target: Target) -> Target | None:
    """The target in us-east-1 of the same account, which hosts global-service event rules."""
    if target.region == GLOBAL_EVENTS_REGION:
        return target
    account = _account(target)
    return next(
        (t for t in targets if t.region == GLOBAL_EVENTS_REGION and _account(t) == account), None
    )


def event_rules(
    targets: Sequence[Target],
    default_delivery: Sequence[str],
    alarms_for: Callable[[Target], Sequence[Alarm]],
    name_prefix: str,
    translate: Callable[[str], Translation],
) -> EventRules:
    """Each target's rules: the events of every target that delivers `events`, translated,
    global-service ones moved to the account's us-east-1 target; untranslatable ones left out
    with a warning."""
    placed: dict[str, dict[str, EventRule]] = {t.name: {} for t in targets}
    warnings: list[str] = []
    translations: dict[str, Translation] = {}
    for index, target in enumerate(targets):
        if "events" not in delivery_for(default_delivery, target):
            continue
        for alarm in alarms_for(target):
            host = _global_host(targets, target) if alarm.event.global_service else target
            if host is None:
                raise ConfigError(
                    f"targets[{index}].delivery: events: {alarm.id} is a global-service event "
                    f"(IAM, STS, sign-in, Organizations), which CloudTrail sends to EventBridge "
                    f"in {GLOBAL_EVENTS_REGION} only, and the account of target {target.name!r} "
                    f"has no target in {GLOBAL_EVENTS_REGION}: add one, or disable {alarm.id} "
                    "in this target"
                )
            hosted = _hosted_alarm(host, alarm, alarms_for, index)
            if hosted.pattern not in translations:
                translations[hosted.pattern] = translate(hosted.pattern)
            translation = translations[hosted.pattern]
            if translation.event_pattern is None:
                reasons = "; ".join(translation.limits) or "no EventBridge equivalent"
                warnings.append(
                    f"{alarm.id} has no EventBridge rule in target {host.name!r}: {reasons}; "
                    "its alarm is its only path"
                )
                continue
            known = placed[host.name].get(alarm.id)
            requested = (known.requested_by if known else ()) + (target.name,)
            placed[host.name][alarm.id] = EventRule(
                event_id=alarm.id,
                title=alarm.event.title,
                severity=alarm.severity,
                rule_name=naming.event_rule_name(name_prefix, alarm.id),
                event_pattern=translation.event_pattern,
                channels=hosted.channels,
                requested_by=tuple(dict.fromkeys(requested)),
                state=(
                    naming.RULE_STATE_ALL_MANAGEMENT_EVENTS
                    if translation.read_only_events
                    else "ENABLED"
                ),
            )
    return EventRules(
        by_target={
            name: tuple(rules[event] for event in sorted(rules)) for name, rules in placed.items()
        },
        warnings=tuple(dict.fromkeys(warnings)),
    )


def _hosted_alarm(
    host: Target, alarm: Alarm, alarms_for: Callable[[Target], Sequence[Alarm]], index: int
) -> Alarm:
    """The host's own alarm of the event: its pattern and routing decide the rule there."""
    found = next((a for a in alarms_for(host) if a.id == alarm.id), None)
    if found is None:
        raise ConfigError(
            f"targets[{index}].delivery: events: {alarm.id} is a global-service event whose "
            f"rule goes in target {host.name!r} ({GLOBAL_EVENTS_REGION}), which disables it: "
            "enable it there, or disable it in this target too"
        )
    return found


def check_rule_names(rules: EventRules) -> None:
    """EventBridge refuses a rule name over 64 characters at apply time: refuse it now."""
    for target, found in rules.by_target.items():
        for rule in found:
            if len(rule.rule_name) > MAX_RULE_NAME:
                raise ConfigError(
                    f"name_prefix: the EventBridge rule of {rule.id} in target {target!r}, "
                    f"{rule.rule_name!r}, has {len(rule.rule_name)} characters, EventBridge "
                    f"allows {MAX_RULE_NAME}; shorten name_prefix"
                )
