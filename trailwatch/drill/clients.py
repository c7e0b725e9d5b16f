"""AWS access for one target (boto3 clients, the emulator's with dummy keys) and the caller."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from trailwatch.errors import DrillError
from trailwatch.spec.targets import Target

# Marks the drill's calls in the real account's CloudTrail (userAgent) and its STS session.
USER_AGENT = "trailwatch-drill"


@dataclass(frozen=True)
class Identity:
    """The caller, as CloudTrail's userIdentity describes it."""

    arn: str
    account: str
    user_id: str
    access_key_id: str

    def user_identity(self, when: str) -> dict[str, Any]:
        base: dict[str, Any] = {
            "principalId": self.user_id,
            "arn": self.arn,
            "accountId": self.account,
            "accessKeyId": self.access_key_id,
        }
        partition, resource = self.arn.split(":")[1], self.arn.split(":", 5)[-1]
        if resource == "root":
            return {"type": "Root", **base}
        kind, _, rest = resource.partition("/")
        if kind == "assumed-role":
            role = rest.split("/", 1)[0]
            issuer = {
                "type": "Role",
                "principalId": self.user_id.split(":", 1)[0],
                "arn": f"arn:{partition}:iam::{self.account}:role/{role}",
                "accountId": self.account,
                "userName": role,
            }
            return {
                "type": "AssumedRole",
                **base,
                "sessionContext": {
                    "sessionIssuer": issuer,
                    "attributes": {"creationDate": when, "mfaAuthenticated": "false"},
                },
            }
        if kind == "federated-user":
            return {"type": "FederatedUser", **base}
        return {"type": "IAMUser", **base, "userName": rest.rsplit("/", 1)[-1]}


class AwsClients:
    """boto3 clients for one target: `clients("ec2")`; the emulator's with dummy keys."""

    def __init__(self, target: Target, endpoint_url: str | None) -> None:
        import boto3  # type: ignore[import-untyped]
        from botocore.config import Config  # type: ignore[import-untyped]
        from botocore.exceptions import BotoCoreError, ClientError  # type: ignore[import-untyped]

        self.endpoint_url = endpoint_url
        self.config = Config(
            user_agent_extra=USER_AGENT, retries={"max_attempts": 5, "mode": "standard"}
        )
        try:
            session = self._session_for(target, boto3)
            credentials = session.get_credentials()
        except (BotoCoreError, ClientError) as err:
            raise DrillError(f"drill {target.name}: no AWS session: {err}") from None
        if credentials is None:
            raise DrillError(
                f"drill {target.name}: no AWS credentials (set the target's profile, AWS_PROFILE "
                "or AWS_ACCESS_KEY_ID; or TRAILWATCH_ENDPOINT_URL for the emulator)"
            )
        self.access_key: str = credentials.access_key or ""
        self._session = session
        self._clients: dict[str, Any] = {}

    def _session_for(self, target: Target, boto3: Any) -> Any:
        if self.endpoint_url:
            return boto3.Session(
                aws_access_key_id="test", aws_secret_access_key="test", region_name=target.region
            )
        session = boto3.Session(profile_name=target.profile, region_name=target.region)
        if not target.assume_role_arn:
            return session
        assumed = session.client("sts", config=self.config).assume_role(
            RoleArn=target.assume_role_arn, RoleSessionName=USER_AGENT
        )["Credentials"]
        return boto3.Session(
            aws_access_key_id=assumed["AccessKeyId"],
            aws_secret_access_key=assumed["SecretAccessKey"],
            aws_session_token=assumed["SessionToken"],
            region_name=target.region,
        )

    def __call__(self, service: str) -> Any:
        if service not in self._clients:
            self._clients[service] = self._session.client(
                service, endpoint_url=self.endpoint_url, config=self.config
            )
        return self._clients[service]


def caller_identity(target: Target, clients: AwsClients) -> Identity:
    """Who the credentials are; a DrillError when they are for another account than the
    target's `account_id`."""
    caller = clients("sts").get_caller_identity()
    if target.account_id and caller["Account"] != target.account_id:
        raise DrillError(
            f"drill {target.name}: credentials are for account {caller['Account']}, the target "
            f"is {target.account_id}: refusing to drill another account"
        )
    return Identity(
        arn=caller["Arn"],
        account=caller["Account"],
        user_id=caller["UserId"],
        access_key_id=clients.access_key,
    )
