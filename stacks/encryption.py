"""The target's customer managed KMS key."""

from __future__ import annotations

from stacks.aws import Construct, KmsAlias, KmsKey
from stacks.policies import Where, key_policy


class EncryptionKey(Construct):
    """One rotating customer key for the trail's files, the log group and the alarm topic."""

    def __init__(
        self,
        scope: Construct,
        construct_id: str,
        *,
        where: Where,
        alias: str,
        trail_arn: str | None,
        log_group_name: str | None,
        alarms: bool,
        event_rules: bool = False,
    ) -> None:
        super().__init__(scope, construct_id)
        self.key = KmsKey(
            self,
            "key",
            description=f"trailwatch: CloudTrail, its log group and alarm topic ({alias})",
            enable_key_rotation=True,
            deletion_window_in_days=30,
            policy=key_policy(
                where,
                trail_arn=trail_arn,
                log_group_name=log_group_name,
                alarms=alarms,
                event_rules=event_rules,
            ),
        )
        self.key.override_logical_id("key")
        alias_resource = KmsAlias(
            self, "alias", name=f"alias/{alias}", target_key_id=self.key.key_id
        )
        alias_resource.override_logical_id("key_alias")

    @property
    def arn(self) -> str:
        return self.key.arn
