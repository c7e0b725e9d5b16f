"""Where the config deploys: targets, their trails, and the state backend.

`Target` is one account and region (one stack), with its per-target routing and alarm settings;
`CreateTrail` and `ExistingTrail` say whether trailwatch makes the CloudTrail pipeline or reads a
log group that a trail already writes; `LocalBackend` and `S3Backend` say where Terraform state
goes.
"""

from __future__ import annotations

from typing import Annotated, Literal

from pydantic import Field, field_validator, model_validator

from trailwatch.spec.delivery import Delivery
from trailwatch.spec.fields import (
    BUCKET_NAME,
    KEY_PREFIX,
    ROLE_ARN,
    AccountId,
    LogGroupName,
    Name,
    Region,
    _Strict,
)
from trailwatch.spec.notifications import Route
from trailwatch.spec.overrides import EventOverride

# CloudWatch Logs accepts only these retention values (days).
RETENTION_DAYS = (
    1,
    3,
    5,
    7,
    14,
    30,
    60,
    90,
    120,
    150,
    180,
    365,
    400,
    545,
    731,
    1096,
    1827,
    2192,
    2557,
    2922,
    3288,
    3653,
)
MIN_RETENTION_DAYS = 365


class CreateTrail(_Strict):
    """trailwatch creates the whole pipeline: bucket, keys, trail, role and log group."""

    mode: Literal["create"]
    multi_region: bool = True
    include_global_service_events: bool = True
    log_group_name: LogGroupName | None = None
    retention_days: int = MIN_RETENTION_DAYS
    # A security team must opt out of a year's retention on purpose (CloudWatch.16).
    allow_short_retention: bool = False
    # Days the log files stay in the bucket before they expire.
    log_file_expiration_days: int = Field(default=2557, ge=1)
    log_file_glacier_days: int = Field(default=90, ge=1)

    @field_validator("retention_days")
    @classmethod
    def _allowed_retention(cls, value: int) -> int:
        if value not in RETENTION_DAYS:
            raise ValueError(
                f"{value} is not a CloudWatch Logs retention; allowed: "
                + ", ".join(map(str, RETENTION_DAYS))
            )
        return value

    @model_validator(mode="after")
    def _retention(self) -> CreateTrail:
        if self.retention_days < MIN_RETENTION_DAYS and not self.allow_short_retention:
            raise ValueError(
                f"retention_days {self.retention_days} is below a year ({MIN_RETENTION_DAYS}); "
                "set allow_short_retention: true to accept that"
            )
        if self.log_file_glacier_days >= self.log_file_expiration_days:
            raise ValueError("log_file_glacier_days must be less than log_file_expiration_days")
        return self


class ExistingTrail(_Strict):
    """A trail trailwatch does not manage (an organization trail, say) already writes here."""

    mode: Literal["existing"]
    log_group_name: LogGroupName


Trail = Annotated[CreateTrail | ExistingTrail, Field(discriminator="mode")]


class Target(_Strict):
    """One account and region: one stack, one provider, one state."""

    name: Name
    region: Region
    account_id: AccountId | None = None
    profile: str | None = Field(default=None, min_length=1)
    assume_role_arn: str | None = Field(
        default=None,
        pattern=ROLE_ARN.regex,
    )
    trail: Trail = CreateTrail(mode="create")
    tags: dict[str, str] = Field(default_factory=dict)
    # Per-target routing and alarm settings: `routes` replaces the global routes, disabled
    # events are added to the global ones, overrides are layered over the global ones per field.
    routes: tuple[Route, ...] | None = None
    disabled_events: tuple[str, ...] = ()
    overrides: dict[str, EventOverride] = Field(default_factory=dict)
    # None: the config's `dashboard`.
    dashboard: bool | None = None
    # None: the config's `delivery` (alarms, events or both; trailwatch/spec/delivery.py).
    delivery: Delivery | None = None


class LocalBackend(_Strict):
    """State files on disk, one per stack, relative to the config file's folder."""

    type: Literal["local"]
    directory: str = "state"


class S3Backend(_Strict):
    """State in S3, one key per stack, with S3-native locking."""

    type: Literal["s3"]
    bucket: str = Field(pattern=BUCKET_NAME.regex)
    region: Region
    key_prefix: str = Field(
        default="trailwatch",
        pattern=KEY_PREFIX.regex,
    )
    encrypt: bool = True
    use_lockfile: bool = True


Backend = Annotated[LocalBackend | S3Backend, Field(discriminator="type")]
