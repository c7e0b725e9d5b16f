"""The one typed model: config and catalog resolved into what each target deploys.

Stacks, replay, coverage, state and plan reports all read this, never the files themselves.
"""

from __future__ import annotations

import dataclasses
import datetime
import os
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from trailwatch.errors import ConfigError
from trailwatch.spec import naming
from trailwatch.spec.alarms import Alarm, layers_own_settings, resolve_alarms
from trailwatch.spec.catalog import Catalog, load_catalog
from trailwatch.spec.config import BUILTIN_EVENTS, Config, Environment, read_config
from trailwatch.spec.delivery import EventRule, EventRules, check_rule_names, event_rules
from trailwatch.spec.notifications import DEFAULT_CHANNEL, Channel, Route
from trailwatch.spec.rule_checks import expired, expiry_problem, where
from trailwatch.spec.targets import CreateTrail, LocalBackend, S3Backend, Target

# Emulator deployments keep their state here, apart from any real account's state.
EMULATOR_STATE_DIR = ".emulator/state"
# IAM's limit on a role name.
MAX_ROLE_NAME = 64
# The regions that serve the AWS Chatbot API; a configuration there takes topics of any region.
CHATBOT_REGIONS = ("us-east-2", "us-west-2", "eu-west-1", "ap-southeast-1")


@dataclass(frozen=True)
class StateLocation:
    """Where a stack's Terraform state lives."""

    backend: LocalBackend | S3Backend
    # local: the state file, relative to the stack's synthesized folder; s3: the object key.
    path: str


@dataclass(frozen=True)
class Deployment:
    """Config and catalog resolved: the alarms every target gets, and where state goes."""

    config: Config
    catalog: Catalog
    alarms: tuple[Alarm, ...]
    config_path: Path
    outdir: Path
    endpoint_url: str | None
    # The alarms of targets that layer routes, disabled events or overrides of their own; every
    # other target deploys `alarms`.
    target_alarms: Mapping[str, tuple[Alarm, ...]] = field(default_factory=dict)
    # The date exclusion rules' `expires` is judged against.
    today: datetime.date = field(default_factory=datetime.date.today)
    # The EventBridge rules of every target (none unless a target delivers `events`).
    eventbridge_rules: EventRules = EventRules(by_target={}, warnings=())

    @property
    def profile(self) -> str:
        return self.config.pattern_profile

    @property
    def targets(self) -> tuple[Target, ...]:
        return self.config.targets

    @property
    def warnings(self) -> tuple[str, ...]:
        """What the config gives up, to be said whenever it is used."""
        found = []
        for alarm in self.alarms:
            for name in alarm.exclusions:
                if name.startswith("rules."):
                    continue  # said per rule, below
                found.append(
                    f"exclusions.{name} changes {alarm.id}: its pattern is no longer the exact "
                    f"compliance text ({_controls(alarm)} fail); `trailwatch coverage` shows "
                    '"exclusion added"'
                )
        found += rule_warnings(self)
        for target in self.targets:
            for alarm in self.alarms_for(target):
                if alarm.shadow:
                    found.append(
                        f"{self.shadow_field(alarm.id, target)}: {alarm.id} deploys its alarm "
                        "with actions off: it notifies nobody, and Security Hub CloudWatch.17 "
                        "(alarm actions activated) fails; `trailwatch state` and `trailwatch "
                        'coverage` show it as "shadow"'
                    )
                if alarm.pattern_override and alarm.samples_skipped:
                    found.append(
                        f"{alarm.pattern_override} is deployed without passing the samples of "
                        f"{alarm.id} (samples: skip: {alarm.samples_skipped}); `trailwatch "
                        'coverage` shows "pattern overridden"'
                    )
        found.extend(self.eventbridge_rules.warnings)
        for index, target in enumerate(self.targets):
            if "alarms" not in self.delivery_for(target):
                found.append(
                    f"targets[{index}].delivery: target {target.name} delivers events only: no "
                    "metric filter or alarm, so every CIS and Security Hub alarm control fails "
                    'there (`trailwatch coverage` shows "alarms not delivered")'
                )
        found.extend(self._external_topic_warnings())
        return tuple(dict.fromkeys(found))

    def _external_topic_warnings(self) -> list[str]:
        """A channel's existing topic (topic_arn) has a policy trailwatch does not own."""
        found = []
        for target in self.targets:
            channels = self.channels_for(target)
            for rule in self.event_rules_for(target):
                for name in rule.channels:
                    topic_arn = channels[name].topic_arn
                    if topic_arn:
                        found.append(
                            f"channel {name} (target {target.name}): trailwatch does not own the "
                            f"policy of {topic_arn}; allow events.amazonaws.com sns:Publish for "
                            "its EventBridge rules there (aws:SourceArn the rule ARNs), or their "
                            "messages are refused"
                        )
        return found

    def to_json(self) -> dict[str, Any]:
        """What would be deployed, as `trailwatch validate --json` prints it."""
        return {
            "profile": self.profile,
            "alarms": [alarm.to_json() for alarm in self.alarms],
            "targets": [
                {
                    "name": target.name,
                    "stack": self.stack_name(target),
                    "region": target.region,
                    "trail_mode": target.trail.mode,
                    "log_group": self.log_group_name(target),
                    "channels": list(self.channels_for(target)),
                    "disabled_events": list(self.disabled_for(target)),
                    "dashboard": self.dashboard_for(target),
                    "delivery": list(self.delivery_for(target)),
                    "event_rules": [rule.to_json() for rule in self.event_rules_for(target)],
                    "routing": [
                        {
                            "event": alarm.id,
                            "severity": alarm.severity,
                            "channels": list(alarm.channels),
                            "threshold": alarm.settings.threshold,
                            "pattern_override": alarm.pattern_override,
                            "shadow": alarm.shadow,
                        }
                        for alarm in self.alarms_for(target)
                    ],
                }
                for target in self.targets
            ],
            "exclusion_rules": [
                {
                    "id": rule.id,
                    "events": list(rule.events),
                    "match": dict(rule.match),
                    "reason": rule.reason,
                    "expires": rule.expires.isoformat() if rule.expires else None,
                    "expired": rule.expires is not None and rule.expires < self.today,
                }
                for rule in self.config.exclusions.rules
            ],
            "warnings": list(self.warnings),
        }

    def all_alarms(self) -> tuple[Alarm, ...]:
        """The global alarms and those of every target that layers its own."""
        return self.alarms + tuple(a for alarms in self.target_alarms.values() for a in alarms)

    def refuse_expired(self) -> None:
        """Synth deploys no expired exclusion rule: a ConfigError names each."""
        found = expired(self.config.exclusions.rules, self.today)
        if found:
            raise ConfigError(
                "\n".join(f"{self.config_path}: {expiry_problem(i, r)}" for i, r in found)
            )

    def alarm(self, event_id: str, target: Target | None = None) -> Alarm:
        """The deployed alarm of an event id, in a target or as the global config resolves it
        (KeyError when disabled or unknown)."""
        for alarm in self.alarms if target is None else self.alarms_for(target):
            if alarm.id == event_id:
                return alarm
        raise KeyError(event_id)

    def shadow_field(self, event_id: str, target: Target) -> str:
        """The override that decides whether an event's alarm in a target is a shadow."""
        own = target.overrides.get(event_id)
        if own is not None and own.shadow is not None:
            return f"targets[{self.targets.index(target)}].overrides.{event_id}.shadow"
        return f"overrides.{event_id}.shadow"

    def alarms_for(self, target: Target) -> tuple[Alarm, ...]:
        """The alarms a target deploys: the global ones unless it layers its own settings."""
        return self.target_alarms.get(target.name, self.alarms)

    def routes_for(self, target: Target) -> tuple[Route, ...]:
        """A target's routes replace the global ones."""
        return self.config.notifications.routes if target.routes is None else target.routes

    def disabled_for(self, target: Target) -> tuple[str, ...]:
        """Event ids a target leaves out: the global ones and its own."""
        return tuple(dict.fromkeys(self.config.disabled_events + target.disabled_events))

    def channels_for(self, target: Target) -> dict[str, Channel]:
        """The channels the target's alarms notify, in the config's order."""
        used = {name for alarm in self.alarms_for(target) for name in alarm.channels}
        return {
            name: channel
            for name, channel in self.config.notifications.all_channels().items()
            if name in used
        }

    def dashboard_for(self, target: Target) -> bool:
        return self.config.dashboard if target.dashboard is None else target.dashboard

    def delivery_for(self, target: Target) -> tuple[str, ...]:
        """A target's delivery paths (`alarms`, `events`): its own, else the config's."""
        return self.config.delivery if target.delivery is None else target.delivery

    def event_rules_for(self, target: Target) -> tuple[EventRule, ...]:
        """The EventBridge rules the target's stack creates, by event id: its own events' when
        it delivers `events`, and, in us-east-1, the global-service events of its account's
        targets that do."""
        return self.eventbridge_rules.by_target.get(target.name, ())

    def target_of_stack(self, stack: str) -> Target | None:
        """The target whose stack this is (None for a stack the config does not make)."""
        return next((t for t in self.targets if self.stack_name(t) == stack), None)

    def topic_name(self, target: Target, channel: str) -> str:
        """The SNS topic of a channel in a target (the single-topic form keeps its name)."""
        base = f"{self.resource_name(target)}-alarms"
        return base if channel == DEFAULT_CHANNEL else f"{base}-{channel}"

    def chatbot_region(self, target: Target) -> str:
        """Where a target's AWS Chatbot configurations are made: its own region when that
        serves the Chatbot API, else the nearest that does."""
        region = target.region
        if region in CHATBOT_REGIONS:
            return region
        if region.startswith(("eu-", "me-", "af-", "il-")):
            return "eu-west-1"
        if region.startswith("ap-"):
            return "ap-southeast-1"
        return "us-west-2" if region.startswith("us-west-") else "us-east-2"

    def chat_name(self, target: Target, channel: str) -> str:
        """The AWS Chatbot channel configuration and its role's name base of a channel."""
        return f"{self.resource_name(target)}-{channel}"

    def select_targets(self, names: Sequence[str] | None) -> tuple[Target, ...]:
        """The targets named (all when none are); an unknown name is an error."""
        if not names:
            return self.targets
        known = [t.name for t in self.targets]
        unknown = sorted(set(names) - set(known))
        if unknown:
            raise ConfigError(
                f"--target: unknown target(s) {', '.join(unknown)}; known: {', '.join(known)}"
            )
        return tuple(t for t in self.targets if t.name in names)

    @staticmethod
    def stack_name(target: Target) -> str:
        return naming.stack_name(target.name)

    def stack_dir(self, target: Target) -> Path:
        """The folder cdktf synthesizes the target's stack into (Terraform runs there)."""
        return self.outdir / "stacks" / self.stack_name(target)

    def resource_name(self, target: Target) -> str:
        """The base name of the trail, key alias, role and topic of a target."""
        return f"{self.config.name_prefix}trailwatch-{target.name}"

    def bucket_name(self, target: Target, account_id: str) -> str:
        """The log bucket: globally unique by account and region, in S3's character set."""
        base = self.resource_name(target).lower().replace("_", "-")
        return f"{base}-{account_id}-{target.region}"

    def log_group_name(self, target: Target) -> str:
        if target.trail.log_group_name:
            return target.trail.log_group_name
        return f"/trailwatch/{self.config.name_prefix}{target.name}/cloudtrail"

    def creates_trail(self, target: Target) -> bool:
        return isinstance(target.trail, CreateTrail)

    def tags(self, target: Target) -> dict[str, str]:
        """Tags for every resource of the target, sorted for a stable synth."""
        merged = {naming.MANAGED_BY_TAG: "trailwatch", naming.TARGET_TAG: target.name}
        merged.update(self.config.tags)
        merged.update(target.tags)
        return dict(sorted(merged.items()))

    def state_dir(self) -> Path:
        """Local state folder (absolute); the emulator's is always apart from real state."""
        base = self.config_path.parent
        if self.endpoint_url:
            return (base / EMULATOR_STATE_DIR).resolve()
        assert isinstance(self.config.backend, LocalBackend)
        return (base / self.config.backend.directory).resolve()

    def state(self, target: Target) -> StateLocation:
        stack = self.stack_name(target)
        backend = self.config.backend
        if isinstance(backend, S3Backend) and not self.endpoint_url:
            return StateLocation(backend, f"{backend.key_prefix.strip('/')}/{stack}.tfstate")
        local = backend if isinstance(backend, LocalBackend) else LocalBackend(type="local")
        state_file = self.state_dir() / f"{stack}.tfstate"
        # Relative to the folder Terraform runs in, so no absolute path enters the JSON.
        relative = os.path.relpath(state_file, self.stack_dir(target).resolve())
        return StateLocation(local, Path(relative).as_posix())


def _controls(alarm: Alarm) -> str:
    """The compliance controls an alarm's exact pattern meets, in words."""
    controls = alarm.event.compliance
    return ", ".join(
        f"{label} {value}"
        for label, value in (
            ("Security Hub", controls.security_hub),
            ("CIS v1.2", controls.cis_v1_2),
            ("CIS v1.4+", controls.cis_v1_4),
        )
        if value
    )


def rule_warnings(deployment: Deployment) -> list[str]:
    """Per exclusion rule: what it costs (events and controls), whether it is dead or expired."""
    found = []
    changed = {a.id: a for a in deployment.all_alarms() if a.rules}
    for index, rule in enumerate(deployment.config.exclusions.rules):
        alarms = [changed[e] for e in rule.events if e in changed and rule in changed[e].rules]
        if alarms:
            lost = "; ".join(f"{a.id}: {_controls(a)}" for a in alarms if _controls(a))
            cost = (
                f"the patterns are no longer the exact compliance text ({lost} fail)"
                if lost
                else "the patterns are no longer the catalog's (no compliance control names them)"
            )
            found.append(
                f"exclusions.rules.{rule.id} drops records from {', '.join(a.id for a in alarms)} "
                f'({rule.reason}): {cost}; `trailwatch coverage` shows "exclusion added: '
                f'{rule.id}"'
            )
        dead = [e for e in rule.events if e not in changed]
        if dead:
            found.append(
                f"{where(index, rule)}: {', '.join(dead)} disabled in every target; the rule "
                "changes nothing there"
            )
    found += [
        expiry_problem(i, r)
        for i, r in expired(deployment.config.exclusions.rules, deployment.today)
    ]
    return found


def check_names(deployment: Deployment) -> None:
    """Names AWS would reject at apply time are config errors now."""
    for target in deployment.targets:
        if deployment.creates_trail(target):
            bucket = deployment.bucket_name(target, "0" * 12)
            if len(bucket) > 63:
                raise ConfigError(
                    f"targets: {target.name!r}: the log bucket name {bucket!r} (account id in "
                    f"place of the zeros) has {len(bucket)} characters, S3 allows 63; shorten "
                    "name_prefix or the target name"
                )
        for channel, settings in deployment.channels_for(target).items():
            role = deployment.chat_name(target, channel) + "-chatbot"
            if settings.chat and len(role) > MAX_ROLE_NAME:
                raise ConfigError(
                    f"notifications.channels.{channel}: the AWS Chatbot role of target "
                    f"{target.name!r}, {role!r}, has {len(role)} characters, IAM allows "
                    f"{MAX_ROLE_NAME}; shorten the channel name, name_prefix or the target name"
                )


def build_deployment(config: Config, config_path: Path, env: Environment) -> Deployment:
    """Resolve a validated config against the built-in and the config's extra event folders.

    An event whose samples do not prove its pattern still loads here, so that `trailwatch test`
    can report each sample; `trailwatch validate` and synth (main.py) then refuse it with
    `trailwatch.replay.evidence.prove_samples`.
    """
    directories = [BUILTIN_EVENTS] + [
        (config_path.parent / d).resolve() for d in config.event_directories
    ]
    catalog = load_catalog(directories)
    try:
        deployment = Deployment(
            config=config,
            catalog=catalog,
            alarms=resolve_alarms(config, catalog),
            config_path=config_path.resolve(),
            outdir=env.outdir,
            endpoint_url=env.endpoint_url,
            target_alarms={
                target.name: resolve_alarms(config, catalog, target)
                for target in config.targets
                if layers_own_settings(target)
            },
            today=env.today,
        )
        check_names(deployment)
        deployment = _with_event_rules(deployment)
    except ConfigError as err:
        raise ConfigError(f"{config_path}: {err}") from None
    return deployment


def _with_event_rules(deployment: Deployment) -> Deployment:
    """The deployment with its EventBridge rules, when a target delivers `events`."""
    if not any("events" in deployment.delivery_for(t) for t in deployment.targets):
        return deployment
    # Imported here: the compiler is only needed when a target delivers events.
    from trailwatch.eventbridge import translate

    rules = event_rules(
        deployment.targets,
        deployment.config.delivery,
        deployment.alarms_for,
        deployment.config.name_prefix,
        translate,
    )
    check_rule_names(rules)
    return dataclasses.replace(deployment, eventbridge_rules=rules)


def load_deployment(config_path: Path | None = None, env: Environment | None = None) -> Deployment:
    """Read config (TRAILWATCH_CONFIG or ./trailwatch.yaml) and catalog into the model."""
    env = env or Environment.from_os()
    path = config_path or env.config_path
    return build_deployment(read_config(path), path, env)
