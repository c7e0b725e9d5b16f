"""The one typed model: config and catalog resolved into what each target deploys.

Stacks, replay, coverage, state and plan reports all read this, never the files themselves.
"""

from __future__ import annotations

import os
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from trailwatch.errors import ConfigError
from trailwatch.spec import naming
from trailwatch.spec.catalog import (
    MAX_PATTERN_LENGTH,
    AlarmSettings,
    Catalog,
    EventDefinition,
    load_catalog,
)
from trailwatch.spec.config import (
    BUILTIN_EVENTS,
    Config,
    CreateTrail,
    Environment,
    LocalBackend,
    S3Backend,
    Target,
    read_config,
)
from trailwatch.spec.exclusions import clauses_for, with_clauses

# Emulator deployments keep their state here, apart from any real account's state.
EMULATOR_STATE_DIR = ".emulator/state"


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
    # Config exclusions (field names of `Exclusions`) that changed this alarm's pattern.
    exclusions: tuple[str, ...] = ()

    @property
    def id(self) -> str:
        return self.event.id

    def to_json(self) -> dict[str, Any]:
        """The alarm as `trailwatch validate --json` lists it."""
        return {
            "id": self.id,
            "metric_name": self.metric_name,
            "alarm_name": self.alarm_name,
            "threshold": self.settings.threshold,
            "exact": self.exact,
            "exclusions": list(self.exclusions),
        }


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
                controls = alarm.event.compliance
                listed = ", ".join(
                    f"{label} {value}"
                    for label, value in (
                        ("Security Hub", controls.security_hub),
                        ("CIS v1.2", controls.cis_v1_2),
                        ("CIS v1.4+", controls.cis_v1_4),
                    )
                    if value
                )
                found.append(
                    f"exclusions.{name} changes {alarm.id}: its pattern is no longer the exact "
                    f"compliance text ({listed} fail); `trailwatch coverage` shows "
                    '"exclusion added"'
                )
        return tuple(found)

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
                }
                for target in self.targets
            ],
            "warnings": list(self.warnings),
        }

    def alarm(self, event_id: str) -> Alarm:
        """The deployed alarm of an event id (KeyError when disabled or unknown)."""
        for alarm in self.alarms:
            if alarm.id == event_id:
                return alarm
        raise KeyError(event_id)

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


def resolve_alarms(config: Config, catalog: Catalog) -> tuple[Alarm, ...]:
    """Apply profile, disabled events, overrides and the name prefix to the catalog."""
    unknown = sorted(set(config.disabled_events) - set(catalog))
    if unknown:
        raise ConfigError(
            f"disabled_events: unknown event id(s) {', '.join(unknown)}; known: "
            + ", ".join(catalog)
        )
    unknown = sorted(set(config.overrides) - set(catalog))
    if unknown:
        raise ConfigError(
            f"overrides: unknown event id(s) {', '.join(unknown)}; known: " + ", ".join(catalog)
        )
    if config.pattern_profile not in catalog.profiles():
        raise ConfigError(
            f"pattern_profile: {config.pattern_profile!r} is not a profile of any event; "
            f"known: {', '.join(sorted(catalog.profiles()))}"
        )
    alarms = []
    for event_id, event in catalog.items():
        if event_id in config.disabled_events:
            continue
        settings = event.alarm
        override = config.overrides.get(event_id)
        if override:
            changes = override.model_dump(exclude_none=True)
            try:
                settings = AlarmSettings.model_validate({**settings.model_dump(), **changes})
            except ValueError as err:
                raise ConfigError(f"overrides.{event_id}: {err}") from None
        pattern = event.pattern_for(config.pattern_profile)
        applied = clauses_for(event_id, config.exclusions)
        if applied:
            pattern = with_clauses(pattern, [clause for _, clause in applied])
            if len(pattern) > MAX_PATTERN_LENGTH:
                raise ConfigError(
                    f"exclusions: the {event_id} pattern would be {len(pattern)} characters "
                    f"(limit {MAX_PATTERN_LENGTH}); list fewer roles"
                )
        alarms.append(
            Alarm(
                event=event,
                pattern=pattern,
                metric_name=config.name_prefix + event.metric_name,
                alarm_name=config.name_prefix + event.alarm_name,
                settings=settings,
                exact=pattern == event.pattern,
                exclusions=tuple(name for name, _ in applied),
            )
        )
    if not alarms:
        raise ConfigError("disabled_events: every event is disabled; nothing would be deployed")
    return tuple(alarms)


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
        )
        check_names(deployment)
    except ConfigError as err:
        raise ConfigError(f"{config_path}: {err}") from None
    return deployment


def load_deployment(config_path: Path | None = None, env: Environment | None = None) -> Deployment:
    """Read config (TRAILWATCH_CONFIG or ./trailwatch.yaml) and catalog into the model."""
    env = env or Environment.from_os()
    path = config_path or env.config_path
    return build_deployment(read_config(path), path, env)
