"""The config model (`trailwatch.yaml`): targets, notifications, naming, overrides, backend.

This is the one place that reads the config file and trailwatch's environment variables.
"""

from __future__ import annotations

import functools
import importlib.util
import json
import os
import re
from collections.abc import Mapping
from pathlib import Path
from typing import Annotated, Literal

from pydantic import (
    AfterValidator,
    BaseModel,
    ConfigDict,
    Field,
    ValidationError,
    field_validator,
    model_validator,
)

from trailwatch.errors import ConfigError, FieldPattern, describe_validation_error
from trailwatch.spec import naming
from trailwatch.spec.catalog import MAX_PATTERN_LENGTH, Comparison, MissingData, Severity, Statistic
from trailwatch.spec.yaml_files import read_mapping

# The package sits beside events/ and the default config in the repository.
REPO_ROOT = Path(__file__).resolve().parents[2]
DEFAULT_CONFIG = REPO_ROOT / "trailwatch.yaml"
BUILTIN_EVENTS = REPO_ROOT / "events"

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

EMAIL = r"^[^@\s]+@[^@\s]+\.[^@\s]+$"
REGION = FieldPattern(r"^[a-z]{2}(-gov|-iso[a-z]?)?-[a-z]+-\d$", "an AWS region such as us-east-1")
TARGET_NAME = FieldPattern(
    r"^[a-z0-9]([a-z0-9-]{0,18}[a-z0-9])?$", "1-20 lower-case letters, digits and inner hyphens"
)
ACCOUNT_ID = FieldPattern(r"^\d{12}$", "a 12-digit account id, quoted")
LOG_GROUP_NAME = FieldPattern(
    r"^[A-Za-z0-9_\-/.#]{1,512}$", "a log group name: letters, digits and _ - / . #"
)
ROLE_ARN = FieldPattern(
    r"^arn:aws[a-z-]*:iam::\d{12}:role/.+$", "an IAM role ARN (arn:aws:iam::123456789012:role/NAME)"
)
EMAIL_ADDRESS = FieldPattern(EMAIL, "an e-mail address")
TOPIC_ARN = FieldPattern(
    r"^arn:aws[a-z-]*:sns:[a-z0-9-]+:\d{12}:\S+$",
    "an SNS topic ARN (arn:aws:sns:REGION:ACCOUNT:NAME)",
)
SERVICE_LINKED_ROLE = FieldPattern(
    r"^AWSServiceRoleFor[A-Za-z0-9+=,.@_-]{1,60}$",
    "a service-linked role name such as AWSServiceRoleForConfig",
)
BUCKET_NAME = FieldPattern(
    r"^[a-z0-9][a-z0-9.\-]{1,61}[a-z0-9]$",
    "an S3 bucket name (3-63 lower-case letters, digits, . and -)",
)
KEY_PREFIX = FieldPattern(r"^[A-Za-z0-9_\-./]+$", "an S3 key prefix of letters, digits and _ - . /")
NAMESPACE = FieldPattern(
    r"^[A-Za-z0-9_.\-/#:]{1,255}$", "a CloudWatch namespace: letters, digits and _ . - / # :"
)
NAME_PREFIX = FieldPattern(r"^[A-Za-z0-9_\-]{0,40}$", "up to 40 letters, digits, _ and -")
PROFILE_NAME = FieldPattern(r"^[a-z][a-z0-9-]*$", "a profile name such as securityhub or prowler")
ENDPOINT_URL = FieldPattern(r"^https?://\S+$", "an http(s) URL such as http://127.0.0.1:5000")
CHANNEL_NAME = FieldPattern(
    r"^[a-z0-9]([a-z0-9-]{0,30}[a-z0-9])?$", "1-32 lower-case letters, digits and inner hyphens"
)
SLACK_WORKSPACE_ID = FieldPattern(
    r"^[0-9A-Z]{1,255}$", "a Slack workspace id such as T0123ABCD (AWS Chatbot console)"
)
SLACK_CHANNEL_ID = FieldPattern(
    r"^[A-Za-z0-9]{1,255}$", "a Slack channel id such as C0123ABCD (the end of its link)"
)
TEAMS_ID = FieldPattern(
    r"^[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}$",
    "a Microsoft Teams id, a UUID such as 5ad4b2cd-1b25-4a70-a0ad-0bbd9ac9d1a2",
)
TEAMS_CHANNEL_ID = FieldPattern(
    r"^[A-Za-z0-9\-_=+/.,:@%]{1,255}$",
    "a Teams channel id as in the channel's link, such as 19%3ab6ef35dc%40thread.tacv2",
)
# Every field pattern of the module, for `describe_validation_error`.
FIELD_PATTERNS = (
    REGION,
    TARGET_NAME,
    ACCOUNT_ID,
    LOG_GROUP_NAME,
    ROLE_ARN,
    EMAIL_ADDRESS,
    TOPIC_ARN,
    SERVICE_LINKED_ROLE,
    BUCKET_NAME,
    KEY_PREFIX,
    NAMESPACE,
    NAME_PREFIX,
    PROFILE_NAME,
    ENDPOINT_URL,
    CHANNEL_NAME,
    SLACK_WORKSPACE_ID,
    SLACK_CHANNEL_ID,
    TEAMS_ID,
    TEAMS_CHANNEL_ID,
)
Name = Annotated[
    str,
    Field(pattern=TARGET_NAME.regex),
]


@functools.cache
def known_regions() -> frozenset[str]:
    """Every region of every AWS partition, from the partition data botocore ships.

    botocore's endpoint resolver reads the same `data/partitions.json`. Read directly, the file
    costs about a millisecond, where importing `botocore.loaders` costs 100 ms or more: the
    config loads on every command. Only listed regions count. A partition's `regionRegex` would
    accept `eu-wset-1` too (the aws partition's takes any `eu-word-N`), so a region newer than
    the installed botocore is refused until boto3 and botocore are upgraded, which the drill and
    state commands need for it anyway. Empty when botocore is missing: then only the shape is
    checked.
    """
    spec = importlib.util.find_spec("botocore")
    if spec is None or not spec.submodule_search_locations:
        return frozenset()
    path = Path(next(iter(spec.submodule_search_locations))) / "data" / "partitions.json"
    try:
        partitions = json.loads(path.read_text(encoding="utf-8"))["partitions"]
        return frozenset(
            region
            for partition in partitions
            for region in partition["regions"]
            # Skip the partitions' pseudo-regions (aws-global, aws-cn-global, ...).
            if re.fullmatch(partition["regionRegex"], region)
        )
    except (OSError, ValueError, KeyError, TypeError):
        return frozenset()


def _existing_region(value: str) -> str:
    regions = known_regions()
    if regions and value not in regions:
        raise ValueError(
            "not an AWS region botocore knows (for a new region, upgrade boto3)"
            + _closest(value, regions)
        )
    return value


def _closest(value: str, known: frozenset[str]) -> str:
    import difflib

    def score(candidate: str) -> float:
        return difflib.SequenceMatcher(None, value, candidate).ratio()

    matches = difflib.get_close_matches(value, sorted(known), n=3, cutoff=0.6)
    if not matches:
        return ""
    # `us-est-2` is as close to us-east-2 as to us-west-2: name both.
    best = max(score(m) for m in matches)
    return "; did you mean " + " or ".join(sorted(m for m in matches if score(m) == best)) + "?"


# A region that has the shape of one, and that exists.
Region = Annotated[str, Field(pattern=REGION.regex), AfterValidator(_existing_region)]
AccountId = Annotated[str, Field(pattern=ACCOUNT_ID.regex)]
LogGroupName = Annotated[
    str,
    Field(pattern=LOG_GROUP_NAME.regex),
]


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


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


class Subscription(_Strict):
    """An extra subscriber of the alarm topic."""

    protocol: Literal["email", "email-json", "https", "sqs", "lambda"]
    endpoint: str = Field(min_length=1)

    @model_validator(mode="after")
    def _endpoint_fits(self) -> Subscription:
        expected = {
            "email": EMAIL,
            "email-json": EMAIL,
            "https": r"^https://\S+$",
            "sqs": r"^arn:aws[a-z-]*:sqs:[a-z0-9-]+:\d{12}:\S+$",
            "lambda": r"^arn:aws[a-z-]*:lambda:[a-z0-9-]+:\d{12}:function:\S+$",
        }[self.protocol]
        if not re.match(expected, self.endpoint):
            raise ValueError(f"endpoint {self.endpoint!r} is not a valid {self.protocol} endpoint")
        return self


ChannelName = Annotated[str, Field(pattern=CHANNEL_NAME.regex)]
# The channel the single-topic form (notifications.emails, subscriptions, topic_arn) makes.
DEFAULT_CHANNEL = naming.DEFAULT_CHANNEL


class SlackChannel(_Strict):
    """A Slack channel that AWS Chatbot posts the channel's alarms to."""

    workspace_id: str = Field(pattern=SLACK_WORKSPACE_ID.regex)
    channel_id: str = Field(pattern=SLACK_CHANNEL_ID.regex)


class TeamsChannel(_Strict):
    """A Microsoft Teams channel that AWS Chatbot posts the channel's alarms to."""

    team_id: str = Field(pattern=TEAMS_ID.regex)
    tenant_id: str = Field(pattern=TEAMS_ID.regex)
    channel_id: str = Field(pattern=TEAMS_CHANNEL_ID.regex)


class Channel(_Strict):
    """One SNS topic per target and its subscribers, or a topic that exists."""

    emails: tuple[
        Annotated[str, Field(pattern=EMAIL_ADDRESS.regex)],
        ...,
    ] = ()
    subscriptions: tuple[Subscription, ...] = ()
    slack: SlackChannel | None = None
    teams: TeamsChannel | None = None
    topic_arn: str | None = Field(
        default=None,
        pattern=TOPIC_ARN.regex,
    )

    @property
    def chat(self) -> tuple[SlackChannel | TeamsChannel, ...]:
        return tuple(c for c in (self.slack, self.teams) if c is not None)

    @model_validator(mode="after")
    def _one_topic(self) -> Channel:
        if self.topic_arn and (self.emails or self.subscriptions or self.chat):
            raise ValueError(
                "with topic_arn, subscribe on that topic yourself: emails, subscriptions, "
                "slack and teams are only for a topic trailwatch creates"
            )
        if not self.topic_arn and not (self.emails or self.subscriptions or self.chat):
            raise ValueError(
                "a channel needs a subscriber: give emails, subscriptions, slack, teams or an "
                "existing topic_arn"
            )
        return self


class Route(_Strict):
    """Alarms of these severities and/or events go to these channels."""

    severity: tuple[Severity, ...] = ()
    events: tuple[str, ...] = ()
    channels: tuple[ChannelName, ...] = Field(min_length=1)

    @model_validator(mode="after")
    def _selects(self) -> Route:
        if not (self.severity or self.events):
            raise ValueError(
                "a route needs severity, events or both (then an alarm must match both)"
            )
        return self

    def matches(self, event_id: str, severity: str) -> bool:
        return (not self.severity or severity in self.severity) and (
            not self.events or event_id in self.events
        )


class Notifications(_Strict):
    """Where alarms go: channels (each one topic), the default ones and routes by severity or
    event. The single-topic form (`emails`, `subscriptions`, `topic_arn`) is the channel
    `default`."""

    emails: tuple[
        Annotated[str, Field(pattern=EMAIL_ADDRESS.regex)],
        ...,
    ] = ()
    subscriptions: tuple[Subscription, ...] = ()
    topic_arn: str | None = Field(
        default=None,
        pattern=TOPIC_ARN.regex,
    )
    channels: dict[ChannelName, Channel] = Field(default_factory=dict)
    # The channels of alarms that no route matches (None: `default`, or the only channel).
    default: tuple[ChannelName, ...] | None = Field(default=None, min_length=1)
    routes: tuple[Route, ...] = ()
    ok_actions: bool = False
    insufficient_data_actions: bool = False

    @model_validator(mode="after")
    def _one_topic(self) -> Notifications:
        if self.topic_arn and (self.emails or self.subscriptions):
            raise ValueError(
                "with topic_arn, subscribe on that topic yourself: emails and subscriptions "
                "are only for the topic trailwatch creates"
            )
        single = bool(self.topic_arn or self.emails or self.subscriptions)
        if not single and not self.channels:
            raise ValueError(
                "alarms need a subscriber: give emails, subscriptions or an existing topic_arn, "
                "or channels"
            )
        if single and DEFAULT_CHANNEL in self.channels:
            raise ValueError(
                f"channels.{DEFAULT_CHANNEL}: emails, subscriptions and topic_arn already make "
                f"the channel {DEFAULT_CHANNEL!r}; move them into channels.{DEFAULT_CHANNEL} or "
                "rename this channel"
            )
        channels = self.all_channels()
        if self.default is None and len(channels) > 1 and DEFAULT_CHANNEL not in channels:
            raise ValueError(
                "default: name the channel(s) for alarms that no route matches (one of "
                + ", ".join(channels)
                + ")"
            )
        return self

    def all_channels(self) -> dict[str, Channel]:
        """Every channel by name, the single-topic form's `default` first."""
        found: dict[str, Channel] = {}
        if self.topic_arn or self.emails or self.subscriptions:
            found[DEFAULT_CHANNEL] = Channel(
                emails=self.emails, subscriptions=self.subscriptions, topic_arn=self.topic_arn
            )
        found.update(self.channels)
        return found

    def default_channels(self) -> tuple[str, ...]:
        if self.default is not None:
            return self.default
        channels = self.all_channels()
        return (DEFAULT_CHANNEL,) if DEFAULT_CHANNEL in channels else tuple(channels)[:1]


class EventOverride(_Strict):
    """Per-event changes to the catalog's alarm settings, metric filter and pattern."""

    threshold: float | None = Field(default=None, ge=0)
    period: int | None = Field(default=None, ge=60, le=86400, multiple_of=60)
    evaluation_periods: int | None = Field(default=None, ge=1, le=100)
    datapoints_to_alarm: int | None = Field(default=None, ge=1, le=100)
    statistic: Statistic | None = None
    comparison: Comparison | None = None
    treat_missing_data: MissingData | None = None
    # The metric filter reports 0 for records that do not match (None: the config's default).
    default_value: bool | None = None
    # A pattern of the config's own in place of the catalog's; it must pass the event's samples
    # unless `samples: skip` says why it cannot (`reason`).
    pattern: str | None = Field(default=None, min_length=1, max_length=MAX_PATTERN_LENGTH)
    samples: Literal["skip"] | None = None
    reason: str | None = Field(default=None, min_length=1)

    @field_validator("pattern")
    @classmethod
    def _parses(cls, value: str | None) -> str | None:
        if value is not None:
            # Imported here: the engine is only needed when a config overrides a pattern.
            from trailwatch.patterns import PatternSyntaxError, parse_pattern

            try:
                parse_pattern(value)
            except PatternSyntaxError as err:
                raise ValueError(str(err)) from None
        return value


# The fields of an override that change the alarm, as AlarmSettings names them.
ALARM_OVERRIDE_FIELDS = (
    "threshold",
    "period",
    "evaluation_periods",
    "datapoints_to_alarm",
    "statistic",
    "comparison",
    "treat_missing_data",
)


class Exclusions(_Strict):
    """Records some alarms ignore. Each one breaks the exact CIS / Security Hub pattern."""

    # Console sign-in failures through an assumed role (IAM Identity Center, SAML federation).
    assumed_role_console_signins: bool = False
    # Service-linked roles whose access denials are expected (AWSServiceRoleForConfig, ...).
    service_linked_role_denials: tuple[
        Annotated[
            str,
            Field(pattern=SERVICE_LINKED_ROLE.regex),
        ],
        ...,
    ] = ()


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
