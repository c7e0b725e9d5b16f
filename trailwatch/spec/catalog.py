"""The event catalog: one YAML file per security event, validated into typed definitions."""

from __future__ import annotations

import re
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator, model_validator

from trailwatch.errors import CatalogError, FieldPattern, describe_validation_error
from trailwatch.spec.firing import FiringSettings, problems
from trailwatch.spec.yaml_files import read_mapping

# AWS's limit on filterPattern (PutMetricFilter).
MAX_PATTERN_LENGTH = 1024
DEFAULT_PROFILE = "securityhub"

Statistic = Literal["Sum", "SampleCount", "Average", "Minimum", "Maximum"]
Comparison = Literal[
    "GreaterThanOrEqualToThreshold",
    "GreaterThanThreshold",
    "LessThanThreshold",
    "LessThanOrEqualToThreshold",
]
MissingData = Literal["notBreaching", "breaching", "ignore", "missing"]
Severity = Literal["low", "medium", "high", "critical"]
# Most urgent first: how routing tables, descriptions and dashboards order them.
SEVERITIES: tuple[Severity, ...] = ("critical", "high", "medium", "low")


CIS_V1_2_CONTROL = FieldPattern(r"^3\.\d+$", "a CIS v1.2 control number such as '3.1' (quoted)")
CIS_V1_4_CONTROL = FieldPattern(r"^4\.\d+$", "a CIS v1.4+ control number such as '4.1' (quoted)")
SECURITY_HUB_CONTROL = FieldPattern(
    r"^CloudWatch\.\d+$", "a Security Hub control id such as CloudWatch.1"
)
EVENT_ID = FieldPattern(
    r"^[a-z0-9][a-z0-9-]{0,62}$", "lower-case letters, digits and hyphens, like vpc-changes"
)
METRIC_NAME = FieldPattern(
    r"^[A-Za-z0-9_.\-]{1,200}$", "a metric name of letters, digits and _ . -"
)
ALARM_NAME = FieldPattern(
    r"^[A-Za-z0-9_.\- ]{1,200}$", "an alarm name of letters, digits, spaces and _ . -"
)
# Every field pattern of the module, for `describe_validation_error`.
FIELD_PATTERNS = (
    CIS_V1_2_CONTROL,
    CIS_V1_4_CONTROL,
    SECURITY_HUB_CONTROL,
    EVENT_ID,
    METRIC_NAME,
    ALARM_NAME,
)


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class AlarmSettings(_Strict):
    """How a metric's counts turn into an alarm state."""

    threshold: float = Field(ge=0)
    # CloudWatch takes 10, 30 or any multiple of 60 seconds; alarms on metric filters
    # only make sense at a minute or more.
    period: int = Field(default=300, ge=60, le=86400, multiple_of=60)
    evaluation_periods: int = Field(default=1, ge=1, le=100)
    datapoints_to_alarm: int = Field(default=1, ge=1, le=100)
    statistic: Statistic = "Sum"
    comparison: Comparison = "GreaterThanOrEqualToThreshold"
    treat_missing_data: MissingData = "notBreaching"

    @model_validator(mode="after")
    def _datapoints_fit(self) -> AlarmSettings:
        if self.datapoints_to_alarm > self.evaluation_periods:
            raise ValueError(
                f"datapoints_to_alarm ({self.datapoints_to_alarm}) cannot exceed "
                f"evaluation_periods ({self.evaluation_periods}): the alarm would need more "
                "breaching periods than it looks at"
            )
        return self


class Compliance(_Strict):
    """Where the event appears in the compliance frameworks."""

    cis_v1_2: str | None = Field(
        default=None,
        pattern=CIS_V1_2_CONTROL.regex,
    )
    cis_v1_4: str | None = Field(
        default=None,
        pattern=CIS_V1_4_CONTROL.regex,
    )
    security_hub: str | None = Field(
        default=None,
        pattern=SECURITY_HUB_CONTROL.regex,
    )


class Sample(_Strict):
    """A CloudTrail record kept as evidence of what a pattern does."""

    note: str = Field(min_length=1)
    record: dict[str, Any]


class Samples(_Strict):
    """Records that must match and near misses that must not."""

    match: tuple[Sample, ...] = ()
    no_match: tuple[Sample, ...] = ()


class ProfileVariant(_Strict):
    """A named variant of an event's pattern, for a checker that wants another text."""

    pattern: str = Field(min_length=1, max_length=MAX_PATTERN_LENGTH)
    samples: Samples | None = None


# The areas of `trailwatch drill` (trailwatch/drill/exercises.py) whose calls produce events.
DrillExercise = Literal["network", "bucket", "iam-policy", "trail"]
# CloudTrail's LookupEvents attribute keys.
LookupKey = Literal[
    "EventId",
    "EventName",
    "ReadOnly",
    "Username",
    "ResourceType",
    "ResourceName",
    "EventSource",
    "AccessKeyId",
]


class DrillLookup(_Strict):
    """The `aws cloudtrail lookup-events` attribute that finds real records of the event."""

    key: LookupKey
    value: str = Field(min_length=1)


class DrillSettings(_Strict):
    """How `trailwatch drill` tests the event: the exercise whose calls produce it, or why no
    safe call can; `lookup` finds real records to replay when the drill does not run it."""

    exercise: DrillExercise | None = None
    reason: str | None = Field(default=None, min_length=1)
    lookup: DrillLookup | None = None

    @model_validator(mode="after")
    def _exercise_or_reason(self) -> DrillSettings:
        if (self.exercise is None) == (self.reason is None):
            raise ValueError(
                "give exactly one of exercise (the drill area whose calls produce the event) "
                "or reason (why no safe call can)"
            )
        return self


class EventDefinition(_Strict):
    """One security event: its pattern, its metric, its alarm and its evidence."""

    id: str = Field(pattern=EVENT_ID.regex)
    title: str = Field(min_length=1)
    severity: Severity
    # Why the event has that severity: routes page, mail or post by it (every built-in event says).
    severity_reason: str | None = Field(default=None, min_length=1)
    description: str = Field(min_length=1)
    pattern: str = Field(min_length=1, max_length=MAX_PATTERN_LENGTH)
    # CloudWatch metric and alarm names: up to 255 characters; we keep them to a safe set so
    # that the name prefix and Terraform ids never need quoting.
    metric_name: str = Field(pattern=METRIC_NAME.regex)
    alarm_name: str = Field(pattern=ALARM_NAME.regex)
    alarm: AlarmSettings
    compliance: Compliance = Compliance()
    profiles: dict[str, ProfileVariant] = Field(default_factory=dict)
    samples: Samples = Samples()
    # None: the drill knows no safe call for the event (replay the trail's log files instead).
    drill: DrillSettings | None = None
    # Why the event has no samples. Without it, an enabled event must prove its deployed pattern
    # with samples (trailwatch/replay/evidence.py) or validate and synth refuse it.
    no_samples_reason: str | None = None
    # The event's calls are made to a global service (IAM, STS, console sign-in, Organizations):
    # CloudTrail sends them to EventBridge in us-east-1 only, so their EventBridge rule lives in
    # the account's us-east-1 target (trailwatch/spec/delivery.py).
    global_service: bool = False

    @field_validator("profiles")
    @classmethod
    def _profile_names(cls, value: dict[str, ProfileVariant]) -> dict[str, ProfileVariant]:
        for name in value:
            if not re.fullmatch(r"[a-z][a-z0-9-]*", name) or name == DEFAULT_PROFILE:
                raise ValueError(
                    f"profile name {name!r} must be lower-case letters, digits and '-', "
                    f"and not {DEFAULT_PROFILE!r} (the default pattern is that profile)"
                )
        return value

    @field_validator("alarm")
    @classmethod
    def _alarm_can_fire(cls, value: AlarmSettings) -> AlarmSettings:
        found = problems(firing_settings(value))
        if found:
            raise ValueError("; ".join(found))
        return value

    @field_validator("no_samples_reason")
    @classmethod
    def _reason_in_words(cls, value: str | None) -> str | None:
        if value is not None and not value.strip():
            raise ValueError("say in words why the event has no samples")
        return value

    @model_validator(mode="after")
    def _reason_only_without_samples(self) -> EventDefinition:
        sets = [self.samples] + [v.samples for v in self.profiles.values() if v.samples]
        if self.no_samples_reason is not None and any(s.match or s.no_match for s in sets):
            raise ValueError(
                "no_samples_reason is for an event without samples; this one has samples"
            )
        return self

    def pattern_for(self, profile: str) -> str:
        """The pattern this event deploys under a profile (its default when it has no variant)."""
        variant = self.profiles.get(profile)
        return variant.pattern if variant else self.pattern

    def samples_for(self, profile: str) -> Samples:
        """The evidence that goes with `pattern_for(profile)`."""
        variant = self.profiles.get(profile)
        return variant.samples if variant and variant.samples else self.samples


def firing_settings(settings: AlarmSettings, *, default_value: bool = False) -> FiringSettings:
    """What `trailwatch.spec.firing` judges of an alarm's settings."""
    return FiringSettings(
        statistic=settings.statistic,
        comparison=settings.comparison,
        threshold=settings.threshold,
        evaluation_periods=settings.evaluation_periods,
        datapoints_to_alarm=settings.datapoints_to_alarm,
        default_value=default_value,
    )


@dataclass(frozen=True)
class CatalogEntry:
    """An event definition and the file it came from."""

    event: EventDefinition
    source: Path


class Catalog(Mapping[str, EventDefinition]):
    """The loaded events, by id, in a stable order (sorted by id)."""

    def __init__(self, entries: Iterable[CatalogEntry]) -> None:
        self._entries = {e.event.id: e for e in sorted(entries, key=lambda e: e.event.id)}

    def __getitem__(self, event_id: str) -> EventDefinition:
        return self._entries[event_id].event

    def __iter__(self) -> Iterator[str]:
        return iter(self._entries)

    def __len__(self) -> int:
        return len(self._entries)

    def source(self, event_id: str) -> Path:
        """The file an event was read from."""
        return self._entries[event_id].source

    def profiles(self) -> set[str]:
        """Every profile name any event knows, plus the default."""
        names = {DEFAULT_PROFILE}
        for entry in self._entries.values():
            names.update(entry.event.profiles)
        return names


def read_event_file(path: Path) -> EventDefinition:
    """Read and validate one event file; errors name the file and the field."""
    data = read_mapping(
        path, CatalogError, expected="must be a YAML mapping of event fields (id, pattern, ...)"
    )
    try:
        event = EventDefinition.model_validate(data)
    except ValidationError as err:
        raise CatalogError(describe_validation_error(path, err, FIELD_PATTERNS)) from None
    _check_patterns(path, event)
    return event


def _check_patterns(path: Path, event: EventDefinition) -> None:
    # Imported here: the engine is only needed once a file has parsed.
    from trailwatch.patterns import PatternSyntaxError, parse_pattern

    variants = [("pattern", event.pattern)] + [
        (f"profiles.{name}.pattern", v.pattern) for name, v in event.profiles.items()
    ]
    for field, text in variants:
        try:
            parse_pattern(text)
        except PatternSyntaxError as err:
            raise CatalogError(f"{path}: {field}: {err}") from None


def load_catalog(directories: Iterable[Path]) -> Catalog:
    """Load every `*.yaml`/`*.yml` file of the directories, in order; ids and metrics are unique."""
    entries: list[CatalogEntry] = []
    seen_ids: dict[str, Path] = {}
    seen_metrics: dict[str, Path] = {}
    seen_alarms: dict[str, Path] = {}
    for directory in directories:
        if not directory.is_dir():
            raise CatalogError(f"{directory}: event directory does not exist")
        files = sorted([*directory.glob("*.yaml"), *directory.glob("*.yml")])
        for path in files:
            event = read_event_file(path)
            if event.id in seen_ids:
                raise CatalogError(
                    f"{path}: id: {event.id!r} is already defined in {seen_ids[event.id]}"
                )
            if event.metric_name in seen_metrics:
                raise CatalogError(
                    f"{path}: metric_name: {event.metric_name!r} is already used by "
                    f"{seen_metrics[event.metric_name]}; two filters on one metric would "
                    "make one alarm count both events"
                )
            if event.alarm_name in seen_alarms:
                raise CatalogError(
                    f"{path}: alarm_name: {event.alarm_name!r} is already used by "
                    f"{seen_alarms[event.alarm_name]}; one alarm would overwrite the other"
                )
            seen_ids[event.id] = path
            seen_metrics[event.metric_name] = path
            seen_alarms[event.alarm_name] = path
            entries.append(CatalogEntry(event, path))
    if not entries:
        raise CatalogError("no event definitions found in " + ", ".join(map(str, directories)))
    return Catalog(entries)
