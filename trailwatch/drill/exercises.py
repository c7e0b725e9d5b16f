"""The fire drill: make the API calls that produce each drillable event, safely, and check that
the filter *deployed* in the target's log group matches the CloudTrail record of each call.

For one target, `drill_target` first removes what an earlier, interrupted drill left behind
(found by the `trailwatch-drill` tag, the bucket name pattern and the IAM path), then creates
throw-away resources (a VPC with a subnet, security group, network ACL, route table and internet
gateway; a bucket; an IAM policy), performs the calls of the lab's test section on them, updates
the trail with its own settings (when trailwatch created it) and deletes everything it made; on
a failure it sweeps by tag again. Nothing it does costs money.

For each call it builds the record CloudTrail writes for it (`cloudtrail_record`: eventSource,
eventName, requestParameters in CloudTrail's shapes, userIdentity of the caller, ...) and
evaluates the deployed filter pattern, read back with DescribeMetricFilters (not the catalog's
text), with trailwatch's own engine. No emulator evaluates filter patterns, and on a real account
the alarm can take many minutes: the engine answers now; `wait_for_alarms` then watches the real
alarms. Fields no catalog filter reads (sourceIPAddress, userAgent) are representative only.
"""

from __future__ import annotations

import json
import re
import time
import uuid
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime
from typing import Any

from trailwatch.errors import DrillError
from trailwatch.spec.config import CreateTrail, Target
from trailwatch.spec.model import Deployment

DRILL_TAG = "trailwatch-drill"
IAM_PATH = "/trailwatch-drill/"
BUCKET_NAME = re.compile(r"^trailwatch-drill-[0-9a-f]{8}-(?P<target>[a-z0-9-]+)$")
# Documentation ranges (RFC 5737 / 1918): rules that let nothing real in or out.
VPC_CIDR = "10.255.0.0/16"
SUBNET_CIDR = "10.255.0.0/24"
RULE_CIDR = "192.0.2.0/24"
EVENT_VERSION = "1.09"
USER_AGENT = "trailwatch-drill"

EC2 = "ec2.amazonaws.com"
S3 = "s3.amazonaws.com"
IAM = "iam.amazonaws.com"
CLOUDTRAIL = "cloudtrail.amazonaws.com"


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


@dataclass(frozen=True)
class Call:
    """One API call the drill made, the event it exercises and the record CloudTrail writes."""

    event_id: str | None
    source: str
    name: str
    record: dict[str, Any]

    @property
    def label(self) -> str:
        return f"{self.source.split('.', 1)[0]}:{self.name}"


@dataclass(frozen=True)
class CallResult:
    event_id: str
    call: str
    filter_name: str | None
    matched: bool
    note: str = ""


@dataclass(frozen=True)
class NotDrillable:
    event_id: str
    reason: str
    replay: str


@dataclass(frozen=True)
class AlarmState:
    event_id: str
    alarm_name: str
    state: str


@dataclass(frozen=True)
class TargetDrill:
    """What the drill did on one target and what the deployed filters said."""

    target: str
    region: str
    account: str
    log_group: str
    results: tuple[CallResult, ...]
    not_drillable: tuple[NotDrillable, ...]
    leftovers_removed: int
    alarms: tuple[AlarmState, ...] = ()
    records: tuple[dict[str, Any], ...] = field(default=(), repr=False)

    @property
    def ok(self) -> bool:
        return all(r.matched for r in self.results)


# --- how to test what no call can safely produce ------------------------------------------

_LOOKUP = (
    "aws cloudtrail lookup-events --lookup-attributes {attribute} --max-items 1000 "
    "--output json > {file} && trailwatch replay {file}"
)
_FROM_BUCKET = (
    "aws s3 sync s3://<trail bucket>/AWSLogs/ cloudtrail-logs/ && "
    "trailwatch replay cloudtrail-logs/"
)
# Built-in events no API call can safely produce: why, and the CloudTrail lookup that finds
# real records of them for `trailwatch replay` (None: replay the trail's log files instead).
NOT_DRILLABLE: dict[str, tuple[str, str | None]] = {
    "root-account-usage": (
        "needs the root user's credentials, which nobody should use for a drill",
        "AttributeKey=Username,AttributeValue=root",
    ),
    "console-signin-failures": (
        "console sign-ins are not API calls: no SDK call writes a ConsoleLogin record",
        "AttributeKey=EventName,AttributeValue=ConsoleLogin",
    ),
    "console-signin-without-mfa": (
        "console sign-ins are not API calls: no SDK call writes a ConsoleLogin record",
        "AttributeKey=EventName,AttributeValue=ConsoleLogin",
    ),
    "authorization-failures": (
        "needs a call the drill's own principal is denied, which depends on its permissions",
        None,
    ),
    "kms-key-disable-or-deletion": (
        "a throw-away KMS key is billed and stays pending deletion for at least 7 days",
        "AttributeKey=EventSource,AttributeValue=kms.amazonaws.com",
    ),
    "aws-config-changes": (
        "changes the account's AWS Config recorder or delivery channel, which other controls "
        "rely on",
        "AttributeKey=EventSource,AttributeValue=config.amazonaws.com",
    ),
    "organizations-changes": (
        "changes the organization: nothing there is throw-away",
        "AttributeKey=EventSource,AttributeValue=organizations.amazonaws.com",
    ),
    "ec2-instance-changes": (
        "launches, stops or reboots instances, which costs money or disturbs workloads",
        "AttributeKey=EventName,AttributeValue=RunInstances",
    ),
    "ec2-large-instance-changes": (
        "launches a large instance, which costs money",
        "AttributeKey=EventName,AttributeValue=RunInstances",
    ),
}


def replay_command(event_id: str) -> str:
    """The command that tests an event on real records (in the target's region) instead."""
    attribute = NOT_DRILLABLE.get(event_id, ("", None))[1]
    if attribute is None:
        return _FROM_BUCKET
    return _LOOKUP.format(attribute=attribute, file=f"{event_id}.json")


# --- AWS access ---------------------------------------------------------------------------


class AwsClients:
    """boto3 clients for one target: `clients("ec2")`; the emulator's with dummy keys."""

    def __init__(self, target: Target, endpoint_url: str | None) -> None:
        import boto3  # type: ignore[import-untyped]
        from botocore.config import Config  # type: ignore[import-untyped]
        from botocore.exceptions import BotoCoreError, ClientError  # type: ignore[import-untyped]

        self.endpoint_url = endpoint_url
        # The user agent marks the drill's calls in the real account's CloudTrail too.
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


def cloudtrail_record(
    identity: Identity,
    *,
    region: str,
    source: str,
    name: str,
    request_parameters: Mapping[str, Any] | None,
    response_elements: Mapping[str, Any] | None,
    request_id: str,
    when: datetime,
) -> dict[str, Any]:
    """The management-event record CloudTrail writes for one API call."""
    stamp = when.strftime("%Y-%m-%dT%H:%M:%SZ")
    return {
        "eventVersion": EVENT_VERSION,
        "userIdentity": identity.user_identity(stamp),
        "eventTime": stamp,
        "eventSource": source,
        "eventName": name,
        # IAM is global: CloudTrail records its calls in us-east-1.
        "awsRegion": "us-east-1" if source == IAM else region,
        "sourceIPAddress": "192.0.2.10",
        "userAgent": f"Boto3 {USER_AGENT}",
        "requestParameters": dict(request_parameters) if request_parameters is not None else None,
        "responseElements": dict(response_elements) if response_elements is not None else None,
        "requestID": request_id,
        "eventID": str(uuid.uuid4()),
        "readOnly": False,
        "eventType": "AwsApiCall",
        "managementEvent": True,
        "recipientAccountId": identity.account,
        "eventCategory": "Management",
    }


# --- the drill ----------------------------------------------------------------------------


class _Exercise:
    """The calls on one target, recorded; `sweep` removes the drill's resources by tag."""

    def __init__(
        self, deployment: Deployment, target: Target, clients: AwsClients, identity: Identity
    ) -> None:
        self.deployment = deployment
        self.target = target
        self.client = clients
        self.identity = identity
        self.calls: list[Call] = []
        self.step = "start"
        self.tags = [{"Key": DRILL_TAG, "Value": target.name}]

    def call(
        self,
        event_id: str | None,
        source: str,
        name: str,
        perform: Callable[[], Any],
        params: Mapping[str, Any] | None,
        response: Callable[[Any], Mapping[str, Any] | None] = lambda _r: None,
    ) -> Any:
        self.step = f"{source.split('.', 1)[0]}:{name}"
        result = perform()
        request_id = str(result.get("ResponseMetadata", {}).get("RequestId", uuid.uuid4()))
        record = cloudtrail_record(
            self.identity,
            region=self.target.region,
            source=source,
            name=name,
            request_parameters=params,
            response_elements=response(result),
            request_id=request_id,
            when=datetime.now(UTC),
        )
        self.calls.append(Call(event_id, source, name, record))
        return result

    def _tag_spec(self, kind: str) -> tuple[list[dict[str, Any]], dict[str, Any]]:
        """TagSpecifications for the request, and how CloudTrail writes them."""
        request = [{"ResourceType": kind, "Tags": self.tags}]
        recorded = {
            "items": [
                {
                    "resourceType": kind,
                    "tags": [{"key": t["Key"], "value": t["Value"]} for t in self.tags],
                }
            ]
        }
        return request, recorded

    def network(self) -> None:
        """VPC, subnet, security group rule, NACL entry, route table and gateway calls."""
        ec2 = self.client("ec2")
        spec, recorded = self._tag_spec("vpc")
        vpc = self.call(
            "vpc-changes",
            EC2,
            "CreateVpc",
            lambda: ec2.create_vpc(CidrBlock=VPC_CIDR, TagSpecifications=spec),
            {
                "cidrBlock": VPC_CIDR,
                "amazonProvidedIpv6CidrBlock": False,
                "instanceTenancy": "default",
                "tagSpecificationSet": recorded,
            },
            lambda r: {"vpc": {"vpcId": r["Vpc"]["VpcId"], "cidrBlock": VPC_CIDR}},
        )["Vpc"]["VpcId"]
        spec, recorded = self._tag_spec("subnet")
        subnet = self.call(
            None,
            EC2,
            "CreateSubnet",
            lambda: ec2.create_subnet(VpcId=vpc, CidrBlock=SUBNET_CIDR, TagSpecifications=spec),
            {"vpcId": vpc, "cidrBlock": SUBNET_CIDR, "tagSpecificationSet": recorded},
        )["Subnet"]["SubnetId"]
        self.call(
            "vpc-changes",
            EC2,
            "ModifyVpcAttribute",
            lambda: ec2.modify_vpc_attribute(VpcId=vpc, EnableDnsHostnames={"Value": True}),
            {"vpcId": vpc, "enableDnsHostnames": {"value": True}},
            lambda _r: {"_return": True},
        )
        self._security_group(ec2, vpc)
        self._network_acl(ec2, vpc)
        self._route_table(ec2, vpc)
        self._internet_gateway(ec2, vpc)
        self.call(
            None,
            EC2,
            "DeleteSubnet",
            lambda: ec2.delete_subnet(SubnetId=subnet),
            {"subnetId": subnet},
            lambda _r: {"_return": True},
        )
        self.call(
            "vpc-changes",
            EC2,
            "DeleteVpc",
            lambda: ec2.delete_vpc(VpcId=vpc),
            {"vpcId": vpc},
            lambda _r: {"_return": True},
        )

    def _security_group(self, ec2: Any, vpc: str) -> None:
        spec, recorded = self._tag_spec("security-group")
        group = self.call(
            "security-group-changes",
            EC2,
            "CreateSecurityGroup",
            lambda: ec2.create_security_group(
                GroupName=f"{DRILL_TAG}-{self.target.name}",
                Description="trailwatch drill",
                VpcId=vpc,
                TagSpecifications=spec,
            ),
            {
                "groupName": f"{DRILL_TAG}-{self.target.name}",
                "groupDescription": "trailwatch drill",
                "vpcId": vpc,
                "tagSpecificationSet": recorded,
            },
            lambda r: {"_return": True, "groupId": r["GroupId"]},
        )["GroupId"]
        permission = [
            {
                "IpProtocol": "tcp",
                "FromPort": 443,
                "ToPort": 443,
                "IpRanges": [{"CidrIp": RULE_CIDR, "Description": "trailwatch drill"}],
            }
        ]
        recorded_permission = {
            "groupId": group,
            "ipPermissions": {
                "items": [
                    {
                        "ipProtocol": "tcp",
                        "fromPort": 443,
                        "toPort": 443,
                        "groups": {},
                        "ipRanges": {
                            "items": [{"cidrIp": RULE_CIDR, "description": "trailwatch drill"}]
                        },
                        "ipv6Ranges": {},
                        "prefixListIds": {},
                    }
                ]
            },
        }
        self.call(
            "security-group-changes",
            EC2,
            "AuthorizeSecurityGroupIngress",
            lambda: ec2.authorize_security_group_ingress(GroupId=group, IpPermissions=permission),
            recorded_permission,
            lambda _r: {"_return": True},
        )
        self.call(
            "security-group-changes",
            EC2,
            "RevokeSecurityGroupIngress",
            lambda: ec2.revoke_security_group_ingress(GroupId=group, IpPermissions=permission),
            recorded_permission,
            lambda _r: {"_return": True},
        )
        self.call(
            "security-group-changes",
            EC2,
            "DeleteSecurityGroup",
            lambda: ec2.delete_security_group(GroupId=group),
            {"groupId": group},
            lambda _r: {"_return": True},
        )

    def _network_acl(self, ec2: Any, vpc: str) -> None:
        spec, recorded = self._tag_spec("network-acl")
        acl = self.call(
            "nacl-changes",
            EC2,
            "CreateNetworkAcl",
            lambda: ec2.create_network_acl(VpcId=vpc, TagSpecifications=spec),
            {"vpcId": vpc, "tagSpecificationSet": recorded},
            lambda r: {"networkAcl": {"networkAclId": r["NetworkAcl"]["NetworkAclId"]}},
        )["NetworkAcl"]["NetworkAclId"]
        self.call(
            "nacl-changes",
            EC2,
            "CreateNetworkAclEntry",
            lambda: ec2.create_network_acl_entry(
                NetworkAclId=acl,
                RuleNumber=100,
                Protocol="6",
                RuleAction="deny",
                Egress=False,
                CidrBlock=RULE_CIDR,
                PortRange={"From": 22, "To": 22},
            ),
            {
                "networkAclId": acl,
                "ruleNumber": 100,
                "egress": False,
                "ruleAction": "deny",
                "icmpTypeCode": {},
                "aclProtocol": "6",
                "portRange": {"from": 22, "to": 22},
                "cidrBlock": RULE_CIDR,
            },
            lambda _r: {"_return": True},
        )
        self.call(
            "nacl-changes",
            EC2,
            "DeleteNetworkAclEntry",
            lambda: ec2.delete_network_acl_entry(NetworkAclId=acl, RuleNumber=100, Egress=False),
            {"networkAclId": acl, "ruleNumber": 100, "egress": False},
            lambda _r: {"_return": True},
        )
        self.call(
            "nacl-changes",
            EC2,
            "DeleteNetworkAcl",
            lambda: ec2.delete_network_acl(NetworkAclId=acl),
            {"networkAclId": acl},
            lambda _r: {"_return": True},
        )

    def _route_table(self, ec2: Any, vpc: str) -> None:
        spec, recorded = self._tag_spec("route-table")
        table = self.call(
            "route-table-changes",
            EC2,
            "CreateRouteTable",
            lambda: ec2.create_route_table(VpcId=vpc, TagSpecifications=spec),
            {"vpcId": vpc, "tagSpecificationSet": recorded},
            lambda r: {"routeTable": {"routeTableId": r["RouteTable"]["RouteTableId"]}},
        )["RouteTable"]["RouteTableId"]
        self.call(
            "route-table-changes",
            EC2,
            "DeleteRouteTable",
            lambda: ec2.delete_route_table(RouteTableId=table),
            {"routeTableId": table},
            lambda _r: {"_return": True},
        )

    def _internet_gateway(self, ec2: Any, vpc: str) -> None:
        spec, recorded = self._tag_spec("internet-gateway")
        gateway = self.call(
            "network-gateway-changes",
            EC2,
            "CreateInternetGateway",
            lambda: ec2.create_internet_gateway(TagSpecifications=spec),
            {"tagSpecificationSet": recorded},
            lambda r: {
                "internetGateway": {"internetGatewayId": r["InternetGateway"]["InternetGatewayId"]}
            },
        )["InternetGateway"]["InternetGatewayId"]
        ids = {"internetGatewayId": gateway, "vpcId": vpc}
        self.call(
            "network-gateway-changes",
            EC2,
            "AttachInternetGateway",
            lambda: ec2.attach_internet_gateway(InternetGatewayId=gateway, VpcId=vpc),
            ids,
            lambda _r: {"_return": True},
        )
        self.call(
            "network-gateway-changes",
            EC2,
            "DetachInternetGateway",
            lambda: ec2.detach_internet_gateway(InternetGatewayId=gateway, VpcId=vpc),
            ids,
            lambda _r: {"_return": True},
        )
        self.call(
            "network-gateway-changes",
            EC2,
            "DeleteInternetGateway",
            lambda: ec2.delete_internet_gateway(InternetGatewayId=gateway),
            {"internetGatewayId": gateway},
            lambda _r: {"_return": True},
        )

    def bucket(self) -> None:
        """A bucket whose policy is put and deleted."""
        s3 = self.client("s3")
        region = self.target.region
        name = f"{DRILL_TAG}-{uuid.uuid4().hex[:8]}-{self.target.name}"
        host = [f"s3.{region}.amazonaws.com"]
        where = (
            {}
            if region == "us-east-1"
            else {"CreateBucketConfiguration": {"LocationConstraint": region}}
        )
        self.call(
            None,
            S3,
            "CreateBucket",
            lambda: s3.create_bucket(Bucket=name, **where),
            {"bucketName": name, "host": host},
        )
        s3.put_bucket_tagging(Bucket=name, Tagging={"TagSet": self.tags})
        # Denies plain HTTP only: a policy that grants nothing.
        policy = {
            "Version": "2012-10-17",
            "Statement": [
                {
                    "Sid": "TrailwatchDrillDenyInsecureTransport",
                    "Effect": "Deny",
                    "Principal": "*",
                    "Action": "s3:*",
                    "Resource": [f"arn:aws:s3:::{name}", f"arn:aws:s3:::{name}/*"],
                    "Condition": {"Bool": {"aws:SecureTransport": "false"}},
                }
            ],
        }
        self.call(
            "s3-bucket-activity",
            S3,
            "PutBucketPolicy",
            lambda: s3.put_bucket_policy(Bucket=name, Policy=json.dumps(policy)),
            {"bucketName": name, "bucketPolicy": policy, "host": host, "policy": [""]},
        )
        self.call(
            "s3-bucket-activity",
            S3,
            "DeleteBucketPolicy",
            lambda: s3.delete_bucket_policy(Bucket=name),
            {"bucketName": name, "host": host, "policy": [""]},
        )
        self.call(
            None,
            S3,
            "DeleteBucket",
            lambda: s3.delete_bucket(Bucket=name),
            {"bucketName": name, "host": host},
        )

    def iam_policy(self) -> None:
        """A customer managed policy that allows nothing, with a second version."""
        iam = self.client("iam")
        name = f"{DRILL_TAG}-{self.target.name}"
        document = json.dumps(
            {
                "Version": "2012-10-17",
                "Statement": [
                    {
                        "Sid": "TrailwatchDrillAllowsNothing",
                        "Effect": "Deny",
                        "Action": "s3:GetObject",
                        "Resource": f"arn:aws:s3:::{DRILL_TAG}-nothing/*",
                    }
                ],
            }
        )
        arn = self.call(
            "iam-policy-changes",
            IAM,
            "CreatePolicy",
            lambda: iam.create_policy(
                PolicyName=name,
                Path=IAM_PATH,
                PolicyDocument=document,
                Description="trailwatch drill",
                Tags=self.tags,
            ),
            {
                "policyName": name,
                "path": IAM_PATH,
                "policyDocument": document,
                "description": "trailwatch drill",
                "tags": [{"key": t["Key"], "value": t["Value"]} for t in self.tags],
            },
            lambda r: {"policy": {"policyName": name, "arn": r["Policy"]["Arn"]}},
        )["Policy"]["Arn"]
        self.call(
            "iam-policy-changes",
            IAM,
            "CreatePolicyVersion",
            lambda: iam.create_policy_version(
                PolicyArn=arn, PolicyDocument=document, SetAsDefault=True
            ),
            {"policyArn": arn, "policyDocument": document, "setAsDefault": True},
            lambda r: {"policyVersion": {"versionId": r["PolicyVersion"]["VersionId"]}},
        )
        self.call(
            "iam-policy-changes",
            IAM,
            "DeletePolicyVersion",
            lambda: iam.delete_policy_version(PolicyArn=arn, VersionId="v1"),
            {"policyArn": arn, "versionId": "v1"},
        )
        self.call(
            "iam-policy-changes",
            IAM,
            "DeletePolicy",
            lambda: _delete_policy(iam, arn),
            {"policyArn": arn},
        )

    def trail(self, trail: Mapping[str, Any]) -> None:
        """UpdateTrail with the trail's own setting: an event, and no change."""
        cloudtrail = self.client("cloudtrail")
        include = bool(trail.get("IncludeGlobalServiceEvents", True))
        self.call(
            "cloudtrail-changes",
            CLOUDTRAIL,
            "UpdateTrail",
            lambda: cloudtrail.update_trail(
                Name=trail["TrailARN"], IncludeGlobalServiceEvents=include
            ),
            {"name": trail["TrailARN"], "includeGlobalServiceEvents": include},
            lambda r: {"name": r.get("Name"), "trailARN": r.get("TrailARN")},
        )

    def sweep(self) -> int:
        """Delete every resource an earlier drill of this target left; how many there were."""
        return self._sweep_network() + self._sweep_buckets() + self._sweep_policies()

    def _sweep_network(self) -> int:
        ec2 = self.client("ec2")
        tagged = [{"Name": f"tag:{DRILL_TAG}", "Values": [self.target.name]}]
        removed = 0
        for gateway in ec2.describe_internet_gateways(Filters=tagged)["InternetGateways"]:
            for attachment in gateway.get("Attachments", []):
                ec2.detach_internet_gateway(
                    InternetGatewayId=gateway["InternetGatewayId"], VpcId=attachment["VpcId"]
                )
            ec2.delete_internet_gateway(InternetGatewayId=gateway["InternetGatewayId"])
            removed += 1
        for vpc in ec2.describe_vpcs(Filters=tagged)["Vpcs"]:
            in_vpc = [{"Name": "vpc-id", "Values": [vpc["VpcId"]]}]
            for table in ec2.describe_route_tables(Filters=in_vpc)["RouteTables"]:
                if not any(a.get("Main") for a in table.get("Associations", [])):
                    ec2.delete_route_table(RouteTableId=table["RouteTableId"])
                    removed += 1
            for acl in ec2.describe_network_acls(Filters=in_vpc)["NetworkAcls"]:
                if not acl.get("IsDefault"):
                    ec2.delete_network_acl(NetworkAclId=acl["NetworkAclId"])
                    removed += 1
            for group in ec2.describe_security_groups(Filters=in_vpc)["SecurityGroups"]:
                if group.get("GroupName") != "default":
                    ec2.delete_security_group(GroupId=group["GroupId"])
                    removed += 1
            for subnet in ec2.describe_subnets(Filters=in_vpc)["Subnets"]:
                ec2.delete_subnet(SubnetId=subnet["SubnetId"])
                removed += 1
            ec2.delete_vpc(VpcId=vpc["VpcId"])
            removed += 1
        return removed

    def _sweep_buckets(self) -> int:
        s3 = self.client("s3")
        removed = 0
        for bucket in s3.list_buckets().get("Buckets", []):
            match = BUCKET_NAME.match(bucket["Name"])
            if not match or match["target"] != self.target.name:
                continue
            s3.delete_bucket_policy(Bucket=bucket["Name"])
            s3.delete_bucket(Bucket=bucket["Name"])
            removed += 1
        return removed

    def _sweep_policies(self) -> int:
        iam = self.client("iam")
        name = f"{DRILL_TAG}-{self.target.name}"
        removed = 0
        policies = iam.list_policies(Scope="Local", PathPrefix=IAM_PATH)["Policies"]
        for policy in policies:
            if policy["PolicyName"] == name:
                _delete_policy(iam, policy["Arn"])
                removed += 1
        return removed


def _delete_policy(iam: Any, arn: str) -> Any:
    """Delete a managed policy: its other versions first, as IAM requires."""
    for version in iam.list_policy_versions(PolicyArn=arn)["Versions"]:
        if not version["IsDefaultVersion"]:
            iam.delete_policy_version(PolicyArn=arn, VersionId=version["VersionId"])
    return iam.delete_policy(PolicyArn=arn)


def drill_target(
    deployment: Deployment,
    target: Target,
    clients: AwsClients,
) -> TargetDrill:
    """Drill one deployed target; raises DrillError when it cannot (the clean-up still runs)."""
    from botocore.exceptions import BotoCoreError, ClientError

    log_group = deployment.log_group_name(target)
    try:
        identity = _identity(target, clients)
        filters = _deployed_filters(target, clients, log_group)
        trail = _trail(clients, log_group) if deployment.creates_trail(target) else None
        exercise = _Exercise(deployment, target, clients, identity)
        leftovers = exercise.sweep()
    except (BotoCoreError, ClientError) as err:
        raise DrillError(f"drill {target.name}: {err}") from None
    try:
        exercise.network()
        exercise.bucket()
        exercise.iam_policy()
        if trail is not None:
            exercise.trail(trail)
    except (BotoCoreError, ClientError) as err:
        cleanup = "cleaned up what it made"
        try:
            exercise.sweep()
        except (BotoCoreError, ClientError) as sweep_err:
            cleanup = f"clean-up failed too ({sweep_err}); the next drill retries it"
        raise DrillError(f"drill {target.name}: {exercise.step} failed: {err}; {cleanup}") from None
    results = _evaluate(deployment, target, exercise.calls, filters)
    skipped = _not_drillable(deployment, target, trail, log_group)
    return TargetDrill(
        target=target.name,
        region=target.region,
        account=identity.account,
        log_group=log_group,
        results=results,
        not_drillable=skipped,
        leftovers_removed=leftovers,
        records=tuple(c.record for c in exercise.calls),
    )


def _identity(target: Target, clients: AwsClients) -> Identity:
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


def _deployed_filters(
    target: Target, clients: AwsClients, log_group: str
) -> dict[tuple[str, str], tuple[str, str]]:
    """(namespace, metric) -> (filter name, pattern), as deployed in the log group."""
    logs = clients("logs")
    groups = logs.describe_log_groups(logGroupNamePrefix=log_group)["logGroups"]
    if not any(g["logGroupName"] == log_group for g in groups):
        raise DrillError(
            f"drill {target.name}: log group {log_group} does not exist in {target.region}: "
            "deploy the target first (make demo, or cdktf deploy)"
        )
    found: dict[tuple[str, str], tuple[str, str]] = {}
    for page in logs.get_paginator("describe_metric_filters").paginate(logGroupName=log_group):
        for metric_filter in page["metricFilters"]:
            for transformation in metric_filter.get("metricTransformations", []):
                key = (transformation["metricNamespace"], transformation["metricName"])
                found[key] = (metric_filter["filterName"], metric_filter.get("filterPattern", ""))
    return found


def _trail(clients: AwsClients, log_group: str) -> dict[str, Any] | None:
    """The trail (homed in this region) that delivers to the log group."""
    trails = clients("cloudtrail").describe_trails(includeShadowTrails=False)["trailList"]
    for trail in trails:
        if f":log-group:{log_group}:" in (trail.get("CloudWatchLogsLogGroupArn") or ""):
            return dict(trail)
    return None


def _evaluate(
    deployment: Deployment,
    target: Target,
    calls: Iterable[Call],
    filters: Mapping[tuple[str, str], tuple[str, str]],
) -> tuple[CallResult, ...]:
    from trailwatch.patterns import PatternSyntaxError, compile_pattern

    enabled = {alarm.id: alarm for alarm in deployment.alarms}
    namespace = deployment.config.namespace
    global_note = ""
    settings = target.trail
    if (
        isinstance(settings, CreateTrail)
        and not settings.multi_region
        and target.region != "us-east-1"
    ):
        global_note = (
            "IAM is global: on AWS its events reach a single-region trail only in us-east-1"
        )
    results = []
    for call in calls:
        alarm = enabled.get(call.event_id or "")
        if alarm is None:
            continue  # set-up, or an event the config disables
        deployed = filters.get((namespace, alarm.metric_name))
        if deployed is None:
            results.append(
                CallResult(
                    alarm.id,
                    call.label,
                    None,
                    False,
                    f"no filter in the log group produces {namespace}/{alarm.metric_name}",
                )
            )
            continue
        name, pattern = deployed
        try:
            matched = compile_pattern(pattern).matches(call.record)
            note = global_note if call.source == IAM else ""
        except PatternSyntaxError as err:
            matched, note = False, f"the deployed pattern does not parse: {err}"
        results.append(CallResult(alarm.id, call.label, name, matched, note))
    return tuple(results)


def _not_drillable(
    deployment: Deployment,
    target: Target,
    trail: Mapping[str, Any] | None,
    log_group: str,
) -> tuple[NotDrillable, ...]:
    drillable = {
        "vpc-changes",
        "security-group-changes",
        "nacl-changes",
        "route-table-changes",
        "network-gateway-changes",
        "s3-bucket-activity",
        "iam-policy-changes",
    }
    if trail is not None:
        drillable.add("cloudtrail-changes")
    skipped = []
    for alarm in deployment.alarms:
        if alarm.id in drillable:
            continue
        if alarm.id == "cloudtrail-changes":
            reason = (
                "the trail is not trailwatch's (trail: existing): the drill updates only "
                "a trail it created"
                if not deployment.creates_trail(target)
                else f"no trail in {target.region} delivers to {log_group}"
            )
        else:
            reason = NOT_DRILLABLE.get(alarm.id, ("trailwatch knows no safe call for it", None))[0]
        skipped.append(NotDrillable(alarm.id, reason, replay_command(alarm.id)))
    return tuple(skipped)


# --- waiting for the real alarms ----------------------------------------------------------


def wait_for_alarms(
    deployment: Deployment,
    drills: Iterable[TargetDrill],
    clients_for: Callable[[Target], Callable[[str], Any]],
    *,
    timeout: float,
    interval: float = 30.0,
    sleep: Callable[[float], None] = time.sleep,
) -> tuple[TargetDrill, ...]:
    """Poll the drilled events' alarms until all are in ALARM or the timeout passes."""
    from botocore.exceptions import BotoCoreError, ClientError

    try:
        return _wait(
            deployment, drills, clients_for, timeout=timeout, interval=interval, sleep=sleep
        )
    except (BotoCoreError, ClientError) as err:
        raise DrillError(f"drill --wait: {err}") from None


def _wait(
    deployment: Deployment,
    drills: Iterable[TargetDrill],
    clients_for: Callable[[Target], Callable[[str], Any]],
    *,
    timeout: float,
    interval: float,
    sleep: Callable[[float], None],
) -> tuple[TargetDrill, ...]:
    targets = {t.name: t for t in deployment.targets}
    namespace = deployment.config.namespace
    watched: list[tuple[TargetDrill, Any, dict[str, str]]] = []
    for drill in drills:
        cloudwatch = clients_for(targets[drill.target])("cloudwatch")
        names: dict[str, str] = {}
        for event_id in dict.fromkeys(r.event_id for r in drill.results if r.matched):
            metric = deployment.alarm(event_id).metric_name
            for alarm in cloudwatch.describe_alarms_for_metric(
                MetricName=metric, Namespace=namespace
            )["MetricAlarms"]:
                names[alarm["AlarmName"]] = event_id
        watched.append((drill, cloudwatch, names))
    deadline = time.monotonic() + timeout
    while True:
        states = [_alarm_states(cloudwatch, names) for _drill, cloudwatch, names in watched]
        done = all(s.state == "ALARM" for group in states for s in group)
        if done or time.monotonic() >= deadline:
            return tuple(
                replace(drill, alarms=group)
                for (drill, _cw, _names), group in zip(watched, states, strict=True)
            )
        sleep(min(interval, max(0.0, deadline - time.monotonic())))


def _alarm_states(cloudwatch: Any, names: Mapping[str, str]) -> tuple[AlarmState, ...]:
    states = []
    listed = sorted(names)
    for start in range(0, len(listed), 100):
        chunk = listed[start : start + 100]
        for alarm in cloudwatch.describe_alarms(AlarmNames=chunk)["MetricAlarms"]:
            states.append(
                AlarmState(names[alarm["AlarmName"]], alarm["AlarmName"], alarm["StateValue"])
            )
    return tuple(sorted(states, key=lambda s: (s.event_id, s.alarm_name)))
