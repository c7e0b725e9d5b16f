"""The alarms a deployment resolves: the `Alarm` model and how config and catalog make them.

`resolve_alarms` applies the profile, disabled events, overrides (a target's layered over the
global ones), exclusions, routes and the name prefix to the catalog, after `check_references`
has checked every event id, profile and channel the config names; the helpers here layer the
overrides, prove an overriding pattern against the event's samples and pick each alarm's
channels.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from pydantic import ValidationError

from trailwatch.errors import ConfigError
from trailwatch.spec import firing
from trailwatch.spec.catalog import (
    MAX_PATTERN_LENGTH,
    AlarmSettings,
    Catalog,
    EventDefinition,
    Samples,
    firing_settings,
)
from trailwatch.spec.config import Config
from trailwatch.spec.exclusions import clauses_for, rules_for, with_clauses
from trailwatch.spec.notifications import DEFAULT_CHANNEL, Route
from trailwatch.spec.overrides import ALARM_OVERRIDE_FIELDS, ExclusionRule
from trailwatch.spec.rule_checks import check_regex_filters, check_rules
from trailwatch.spec.targets import Target

# CloudWatch's limit on an alarm description.
MAX_ALARM_DESCRIPTION = 1024
# How a shadow alarm's description begins: plan review reads it to tell a shadow turned on from
# actions switched off by hand.
SHADOW_DESCRIPTION = "Shadow alarm, actions off: it notifies nobody. "


@dataclass(frozen=True)
class Alarm:
    """One enabled event as deployed: the filter's pattern and metric, the alarm on it."""

    event: EventDefinition
    pattern: str
    metric_name: str
    alarm_name: str
    settings: AlarmSettings
    # False when the pattern is a profile variant or has exclusions: not the compliance text.
    exact: bool
    # Config exclusions that changed this alarm's pattern: field names of `Exclusions`, and
    # `rules.<id>` for each of the config's exclusion rules.
    exclusions: tuple[str, ...] = ()
    # The exclusion rules compiled into the pattern, and the pattern without any exclusion.
    rules: tuple[ExclusionRule, ...] = ()
    base_pattern: str = ""
    # The channels the alarm notifies: its routes' channels, or the default ones.
    channels: tuple[str, ...] = (DEFAULT_CHANNEL,)
    # The metric filter reports 0 for every record that does not match.
    default_value: bool = False
    # The config field whose pattern replaced the catalog's (`overrides.<id>.pattern`), if any.
    pattern_override: str | None = None
    # Why that pattern is deployed without passing the event's samples (`samples: skip`).
    samples_skipped: str | None = None
    # `overrides.<id>.shadow`: filter, metric and alarm deployed, the alarm's actions off.
    shadow: bool = False

    @property
    def id(self) -> str:
        return self.event.id

    @property
    def severity(self) -> str:
        return self.event.severity

    @property
    def description(self) -> str:
        """The alarm's description: what fired, its severity and what to do, within 1,024."""
        text = (
            f"{SHADOW_DESCRIPTION if self.shadow else ''}"
            f"{self.event.title} (trailwatch event {self.id}, severity {self.severity}). "
            f"{self.event.description}"
        )
        if len(text) <= MAX_ALARM_DESCRIPTION:
            return text
        cut = text[: MAX_ALARM_DESCRIPTION - 3]
        return cut[: cut.rfind(" ")] + "..."

    def to_json(self) -> dict[str, Any]:
        """The alarm as `trailwatch validate --json` lists it."""
        return {
            "id": self.id,
            "severity": self.severity,
            "metric_name": self.metric_name,
            "alarm_name": self.alarm_name,
            "threshold": self.settings.threshold,
            "exact": self.exact,
            "exclusions": list(self.exclusions),
            "pattern_override": self.pattern_override,
            "shadow": self.shadow,
        }


def check_references(config: Config, catalog: Catalog) -> None:
    """Every event id, profile and channel the config names exists, and every channel is used."""
    known_events = ", ".join(catalog)

    def events(path: str, ids: Sequence[str]) -> None:
        unknown = sorted(set(ids) - set(catalog))
        if unknown:
            raise ConfigError(
                f"{path}: unknown event id(s) {', '.join(unknown)}; known: {known_events}"
            )

    notifications = config.notifications
    channels = notifications.all_channels()

    def channel_names(path: str, names: Sequence[str]) -> None:
        unknown = [n for n in dict.fromkeys(names) if n not in channels]
        if unknown:
            raise ConfigError(
                f"{path}: unknown channel(s) {', '.join(unknown)}; known: {', '.join(channels)}"
            )

    events("disabled_events", config.disabled_events)
    events("overrides", list(config.overrides))
    for index, rule in enumerate(config.exclusions.rules):
        events(f"exclusions.rules[{index}].events", rule.events)
    if config.pattern_profile not in catalog.profiles():
        raise ConfigError(
            f"pattern_profile: {config.pattern_profile!r} is not a profile of any event; "
            f"known: {', '.join(sorted(catalog.profiles()))}"
        )
    channel_names("notifications.default", notifications.default_channels())
    used = set(notifications.default_channels())
    route_sets = [("notifications.routes", notifications.routes)] + [
        (f"targets[{i}].routes", t.routes) for i, t in enumerate(config.targets) if t.routes
    ]
    for path, routes in route_sets:
        for index, route in enumerate(routes):
            events(f"{path}[{index}].events", route.events)
            channel_names(f"{path}[{index}].channels", route.channels)
            used.update(route.channels)
    for index, target in enumerate(config.targets):
        events(f"targets[{index}].disabled_events", target.disabled_events)
        events(f"targets[{index}].overrides", list(target.overrides))
    for name in channels:
        if name not in used:
            path = (
                f"notifications.channels.{name}"
                if name in notifications.channels
                else "notifications (emails, subscriptions, topic_arn: the channel 'default')"
            )
            raise ConfigError(
                f"{path}: no route and not notifications.default names this channel; route "
                "alarms to it or remove it"
            )


def layers_own_settings(target: Target) -> bool:
    """True when a target has routes, disabled events or overrides of its own."""
    return target.routes is not None or bool(target.disabled_events or target.overrides)


def resolve_alarms(
    config: Config, catalog: Catalog, target: Target | None = None
) -> tuple[Alarm, ...]:
    """Apply profile, disabled events, overrides, routes and the name prefix to the catalog:
    the global settings, or a target's layered over them."""
    if target is None:
        check_references(config, catalog)
    index = config.targets.index(target) if target is not None else None
    prefix = f"targets[{index}]." if target is not None else ""
    disabled = set(config.disabled_events) | set(target.disabled_events if target else ())
    routes = config.notifications.routes
    if target is not None and target.routes is not None:
        routes = target.routes
    alarms = []
    for event_id, event in catalog.items():
        if event_id in disabled:
            continue
        layered = _layered_override(config, target, event_id, prefix)
        settings = _settings(event, layered)
        default_value = bool(layered.values.get("default_value", config.default_value))
        found = firing.problems(firing_settings(settings, default_value=default_value))
        if found:
            where = layered.where or f"default_value (event {event_id})"
            raise ConfigError("\n".join(f"{where}: {problem}" for problem in found))
        pattern, applied, skipped = _pattern(config, event, layered)
        alarms.append(
            Alarm(
                event=event,
                pattern=pattern,
                metric_name=config.name_prefix + event.metric_name,
                alarm_name=config.name_prefix + event.alarm_name,
                settings=settings,
                exact=pattern == event.pattern,
                exclusions=tuple(name for name, _ in applied),
                rules=rules_for(event_id, config.exclusions) if applied else (),
                base_pattern=layered.values.get("pattern")
                or event.pattern_for(config.pattern_profile),
                channels=_channels(config, routes, event),
                default_value=default_value,
                pattern_override=layered.pattern_field,
                samples_skipped=skipped,
                shadow=bool(layered.values.get("shadow", False)),
            )
        )
    if not alarms:
        raise ConfigError(
            f"{prefix}disabled_events: every event is disabled; nothing would be deployed"
        )
    if target is None:
        check_rules(config, catalog)
    scope = "every target" if target is None else f"target {target.name}"
    check_regex_filters(f"exclusions.rules (in {scope})", [(a.id, a.pattern) for a in alarms])
    return tuple(alarms)


@dataclass(frozen=True)
class _Layered:
    """An event's override fields, the target's over the global ones, and where they came from."""

    values: dict[str, Any]
    # The override that sets something ("overrides.<id>", "targets[0].overrides.<id>"), if any.
    where: str | None
    # The override whose pattern is deployed.
    pattern_field: str | None


def _layered_override(
    config: Config, target: Target | None, event_id: str, prefix: str
) -> _Layered:
    values: dict[str, Any] = {}
    where = None
    pattern_field = None
    for layer, path in (
        (config.overrides.get(event_id), f"overrides.{event_id}"),
        (target.overrides.get(event_id) if target else None, f"{prefix}overrides.{event_id}"),
    ):
        if layer is None:
            continue
        changes = layer.model_dump(exclude_none=True)
        values.update(changes)
        where = path
        if "pattern" in changes:
            pattern_field = f"{path}.pattern"
    if values.get("samples") == "skip" and "pattern" not in values:
        raise ConfigError(f"{where}: samples: skip goes with a pattern override; give pattern")
    if values.get("samples") == "skip" and not values.get("reason", "").strip():
        raise ConfigError(
            f"{where}: samples: skip needs a reason (why the pattern cannot pass the event's "
            "samples)"
        )
    if "reason" in values and values.get("samples") != "skip":
        raise ConfigError(f"{where}: reason goes with samples: skip")
    return _Layered(values, where, pattern_field)


def _settings(event: EventDefinition, layered: _Layered) -> AlarmSettings:
    changes = {k: v for k, v in layered.values.items() if k in ALARM_OVERRIDE_FIELDS}
    if not changes:
        return event.alarm
    try:
        return AlarmSettings.model_validate({**event.alarm.model_dump(), **changes})
    except ValidationError as err:
        reasons = "; ".join(
            e["msg"].removeprefix("Value error, ") for e in err.errors(include_url=False)
        )
        raise ConfigError(f"{layered.where}: {reasons}") from None


def _pattern(
    config: Config, event: EventDefinition, layered: _Layered
) -> tuple[str, list[tuple[str, str]], str | None]:
    """The deployed pattern, the exclusions applied to it, and why its samples are skipped."""
    applied = clauses_for(event.id, config.exclusions)
    override = layered.values.get("pattern")
    if override is not None:
        if applied:
            names = ", ".join(f"exclusions.{name}" for name, _ in applied)
            raise ConfigError(
                f"{layered.pattern_field}: {names} also change{'s' if len(applied) == 1 else ''} "
                f"the pattern of {event.id}; write the exclusion into this pattern and turn it off"
            )
        skipped = layered.values.get("reason") if layered.values.get("samples") == "skip" else None
        if skipped is None:
            _prove_override(
                str(layered.pattern_field), override, event.samples_for(config.pattern_profile)
            )
        return override, [], skipped
    pattern = event.pattern_for(config.pattern_profile)
    if applied:
        pattern = with_clauses(pattern, [clause for _, clause in applied])
        if len(pattern) > MAX_PATTERN_LENGTH:
            names = ", ".join(f"exclusions.{name}" for name, _ in applied)
            raise ConfigError(
                f"exclusions: the {event.id} pattern would be {len(pattern)} characters "
                f"(limit {MAX_PATTERN_LENGTH}) with {names}; list fewer roles, or merge or "
                "shorten rules"
            )
    return pattern, applied, None


def _prove_override(field: str, pattern: str, samples: Samples) -> None:
    """A config's pattern must do what the event's samples say, like the catalog's."""
    # Imported here: the engine is only needed when a config overrides a pattern.
    from trailwatch.patterns import compile_pattern

    compiled = compile_pattern(pattern)
    wrong = [
        f"{s.note!r} " + ("should match but does not" if should else "matches but should not")
        for should, group in ((True, samples.match), (False, samples.no_match))
        for s in group
        if compiled.matches(s.record) != should
    ]
    if wrong:
        raise ConfigError(
            f"{field}: " + "; ".join(dict.fromkeys(wrong)) + " (the event's samples; give "
            "samples: skip and a reason to deploy it anyway)"
        )


def _channels(config: Config, routes: Sequence[Route], event: EventDefinition) -> tuple[str, ...]:
    """Every matching route's channels (in the config's channel order), else the default."""
    matched = {
        name
        for route in routes
        if route.matches(event.id, event.severity)
        for name in route.channels
    }
    if not matched:
        return config.notifications.default_channels()
    return tuple(name for name in config.notifications.all_channels() if name in matched)
