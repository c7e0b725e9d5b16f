"""The notification models of the config: channels, their subscribers and chat, and routes.

`Notifications` is the config's `notifications:`: channels (each one SNS topic per target, with
e-mail, other subscribers, Slack or Teams through AWS Chatbot, or an existing topic), the
single-topic form that makes the channel `default`, the default channels and the `Route`s that
send alarms by severity or event.
"""

from __future__ import annotations

import re
from typing import Annotated, Literal

from pydantic import Field, model_validator

from trailwatch.spec import naming
from trailwatch.spec.catalog import Severity
from trailwatch.spec.fields import (
    CHANNEL_NAME,
    EMAIL,
    EMAIL_ADDRESS,
    SLACK_CHANNEL_ID,
    SLACK_WORKSPACE_ID,
    TEAMS_CHANNEL_ID,
    TEAMS_ID,
    TOPIC_ARN,
    _Strict,
)


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
