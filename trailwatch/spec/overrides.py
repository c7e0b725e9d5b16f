"""What a config changes about the catalog's events: per-event overrides and exclusions.

`EventOverride` changes an event's alarm settings, metric filter default value or pattern, or
deploys its alarm as a shadow (in `overrides:` and a target's `overrides:`);
`ALARM_OVERRIDE_FIELDS` names the fields of it that change the alarm; `Exclusions` lists the
records some alarms ignore.
"""

from __future__ import annotations

import datetime
from typing import Annotated, Literal

from pydantic import Field, StrictBool, field_validator

from trailwatch.spec.catalog import (
    MAX_PATTERN_LENGTH,
    Comparison,
    MissingData,
    Sample,
    Statistic,
)
from trailwatch.spec.fields import RULE_ID, RULE_VALUE, SERVICE_LINKED_ROLE, _Strict
from trailwatch.spec.rule_values import value_problem


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
    # Deploy the filter, metric and alarm with the alarm's actions off, so that a new or changed
    # event runs quietly first. Strict: `shadow: "yes"` is a typo to refuse, not a yes.
    shadow: StrictBool | None = None

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


# The keys a rule's `match` may give; `trailwatch.spec.exclusions.MATCH_FIELDS` maps each to
# its CloudTrail field.
MatchKey = Literal[
    "principal_arn",
    "principal_type",
    "account_id",
    "event_source",
    "event_name",
    "error_code",
    "source_ip",
    "user_agent",
    "region",
]
RuleValue = Annotated[str, Field(pattern=RULE_VALUE.regex)]


class ExclusionRule(_Strict):
    """Records of some events that their alarms stop counting: every `match` key must hold."""

    id: str = Field(pattern=RULE_ID.regex)
    events: tuple[str, ...] = Field(min_length=1)
    match: dict[MatchKey, RuleValue] = Field(min_length=1)
    reason: str = Field(min_length=1)
    # After this date `validate` warns and synth refuses.
    expires: datetime.date | None = None
    # Records the rule must drop (at least one: the rule's evidence), and records of its
    # events that it must keep.
    removes: tuple[Sample, ...] = Field(default=(), validate_default=True)
    keeps: tuple[Sample, ...] = ()

    @field_validator("match")
    @classmethod
    def _compilable(cls, match: dict[MatchKey, str]) -> dict[MatchKey, str]:
        for key, value in match.items():
            problem = value_problem(value)
            if problem:
                raise ValueError(f"{key}: {problem}")
        return match

    @field_validator("removes")
    @classmethod
    def _has_evidence(cls, removes: tuple[Sample, ...]) -> tuple[Sample, ...]:
        if not removes:
            raise ValueError(
                "give at least one record the rule must drop (note and record), as evidence of "
                "what it hides"
            )
        return removes


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
    # Exclusions of the team's own, compiled into the patterns of their events.
    rules: tuple[ExclusionRule, ...] = ()
