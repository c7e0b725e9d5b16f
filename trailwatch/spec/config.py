"""The config model (`trailwatch.yaml`): targets, notifications, naming, overrides, backend.

This is the one place that reads the config file and trailwatch's environment variables. It
holds `Config`, `Environment` and `read_config`; the parts of the config are in `targets`
(targets, trails, backend), `notifications` (channels, routes), `overrides` (event overrides,
exclusions) and `fields` (field patterns and types).
"""

from __future__ import annotations

import datetime
import os
from collections.abc import Mapping
from pathlib import Path

from pydantic import (
    Field,
    ValidationError,
    field_validator,
    model_validator,
)

from trailwatch.errors import ConfigError, describe_validation_error
from trailwatch.spec.delivery import DEFAULT_DELIVERY, Delivery
from trailwatch.spec.fields import (
    ENDPOINT_URL,
    FIELD_PATTERNS,
    NAME_PREFIX,
    NAMESPACE,
    PROFILE_NAME,
    _Strict,
)
from trailwatch.spec.notifications import Notifications
from trailwatch.spec.overrides import EventOverride, Exclusions
from trailwatch.spec.targets import Backend, CreateTrail, LocalBackend, Target
from trailwatch.spec.yaml_files import read_mapping

# The package sits beside events/ and the default config in the repository.
REPO_ROOT = Path(__file__).resolve().parents[2]
DEFAULT_CONFIG = REPO_ROOT / "trailwatch.yaml"
BUILTIN_EVENTS = REPO_ROOT / "events"


class Config(_Strict):
    """Everything a team decides; the catalog supplies the events."""

    namespace: str = Field(
        default="CloudTrailMetrics",
        pattern=NAMESPACE.regex,
    )
    # Prefixes alarm and metric names together, so an alarm always watches its own filter's metric.
    name_prefix: str = Field(
        default="",
        pattern=NAME_PREFIX.regex,
    )
    pattern_profile: str = Field(
        default="securityhub",
        pattern=PROFILE_NAME.regex,
    )
    tags: dict[str, str] = Field(default_factory=dict)
    disabled_events: tuple[str, ...] = ()
    overrides: dict[str, EventOverride] = Field(default_factory=dict)
    event_directories: tuple[str, ...] = ()
    exclusions: Exclusions = Exclusions()
    # Metric filters report 0 for records that do not match (per event: overrides).
    default_value: bool = False
    # One CloudWatch dashboard per target, a widget per alarm (per target: targets[].dashboard).
    dashboard: bool = False
    # How alarms reach people: `alarms` (metric filters and CloudWatch alarms, counted) and/or
    # `events` (an EventBridge rule per event, a message per record); per target:
    # targets[].delivery.
    delivery: Delivery = DEFAULT_DELIVERY
    notifications: Notifications
    backend: Backend = LocalBackend(type="local")
    targets: tuple[Target, ...]

    @field_validator("tags")
    @classmethod
    def _tags(cls, value: dict[str, str]) -> dict[str, str]:
        for key in value:
            if not 1 <= len(key) <= 128 or key.startswith("aws:"):
                raise ValueError(
                    f"tag key {key!r} must be 1-128 characters and not start with aws:"
                )
        return value

    @model_validator(mode="after")
    def _targets(self) -> Config:
        if not self.targets:
            raise ValueError("targets: give at least one target (name, region)")
        names = [t.name for t in self.targets]
        for name in names:
            if names.count(name) > 1:
                raise ValueError(f"target name {name!r} is used twice; each target is one stack")
        trails: dict[str, str] = {}
        for target in self.targets:
            if isinstance(target.trail, CreateTrail) and target.trail.multi_region:
                # Without account_id, the credentials decide the account: targets with the same
                # profile and role (or none) reach the same one.
                account = target.account_id or (
                    f"(profile {target.profile or 'default'}, "
                    f"role {target.assume_role_arn or 'none'})"
                )
                if account in trails:
                    raise ValueError(
                        f"targets {trails[account]!r} and {target.name!r} would both create a "
                        f"multi-region trail in account {account}; one multi-region trail sees "
                        "every region: give one of them trail: {mode: existing, log_group_name: "
                        "...} or multi_region: false"
                    )
                trails[account] = target.name
        return self


# Where synth writes when CDKTF_OUTDIR is unset, relative to the working directory: the emulator's
# stacks never share a folder with a real deployment's (Terraform would see its backend change).
REAL_OUTDIR = "cdktf.out"
EMULATOR_OUTDIR = ".emulator/cdktf.out"


class Environment(_Strict):
    """trailwatch's environment variables, read once."""

    config_path: Path
    # The local AWS emulator's endpoint; set for `make demo` and the tests.
    endpoint_url: str | None = Field(
        default=None,
        pattern=ENDPOINT_URL.regex,
    )
    outdir: Path
    # The date exclusion rules' `expires` is judged against (tests give their own).
    today: datetime.date = Field(default_factory=datetime.date.today)

    @classmethod
    def from_os(cls, environ: Mapping[str, str] | None = None) -> Environment:
        env = os.environ if environ is None else environ
        try:
            return cls(
                config_path=Path(env.get("TRAILWATCH_CONFIG") or DEFAULT_CONFIG),
                endpoint_url=env.get("TRAILWATCH_ENDPOINT_URL") or None,
                outdir=Path(
                    env.get("CDKTF_OUTDIR")
                    or (EMULATOR_OUTDIR if env.get("TRAILWATCH_ENDPOINT_URL") else REAL_OUTDIR)
                ),
            )
        except ValidationError as err:
            raise ConfigError(
                describe_validation_error("environment", err, FIELD_PATTERNS)
            ) from None


def read_config(path: Path) -> Config:
    """Read and validate a config file; every error names the file and the field."""
    data = read_mapping(
        path,
        ConfigError,
        expected="must be a YAML mapping with at least notifications and targets",
        not_found="config file not found (set TRAILWATCH_CONFIG or create trailwatch.yaml)",
    )
    try:
        return Config.model_validate(data)
    except ValidationError as err:
        raise ConfigError(describe_validation_error(path, err, FIELD_PATTERNS)) from None
