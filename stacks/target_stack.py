"""One stack per target: provider, backend, and the constructs wired together."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import TypedDict

from stacks.alarm_set import AlarmSet
from stacks.aws import (
    AwsProvider,
    AwsProviderAssumeRole,
    AwsProviderDefaultTags,
    AwsProviderEndpoints,
    Construct,
    DataAwsCallerIdentity,
    DataAwsPartition,
    LocalBackend,
    S3Backend,
    TerraformStack,
)
from stacks.chat import ChatChannels
from stacks.dashboard import AlarmDashboard
from stacks.encryption import EncryptionKey
from stacks.event_rules import EventRules
from stacks.notifications import Notifications
from stacks.policies import Where
from stacks.trail import Trail, trail_arn
from trailwatch.spec import naming
from trailwatch.spec.delivery import EventRule
from trailwatch.spec.model import Deployment
from trailwatch.spec.notifications import Channel
from trailwatch.spec.targets import CreateTrail, Target
from trailwatch.spec.targets import LocalBackend as LocalBackendSettings
from trailwatch.tooling.terraform import EMULATED_SERVICES


class TargetStack(TerraformStack):
    """Everything trailwatch deploys into one account and region, with its own state."""

    def __init__(self, scope: Construct, deployment: Deployment, target: Target) -> None:
        super().__init__(scope, deployment.stack_name(target))
        self._provider(deployment, target)
        self._backend(deployment, target)
        where = self._where(target)
        channels = deployment.channels_for(target)
        rules = deployment.event_rules_for(target)
        key = self._key(deployment, target, where, channels)
        log_group_name = self._trail(deployment, target, where, key)
        notifications = Notifications(
            self,
            "notifications",
            where=where,
            channels=channels,
            topic_names={c: deployment.topic_name(target, c) for c in channels},
            key_arn=key.arn if key else None,
            rule_arns=_rule_arns(where, rules),
        )
        if any(c.chat for c in channels.values()):
            self._chat(deployment, target, where, channels, notifications)
        if "alarms" in deployment.delivery_for(target):
            self._alarms(deployment, target, log_group_name, notifications)
        if rules:
            EventRules(self, "event-rules", rules=rules, topic_arns=notifications.topic_arns)

    def _where(self, target: Target) -> Where:
        """The account and partition, read by data sources; the region, from the target."""
        identity = DataAwsCallerIdentity(self, "account")
        identity.override_logical_id(naming.ACCOUNT_DATA_ID)
        partition = DataAwsPartition(self, "partition")
        partition.override_logical_id(naming.ACCOUNT_DATA_ID)
        return Where(
            account_id=identity.account_id, partition=partition.partition, region=target.region
        )

    def _key(
        self,
        deployment: Deployment,
        target: Target,
        where: Where,
        channels: Mapping[str, Channel],
    ) -> EncryptionKey | None:
        """The customer key, when the stack creates a trail or a topic to encrypt."""
        creates_topic = any(c.topic_arn is None for c in channels.values())
        creates_trail = isinstance(target.trail, CreateTrail)
        if not (creates_trail or creates_topic):
            return None
        name = deployment.resource_name(target)
        return EncryptionKey(
            self,
            "encryption",
            where=where,
            alias=name,
            trail_arn=trail_arn(where, name) if creates_trail else None,
            log_group_name=deployment.log_group_name(target) if creates_trail else None,
            alarms=creates_topic,
            # The rules send to the topics this key encrypts.
            event_rules=creates_topic and bool(deployment.event_rules_for(target)),
        )

    def _trail(
        self, deployment: Deployment, target: Target, where: Where, key: EncryptionKey | None
    ) -> str:
        """The trail, when the target creates one; the name of the log group the filters read."""
        log_group_name = deployment.log_group_name(target)
        trail_settings = target.trail if isinstance(target.trail, CreateTrail) else None
        if trail_settings is None:
            return log_group_name
        assert key is not None
        trail = Trail(
            self,
            "trail",
            where=where,
            name=deployment.resource_name(target),
            settings=trail_settings,
            bucket_name=deployment.bucket_name(target, where.account_id),
            log_group_name=log_group_name,
            key_arn=key.arn,
        )
        # A reference, so that Terraform creates the log group before its filters.
        return trail.log_group.name

    def _chat(
        self,
        deployment: Deployment,
        target: Target,
        where: Where,
        channels: Mapping[str, Channel],
        notifications: Notifications,
    ) -> None:
        ChatChannels(
            self,
            "chat",
            where=where,
            channels=channels,
            topic_arns=notifications.topic_arns,
            names={c: deployment.chat_name(target, c) for c in channels},
            provider=self._chatbot_provider(deployment, target),
        )

    def _alarms(
        self,
        deployment: Deployment,
        target: Target,
        log_group_name: str,
        notifications: Notifications,
    ) -> None:
        """The filters and alarms, and the dashboard of their alarms when the target has one."""
        settings = deployment.config
        alarms = deployment.alarms_for(target)
        alarm_set = AlarmSet(
            self,
            "alarms",
            alarms=alarms,
            log_group_name=log_group_name,
            namespace=settings.namespace,
            topic_arns=notifications.topic_arns,
            ok_actions=settings.notifications.ok_actions,
            insufficient_data_actions=settings.notifications.insufficient_data_actions,
        )
        if deployment.dashboard_for(target):
            AlarmDashboard(
                self,
                "dashboard",
                name=deployment.resource_name(target),
                region=target.region,
                alarms=alarms,
                alarm_arns=alarm_set.alarm_arns,
            )

    def _provider(
        self,
        deployment: Deployment,
        target: Target,
        *,
        region: str | None = None,
        alias: str | None = None,
    ) -> AwsProvider:
        emulator = deployment.endpoint_url
        provider = AwsProvider(
            self,
            alias or "aws",
            alias=alias,
            region=region or target.region,
            allowed_account_ids=[target.account_id] if target.account_id else None,
            profile=None if emulator else target.profile,
            assume_role=(
                [AwsProviderAssumeRole(role_arn=target.assume_role_arn)]
                if target.assume_role_arn and not emulator
                else None
            ),
            default_tags=[AwsProviderDefaultTags(tags=deployment.tags(target))],
            **(_emulator_settings(emulator) if emulator else {}),
        )
        if alias is None:
            self.add_override(
                "terraform.required_providers.aws.version", naming.AWS_PROVIDER_CONSTRAINT
            )
        return provider

    def _chatbot_provider(self, deployment: Deployment, target: Target) -> AwsProvider | None:
        """The AWS Chatbot API is served in a few regions only: there, the target's provider;
        elsewhere a second one, with the same account and credentials, in the nearest."""
        region = deployment.chatbot_region(target)
        if region == target.region:
            return None
        return self._provider(deployment, target, region=region, alias=naming.CHATBOT_PROVIDER)

    def _backend(self, deployment: Deployment, target: Target) -> None:
        state = deployment.state(target)
        if isinstance(state.backend, LocalBackendSettings):
            LocalBackend(self, path=state.path)
            return
        S3Backend(
            self,
            bucket=state.backend.bucket,
            key=state.path,
            region=state.backend.region,
            encrypt=state.backend.encrypt,
        )
        if state.backend.use_lockfile:
            # cdktf 0.21's S3Backend has no use_lockfile (S3-native locking, Terraform >= 1.10);
            # cdktn's has, but the override writes the same JSON under both engines.
            self.add_override("terraform.backend.s3.use_lockfile", True)


def _rule_arns(where: Where, rules: Sequence[EventRule]) -> dict[str, list[str]]:
    """The ARNs of the rules that send to each channel (known before the rules exist: a rule's
    ARN is its region, account and name)."""
    found: dict[str, list[str]] = {}
    for rule in rules:
        for channel in rule.channels:
            found.setdefault(channel, []).append(where.arn("events", f"rule/{rule.rule_name}"))
    return found


class _EmulatorSettings(TypedDict, total=False):
    access_key: str
    secret_key: str
    skip_credentials_validation: bool
    skip_metadata_api_check: str
    skip_region_validation: bool
    s3_use_path_style: bool
    endpoints: list[AwsProviderEndpoints]


def _emulator_settings(endpoint: str) -> _EmulatorSettings:
    """Point every service at the local emulator with dummy credentials."""
    return _EmulatorSettings(
        access_key="test",
        secret_key="test",
        skip_credentials_validation=True,
        skip_metadata_api_check="true",
        skip_region_validation=True,
        s3_use_path_style=True,
        endpoints=[AwsProviderEndpoints(**{s: endpoint for s in EMULATED_SERVICES})],
    )
