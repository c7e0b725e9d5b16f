"""Where alarms go: one encrypted SNS topic per channel and its subscribers, or a topic that
exists."""

from __future__ import annotations

from collections.abc import Mapping, Sequence

from stacks.aws import Construct, SnsTopic, SnsTopicPolicy, SnsTopicSubscription
from stacks.policies import Where, alarm_topic_policy
from trailwatch.spec import naming
from trailwatch.spec.notifications import Channel


class Notifications(Construct):
    """The channels' topics: created with a policy for this account's alarms and the rules that
    send to them (`rule_arns`, by channel), or taken as given.

    `topic_arns` maps each channel to the topic its alarms publish to. The channel `default`
    keeps the construct ids and logical ids of the single topic trailwatch had before channels.
    """

    def __init__(
        self,
        scope: Construct,
        construct_id: str,
        *,
        where: Where,
        channels: Mapping[str, Channel],
        topic_names: Mapping[str, str],
        key_arn: str | None,
        rule_arns: Mapping[str, Sequence[str]] | None = None,
    ) -> None:
        super().__init__(scope, construct_id)
        rule_arns = rule_arns or {}
        self.topic_arns: dict[str, str] = {}
        for channel, settings in channels.items():
            if settings.topic_arn:
                self.topic_arns[channel] = settings.topic_arn
                continue
            self.topic_arns[channel] = self._topic(
                where, channel, settings, topic_names[channel], key_arn, rule_arns.get(channel, ())
            )

    def _topic(
        self,
        where: Where,
        channel: str,
        settings: Channel,
        name: str,
        key_arn: str | None,
        rule_arns: Sequence[str],
    ) -> str:
        suffix = "" if channel == naming.DEFAULT_CHANNEL else f"-{channel}"
        topic = SnsTopic(self, f"topic{suffix}", name=name, kms_master_key_id=key_arn)
        topic.override_logical_id(naming.topic_id(channel))
        SnsTopicPolicy(
            self,
            f"policy{suffix}",
            arn=topic.arn,
            policy=alarm_topic_policy(where, topic_arn=topic.arn, rule_arns=rule_arns),
        ).override_logical_id(naming.topic_policy_id(channel))
        subscribers = [("email", address) for address in settings.emails] + [
            (s.protocol, s.endpoint) for s in settings.subscriptions
        ]
        for index, (protocol, endpoint) in enumerate(subscribers):
            SnsTopicSubscription(
                self,
                f"subscription{suffix}-{index}",
                topic_arn=topic.arn,
                protocol=protocol,
                endpoint=endpoint,
            ).override_logical_id(naming.subscription_id(index, channel))
        return topic.arn
