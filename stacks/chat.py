"""AWS Chatbot: a Slack or Teams channel subscribed to its channel's topic, with its own role."""

from __future__ import annotations

from collections.abc import Mapping

from stacks.aws import (
    ChatbotSlackChannelConfiguration,
    ChatbotTeamsChannelConfiguration,
    Construct,
    IamRole,
    IamRolePolicy,
    TerraformProvider,
)
from stacks.policies import (
    Where,
    chatbot_guardrail,
    chatbot_role_permissions,
    chatbot_role_trust,
)
from trailwatch.spec import naming
from trailwatch.spec.notifications import Channel


class ChatChannels(Construct):
    """One Chatbot configuration per Slack or Teams channel, each with a least-privilege role
    (read CloudWatch, for the notification) and a read-only guardrail on what members may do."""

    def __init__(
        self,
        scope: Construct,
        construct_id: str,
        *,
        where: Where,
        channels: Mapping[str, Channel],
        topic_arns: Mapping[str, str],
        names: Mapping[str, str],
        provider: TerraformProvider | None,
    ) -> None:
        super().__init__(scope, construct_id)
        for channel, settings in channels.items():
            if not settings.chat:
                continue
            name = names[channel]
            role = IamRole(
                self,
                f"role-{channel}",
                name=f"{name}-chatbot",
                description=f"AWS Chatbot posts trailwatch alarms of channel {channel}",
                assume_role_policy=chatbot_role_trust(),
            )
            role.override_logical_id(naming.chat_role_id(channel))
            IamRolePolicy(
                self,
                f"role-policy-{channel}",
                name="read-alarms",
                role=role.id,
                policy=chatbot_role_permissions(),
            ).override_logical_id(naming.chat_role_policy_id(channel))
            arn = topic_arns[channel]
            guardrails = [chatbot_guardrail(where)]
            if settings.slack is not None:
                ChatbotSlackChannelConfiguration(
                    self,
                    f"slack-{channel}",
                    configuration_name=f"{name}-slack",
                    slack_team_id=settings.slack.workspace_id,
                    slack_channel_id=settings.slack.channel_id,
                    iam_role_arn=role.arn,
                    sns_topic_arns=[arn],
                    guardrail_policy_arns=guardrails,
                    logging_level="ERROR",
                    provider=provider,
                ).override_logical_id(naming.chat_id("slack", channel))
            if settings.teams is not None:
                ChatbotTeamsChannelConfiguration(
                    self,
                    f"teams-{channel}",
                    configuration_name=f"{name}-teams",
                    team_id=settings.teams.team_id,
                    tenant_id=settings.teams.tenant_id,
                    channel_id=settings.teams.channel_id,
                    iam_role_arn=role.arn,
                    sns_topic_arns=[arn],
                    guardrail_policy_arns=guardrails,
                    logging_level="ERROR",
                    provider=provider,
                ).override_logical_id(naming.chat_id("teams", channel))
