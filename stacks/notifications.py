"""Where alarms go: an encrypted SNS topic and its subscribers, or a topic that exists."""

from __future__ import annotations

from stacks.aws import Construct, SnsTopic, SnsTopicPolicy, SnsTopicSubscription
from stacks.policies import Where, alarm_topic_policy
from trailwatch.spec import naming
from trailwatch.spec.config import Notifications as NotificationSettings


class Notifications(Construct):
    """The alarm topic: created with a policy for this account's alarms, or taken as given."""

    def __init__(
        self,
        scope: Construct,
        construct_id: str,
        *,
        where: Where,
        name: str,
        settings: NotificationSettings,
        key_arn: str | None,
    ) -> None:
        super().__init__(scope, construct_id)
        if settings.topic_arn:
            self.topic_arn = settings.topic_arn
            return
        topic = SnsTopic(self, "topic", name=name, kms_master_key_id=key_arn)
        topic.override_logical_id(naming.TOPIC_ID)
        self.topic_arn = topic.arn
        SnsTopicPolicy(
            self,
            "policy",
            arn=topic.arn,
            policy=alarm_topic_policy(where, topic_arn=topic.arn),
        ).override_logical_id(naming.TOPIC_POLICY_ID)
        subscribers = [("email", address) for address in settings.emails] + [
            (s.protocol, s.endpoint) for s in settings.subscriptions
        ]
        for index, (protocol, endpoint) in enumerate(subscribers):
            SnsTopicSubscription(
                self,
                f"subscription-{index}",
                topic_arn=topic.arn,
                protocol=protocol,
                endpoint=endpoint,
            ).override_logical_id(naming.subscription_id(index))
