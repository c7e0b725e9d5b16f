"""Remove what earlier drills of a target left behind: a killed run, or a failed clean-up.

Leftovers are found the way the exercises make them: network resources by the
`trailwatch-drill` tag (value: the target), buckets by their name pattern, the IAM policy by
its path and name. Nothing else is touched.
"""

from __future__ import annotations

from typing import Any

from trailwatch.drill.exercises import BUCKET_NAME, DRILL_TAG, IAM_PATH, delete_policy, drill_name
from trailwatch.inventory.aws import ClientFactory
from trailwatch.spec.targets import Target


def sweep(target: Target, client: ClientFactory) -> int:
    """Delete every resource an earlier drill of this target left; how many there were."""
    return (
        _sweep_network(target, client("ec2"))
        + _sweep_buckets(target, client("s3"))
        + _sweep_policies(target, client("iam"))
    )


def _sweep_network(target: Target, ec2: Any) -> int:
    tagged = [{"Name": f"tag:{DRILL_TAG}", "Values": [target.name]}]
    removed = 0
    for gateway in ec2.describe_internet_gateways(Filters=tagged)["InternetGateways"]:
        for attachment in gateway.get("Attachments", []):
            ec2.detach_internet_gateway(
                InternetGatewayId=gateway["InternetGatewayId"], VpcId=attachment["VpcId"]
            )
        ec2.delete_internet_gateway(InternetGatewayId=gateway["InternetGatewayId"])
        removed += 1
    for vpc in ec2.describe_vpcs(Filters=tagged)["Vpcs"]:
        removed += _sweep_vpc(ec2, vpc["VpcId"])
    return removed


def _sweep_vpc(ec2: Any, vpc: str) -> int:
    """Delete a VPC and what is in it (not its main route table, default ACL and group)."""
    in_vpc = [{"Name": "vpc-id", "Values": [vpc]}]
    removed = 0
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
    ec2.delete_vpc(VpcId=vpc)
    return removed + 1


def _sweep_buckets(target: Target, s3: Any) -> int:
    removed = 0
    for bucket in s3.list_buckets().get("Buckets", []):
        match = BUCKET_NAME.match(bucket["Name"])
        if not match or match["target"] != target.name:
            continue
        s3.delete_bucket_policy(Bucket=bucket["Name"])
        s3.delete_bucket(Bucket=bucket["Name"])
        removed += 1
    return removed


def _sweep_policies(target: Target, iam: Any) -> int:
    name = drill_name(target)
    removed = 0
    for policy in iam.list_policies(Scope="Local", PathPrefix=IAM_PATH)["Policies"]:
        if policy["PolicyName"] == name:
            delete_policy(iam, policy["Arn"])
            removed += 1
    return removed
