"""The drill's safe API calls, one exercise per area: network, bucket, IAM policy, trail.

Each exercise creates throw-away resources tagged `trailwatch-drill` (value: the target), makes
the calls of the lab's test section on them through a `Recorder`, and deletes what it made.
Rules and policies let nothing in or out and allow nothing; nothing costs money. An event file
names the area that produces its event (`drill: {exercise: network}`); `EXERCISES` maps those
names to the classes here, and `sweep` removes what an interrupted exercise left.
"""

from __future__ import annotations

import json
import re
import uuid
from collections.abc import Callable, Mapping
from typing import Any, ClassVar

from trailwatch.drill.records import (
    CLOUDTRAIL,
    EC2,
    IAM,
    S3,
    Recorder,
    Response,
    no_response,
    recorded_tags,
    returns_true,
    tag_specification,
)
from trailwatch.inventory.aws import ClientFactory
from trailwatch.inventory.model import Trail
from trailwatch.spec.catalog import DrillExercise
from trailwatch.spec.targets import Target

DRILL_TAG = "trailwatch-drill"
IAM_PATH = "/trailwatch-drill/"
BUCKET_NAME = re.compile(r"^trailwatch-drill-[0-9a-f]{8}-(?P<target>[a-z0-9-]+)$")
# Documentation ranges (RFC 5737 / 1918): rules that let nothing real in or out.
VPC_CIDR = "10.255.0.0/16"
SUBNET_CIDR = "10.255.0.0/24"
RULE_CIDR = "192.0.2.0/24"


def drill_name(target: Target) -> str:
    """The name of the drill's security group and IAM policy on a target."""
    return f"{DRILL_TAG}-{target.name}"


def delete_policy(iam: Any, arn: str) -> Any:
    """Delete a managed policy: its other versions first, as IAM requires."""
    for version in iam.list_policy_versions(PolicyArn=arn)["Versions"]:
        if not version["IsDefaultVersion"]:
            iam.delete_policy_version(PolicyArn=arn, VersionId=version["VersionId"])
    return iam.delete_policy(PolicyArn=arn)


class Exercise:
    """One area's calls on one target; `run` makes them and deletes what they made."""

    name: ClassVar[DrillExercise]

    def __init__(self, recorder: Recorder, target: Target, client: ClientFactory) -> None:
        self.recorder = recorder
        self.target = target
        self.client = client
        self.tags = [{"Key": DRILL_TAG, "Value": target.name}]

    def call(
        self,
        source: str,
        name: str,
        perform: Callable[[], Any],
        params: Mapping[str, Any] | None,
        response: Response = no_response,
    ) -> Any:
        return self.recorder.call(self.name, source, name, perform, params, response)

    def run(self) -> None:
        raise NotImplementedError


class NetworkExercise(Exercise):
    """VPC, subnet, security group rule, NACL entry, route table and gateway calls."""

    name = "network"

    def run(self) -> None:
        ec2 = self.client("ec2")
        spec, recorded = tag_specification("vpc", self.tags)
        vpc = self.call(
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
        spec, recorded = tag_specification("subnet", self.tags)
        subnet = self.call(
            EC2,
            "CreateSubnet",
            lambda: ec2.create_subnet(VpcId=vpc, CidrBlock=SUBNET_CIDR, TagSpecifications=spec),
            {"vpcId": vpc, "cidrBlock": SUBNET_CIDR, "tagSpecificationSet": recorded},
        )["Subnet"]["SubnetId"]
        self.call(
            EC2,
            "ModifyVpcAttribute",
            lambda: ec2.modify_vpc_attribute(VpcId=vpc, EnableDnsHostnames={"Value": True}),
            {"vpcId": vpc, "enableDnsHostnames": {"value": True}},
            returns_true,
        )
        self._security_group(ec2, vpc)
        self._network_acl(ec2, vpc)
        self._route_table(ec2, vpc)
        self._internet_gateway(ec2, vpc)
        subnet_id = {"subnetId": subnet}
        self.call(
            EC2, "DeleteSubnet", lambda: ec2.delete_subnet(SubnetId=subnet), subnet_id, returns_true
        )
        self.call(EC2, "DeleteVpc", lambda: ec2.delete_vpc(VpcId=vpc), {"vpcId": vpc}, returns_true)

    def _security_group(self, ec2: Any, vpc: str) -> None:
        spec, recorded = tag_specification("security-group", self.tags)
        name = drill_name(self.target)
        group = self.call(
            EC2,
            "CreateSecurityGroup",
            lambda: ec2.create_security_group(
                GroupName=name, Description="trailwatch drill", VpcId=vpc, TagSpecifications=spec
            ),
            {
                "groupName": name,
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
        rule = {
            "ipProtocol": "tcp",
            "fromPort": 443,
            "toPort": 443,
            "groups": {},
            "ipRanges": {"items": [{"cidrIp": RULE_CIDR, "description": "trailwatch drill"}]},
            "ipv6Ranges": {},
            "prefixListIds": {},
        }
        recorded_rule = {"groupId": group, "ipPermissions": {"items": [rule]}}
        self.call(
            EC2,
            "AuthorizeSecurityGroupIngress",
            lambda: ec2.authorize_security_group_ingress(GroupId=group, IpPermissions=permission),
            recorded_rule,
            returns_true,
        )
        self.call(
            EC2,
            "RevokeSecurityGroupIngress",
            lambda: ec2.revoke_security_group_ingress(GroupId=group, IpPermissions=permission),
            recorded_rule,
            returns_true,
        )
        self.call(
            EC2,
            "DeleteSecurityGroup",
            lambda: ec2.delete_security_group(GroupId=group),
            {"groupId": group},
            returns_true,
        )

    def _network_acl(self, ec2: Any, vpc: str) -> None:
        spec, recorded = tag_specification("network-acl", self.tags)
        acl = self.call(
            EC2,
            "CreateNetworkAcl",
            lambda: ec2.create_network_acl(VpcId=vpc, TagSpecifications=spec),
            {"vpcId": vpc, "tagSpecificationSet": recorded},
            lambda r: {"networkAcl": {"networkAclId": r["NetworkAcl"]["NetworkAclId"]}},
        )["NetworkAcl"]["NetworkAclId"]
        entry = {"NetworkAclId": acl, "RuleNumber": 100, "Egress": False}
        recorded_entry = {"networkAclId": acl, "ruleNumber": 100, "egress": False}
        self.call(
            EC2,
            "CreateNetworkAclEntry",
            lambda: ec2.create_network_acl_entry(
                **entry,
                Protocol="6",
                RuleAction="deny",
                CidrBlock=RULE_CIDR,
                PortRange={"From": 22, "To": 22},
            ),
            {
                **recorded_entry,
                "ruleAction": "deny",
                "icmpTypeCode": {},
                "aclProtocol": "6",
                "portRange": {"from": 22, "to": 22},
                "cidrBlock": RULE_CIDR,
            },
            returns_true,
        )
        self.call(
            EC2,
            "DeleteNetworkAclEntry",
            lambda: ec2.delete_network_acl_entry(**entry),
            recorded_entry,
            returns_true,
        )
        self.call(
            EC2,
            "DeleteNetworkAcl",
            lambda: ec2.delete_network_acl(NetworkAclId=acl),
            {"networkAclId": acl},
            returns_true,
        )

    def _route_table(self, ec2: Any, vpc: str) -> None:
        spec, recorded = tag_specification("route-table", self.tags)
        table = self.call(
            EC2,
            "CreateRouteTable",
            lambda: ec2.create_route_table(VpcId=vpc, TagSpecifications=spec),
            {"vpcId": vpc, "tagSpecificationSet": recorded},
            lambda r: {"routeTable": {"routeTableId": r["RouteTable"]["RouteTableId"]}},
        )["RouteTable"]["RouteTableId"]
        self.call(
            EC2,
            "DeleteRouteTable",
            lambda: ec2.delete_route_table(RouteTableId=table),
            {"routeTableId": table},
            returns_true,
        )

    def _internet_gateway(self, ec2: Any, vpc: str) -> None:
        spec, recorded = tag_specification("internet-gateway", self.tags)
        gateway = self.call(
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
            EC2,
            "AttachInternetGateway",
            lambda: ec2.attach_internet_gateway(InternetGatewayId=gateway, VpcId=vpc),
            ids,
            returns_true,
        )
        self.call(
            EC2,
            "DetachInternetGateway",
            lambda: ec2.detach_internet_gateway(InternetGatewayId=gateway, VpcId=vpc),
            ids,
            returns_true,
        )
        self.call(
            EC2,
            "DeleteInternetGateway",
            lambda: ec2.delete_internet_gateway(InternetGatewayId=gateway),
            {"internetGatewayId": gateway},
            returns_true,
        )


class BucketExercise(Exercise):
    """A bucket whose policy is put and deleted."""

    name = "bucket"

    def run(self) -> None:
        s3 = self.client("s3")
        region = self.target.region
        name = f"{DRILL_TAG}-{uuid.uuid4().hex[:8]}-{self.target.name}"
        host = [f"s3.{region}.amazonaws.com"]
        where = (
            {}
            if region == "us-east-1"
            else {"CreateBucketConfiguration": {"LocationConstraint": region}}
        )
        bucket = {"bucketName": name, "host": host}
        self.call(S3, "CreateBucket", lambda: s3.create_bucket(Bucket=name, **where), bucket)
        s3.put_bucket_tagging(Bucket=name, Tagging={"TagSet": self.tags})
        policy = _deny_insecure_transport(name)
        self.call(
            S3,
            "PutBucketPolicy",
            lambda: s3.put_bucket_policy(Bucket=name, Policy=json.dumps(policy)),
            {**bucket, "bucketPolicy": policy, "policy": [""]},
        )
        self.call(
            S3,
            "DeleteBucketPolicy",
            lambda: s3.delete_bucket_policy(Bucket=name),
            {**bucket, "policy": [""]},
        )
        self.call(S3, "DeleteBucket", lambda: s3.delete_bucket(Bucket=name), bucket)


def _deny_insecure_transport(bucket: str) -> dict[str, Any]:
    """A bucket policy that denies plain HTTP only: it grants nothing."""
    return {
        "Version": "2012-10-17",
        "Statement": [
            {
                "Sid": "TrailwatchDrillDenyInsecureTransport",
                "Effect": "Deny",
                "Principal": "*",
                "Action": "s3:*",
                "Resource": [f"arn:aws:s3:::{bucket}", f"arn:aws:s3:::{bucket}/*"],
                "Condition": {"Bool": {"aws:SecureTransport": "false"}},
            }
        ],
    }


class IamPolicyExercise(Exercise):
    """A customer managed policy that allows nothing, with a second version."""

    name = "iam-policy"

    def run(self) -> None:
        iam = self.client("iam")
        name = drill_name(self.target)
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
                "tags": recorded_tags(self.tags),
            },
            lambda r: {"policy": {"policyName": name, "arn": r["Policy"]["Arn"]}},
        )["Policy"]["Arn"]
        self.call(
            IAM,
            "CreatePolicyVersion",
            lambda: iam.create_policy_version(
                PolicyArn=arn, PolicyDocument=document, SetAsDefault=True
            ),
            {"policyArn": arn, "policyDocument": document, "setAsDefault": True},
            lambda r: {"policyVersion": {"versionId": r["PolicyVersion"]["VersionId"]}},
        )
        self.call(
            IAM,
            "DeletePolicyVersion",
            lambda: iam.delete_policy_version(PolicyArn=arn, VersionId="v1"),
            {"policyArn": arn, "versionId": "v1"},
        )
        self.call(IAM, "DeletePolicy", lambda: delete_policy(iam, arn), {"policyArn": arn})


class TrailExercise(Exercise):
    """UpdateTrail with the trail's own setting: an event, and no change."""

    name = "trail"

    def __init__(
        self, recorder: Recorder, target: Target, client: ClientFactory, trail: Trail
    ) -> None:
        super().__init__(recorder, target, client)
        self.trail = trail

    def run(self) -> None:
        cloudtrail = self.client("cloudtrail")
        include = self.trail.include_global_service_events is not False
        name = self.trail.arn or self.trail.name
        self.call(
            CLOUDTRAIL,
            "UpdateTrail",
            lambda: cloudtrail.update_trail(Name=name, IncludeGlobalServiceEvents=include),
            {"name": name, "includeGlobalServiceEvents": include},
            lambda r: {"name": r.get("Name"), "trailARN": r.get("TrailARN")},
        )


# Every area an event file may name (`DrillExercise`), in the order the drill runs them.
EXERCISES: dict[str, type[Exercise]] = {
    cls.name: cls for cls in (NetworkExercise, BucketExercise, IamPolicyExercise, TrailExercise)
}
