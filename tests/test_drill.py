"""`trailwatch drill` against the deployed emulator: calls, records, deployed filters, clean-up."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pytest
import yaml

from tests.conftest import default_config
from trailwatch.drill.exercises import (
    BUCKET_NAME,
    DRILL_TAG,
    IAM_PATH,
    AlarmState,
    AwsClients,
    CallResult,
    DrillError,
    TargetDrill,
    _Exercise,
    drill_target,
    wait_for_alarms,
)
from trailwatch.patterns import compile_many

if TYPE_CHECKING:
    from tests.emulator_fixtures import Lab

pytest_plugins = ["tests.emulator_fixtures"]

DRILLED = {
    "vpc-changes",
    "security-group-changes",
    "nacl-changes",
    "route-table-changes",
    "network-gateway-changes",
    "s3-bucket-activity",
    "iam-policy-changes",
    "cloudtrail-changes",
}
# The lab's own test section, call by call.
LAB_CALLS = {
    "ec2:AuthorizeSecurityGroupIngress",
    "ec2:RevokeSecurityGroupIngress",
    "ec2:CreateNetworkAclEntry",
    "ec2:DeleteNetworkAclEntry",
    "ec2:CreateInternetGateway",
    "ec2:AttachInternetGateway",
    "ec2:DetachInternetGateway",
    "ec2:DeleteInternetGateway",
    "ec2:ModifyVpcAttribute",
    "s3:PutBucketPolicy",
    "s3:DeleteBucketPolicy",
    "iam:CreatePolicyVersion",
    "iam:DeletePolicyVersion",
    "cloudtrail:UpdateTrail",
}


def leftovers(lab: Lab, region: str, target: str) -> list[str]:
    """Everything of a drill of `target` that still exists."""
    ec2 = lab.client("ec2", region)
    tagged = [{"Name": f"tag:{DRILL_TAG}", "Values": [target]}]
    found = [v["VpcId"] for v in ec2.describe_vpcs(Filters=tagged)["Vpcs"]]
    found += [
        g["InternetGatewayId"]
        for g in ec2.describe_internet_gateways(Filters=tagged)["InternetGateways"]
    ]
    found += [s["SubnetId"] for s in ec2.describe_subnets(Filters=tagged)["Subnets"]]
    found += [
        b["Name"]
        for b in lab.client("s3", region).list_buckets()["Buckets"]
        if BUCKET_NAME.match(b["Name"])
    ]
    found += [
        p["PolicyName"]
        for p in lab.client("iam", region).list_policies(Scope="Local", PathPrefix=IAM_PATH)[
            "Policies"
        ]
    ]
    return found


def test_drill_matches_every_drillable_event_on_every_target(lab: Lab) -> None:
    code, out, err = lab.cli(["drill", "--json"])
    assert code == 0, err
    report = json.loads(out)
    assert report["ok"] is True and report["endpoint_url"] == lab.endpoint_url
    assert [t["target"] for t in report["targets"]] == ["primary", "eu"]
    for target in report["targets"]:
        results = target["results"]
        assert {r["event_id"] for r in results} == DRILLED
        assert all(r["matched"] for r in results), results
        assert {r["call"] for r in results} >= LAB_CALLS
        # Matched against the filter read back from the log group.
        assert {r["filter_name"] for r in results if r["event_id"] == "vpc-changes"} == {
            "VpcEventCount"
        }
        skipped = {s["event_id"]: s for s in target["not_drillable"]}
        assert sorted(skipped) == sorted(
            [
                "authorization-failures",
                "aws-config-changes",
                "console-signin-failures",
                "console-signin-without-mfa",
                "ec2-instance-changes",
                "ec2-large-instance-changes",
                "kms-key-disable-or-deletion",
                "organizations-changes",
                "root-account-usage",
            ]
        )
        assert all("trailwatch replay" in s["replay"] for s in skipped.values())
        assert "AttributeValue=ConsoleLogin" in skipped["console-signin-failures"]["replay"]
    for region, target in (("us-east-1", "primary"), ("eu-west-1", "eu")):
        assert leftovers(lab, region, target) == []


def test_drill_records_are_what_cloudtrail_writes_and_fire_only_their_event(
    lab: Lab, shared_samples_dir: Path
) -> None:
    deployment = lab.deployment()
    target = lab.target("primary")
    drill = drill_target(deployment, target, AwsClients(target, lab.endpoint_url))
    samples: dict[str, dict[str, Any]] = {}
    for path in sorted(shared_samples_dir.glob("*.jsonl")):
        for line in path.read_text().splitlines():
            record = json.loads(line)
            if isinstance(record.get("requestParameters"), dict):
                samples.setdefault(record["eventName"], record)
    catalog = compile_many({a.id: a.pattern for a in deployment.alarms})
    compared = 0
    for record in drill.records:
        assert record["userIdentity"]["type"] == "IAMUser"  # moto's caller
        assert record["recipientAccountId"] == "123456789012"
        sample = samples.get(record["eventName"])
        if sample is not None:
            compared += 1
            assert record["eventSource"] == sample["eventSource"]
            assert set(sample["requestParameters"]) <= set(record["requestParameters"])
        fired = catalog(record)
        expected = {r.event_id for r in drill.results if r.call.endswith(":" + record["eventName"])}
        assert set(fired) == expected, (record["eventName"], fired)
    # AuthorizeSecurityGroupIngress, CreateNetworkAclEntry, AttachInternetGateway,
    # PutBucketPolicy, UpdateTrail and others have real samples to compare with.
    assert compared >= 5


@pytest.fixture
def broken_filter(lab: Lab) -> Iterator[str]:
    """The eu security-group filter, edited through boto3 so that it matches nothing."""
    deployment = lab.deployment()
    alarm = deployment.alarm("security-group-changes")
    logs = lab.client("logs", "eu-west-1")
    group = deployment.log_group_name(lab.target("eu"))
    (original,) = logs.describe_metric_filters(
        logGroupName=group, filterNamePrefix=alarm.metric_name
    )["metricFilters"]

    def put(pattern: str) -> None:
        logs.put_metric_filter(
            logGroupName=group,
            filterName=original["filterName"],
            filterPattern=pattern,
            metricTransformations=original["metricTransformations"],
        )

    put('{ $.eventName = "NothingLikeThis" }')
    try:
        yield alarm.id
    finally:
        put(original["filterPattern"])


def test_drill_fails_when_the_deployed_filter_does_not_match(lab: Lab, broken_filter: str) -> None:
    code, out, _err = lab.cli(["drill", "--json", "--target", "eu"])
    assert code == 1
    (target,) = json.loads(out)["targets"]
    unmatched = {r["event_id"] for r in target["results"] if not r["matched"]}
    assert unmatched == {broken_filter}
    code, out, _err = lab.cli(["drill", "--target", "eu"], COLUMNS="200")
    assert code == 1 and "drill failed" in out


def test_an_interrupted_drill_cleans_up_and_the_next_removes_leftovers(
    lab: Lab, monkeypatch: pytest.MonkeyPatch
) -> None:
    from botocore.exceptions import ClientError  # type: ignore[import-untyped]

    deployment = lab.deployment()
    target = lab.target("eu")
    clients = AwsClients(target, lab.endpoint_url)

    def attach_then_fail(self: _Exercise, ec2: Any, vpc: str) -> None:
        gateway = ec2.create_internet_gateway(
            TagSpecifications=[{"ResourceType": "internet-gateway", "Tags": self.tags}]
        )
        ec2.attach_internet_gateway(
            InternetGatewayId=gateway["InternetGateway"]["InternetGatewayId"], VpcId=vpc
        )
        raise ClientError(
            {"Error": {"Code": "Injected", "Message": "injected failure"}}, "AttachInternetGateway"
        )

    with monkeypatch.context() as patch:
        patch.setattr(_Exercise, "_internet_gateway", attach_then_fail)
        with pytest.raises(DrillError, match="injected failure; cleaned up what it made"):
            drill_target(deployment, target, clients)
    assert leftovers(lab, "eu-west-1", "eu") == []

    # What a killed drill would leave: tagged network, a bucket, a policy.
    ec2, tags = clients("ec2"), [{"Key": DRILL_TAG, "Value": "eu"}]
    vpc = ec2.create_vpc(
        CidrBlock="10.255.0.0/16", TagSpecifications=[{"ResourceType": "vpc", "Tags": tags}]
    )["Vpc"]["VpcId"]
    ec2.create_subnet(VpcId=vpc, CidrBlock="10.255.0.0/24")
    ec2.create_internet_gateway(
        TagSpecifications=[{"ResourceType": "internet-gateway", "Tags": tags}]
    )
    clients("s3").create_bucket(
        Bucket=f"{DRILL_TAG}-0123abcd-eu",
        CreateBucketConfiguration={"LocationConstraint": "eu-west-1"},
    )
    document = {
        "Version": "2012-10-17",
        "Statement": [
            {"Effect": "Deny", "Action": "s3:GetObject", "Resource": "arn:aws:s3:::nothing/*"}
        ],
    }
    clients("iam").create_policy(
        PolicyName=f"{DRILL_TAG}-eu", Path=IAM_PATH, PolicyDocument=json.dumps(document)
    )
    drill = drill_target(deployment, target, clients)
    assert drill.leftovers_removed == 5  # VPC, its subnet, gateway, bucket, policy
    assert drill.ok
    assert leftovers(lab, "eu-west-1", "eu") == []


def test_drill_refuses_an_account_other_than_the_targets(lab: Lab, tmp_path: Path) -> None:
    config = default_config()
    config["targets"][0]["account_id"] = "210987654321"
    path = tmp_path / "trailwatch.yaml"
    path.write_text(yaml.safe_dump(config))
    code, _out, err = lab.cli(["drill", "--config", str(path), "--target", "primary"])
    assert code == 2
    assert "account 123456789012, the target is 210987654321: refusing" in err
    assert leftovers(lab, "us-east-1", "primary") == []


def test_drill_wait_reports_the_drilled_alarms_states(lab: Lab) -> None:
    # moto never evaluates alarms: this only shows --wait asks for the right ones.
    code, out, _err = lab.cli(
        ["drill", "--json", "--target", "eu", "--wait", "--wait-timeout", "0"]
    )
    (target,) = json.loads(out)["targets"]
    assert all(r["matched"] for r in target["results"])
    assert {a["event_id"] for a in target["alarms"]} == DRILLED
    assert all(a["state"] != "ALARM" for a in target["alarms"])
    assert code == 1  # with --wait, an alarm that never fired is a failure


class FakeCloudWatch:
    """Alarms that reach ALARM on the third look."""

    def __init__(self) -> None:
        self.looks = 0

    def describe_alarms_for_metric(self, MetricName: str, Namespace: str) -> dict[str, Any]:
        return {"MetricAlarms": [{"AlarmName": f"alarm-{MetricName}"}]}

    def describe_alarms(self, AlarmNames: list[str]) -> dict[str, Any]:
        self.looks += 1
        state = "ALARM" if self.looks >= 3 else "OK"
        return {"MetricAlarms": [{"AlarmName": n, "StateValue": state} for n in AlarmNames]}


def test_wait_polls_until_every_drilled_alarm_is_in_alarm(tmp_path: Path) -> None:
    from trailwatch.spec.config import Environment
    from trailwatch.spec.model import load_deployment

    config = tmp_path / "trailwatch.yaml"
    config.write_text(yaml.safe_dump(default_config()))
    deployment = load_deployment(config, Environment(config_path=config, outdir=tmp_path))
    drill = TargetDrill(
        target="primary",
        region="us-east-1",
        account="123456789012",
        log_group="g",
        results=(CallResult("vpc-changes", "ec2:CreateVpc", "VpcEventCount", True),),
        not_drillable=(),
        leftovers_removed=0,
    )
    cloudwatch, slept = FakeCloudWatch(), list[float]()
    (waited,) = wait_for_alarms(
        deployment,
        [drill],
        lambda _target: lambda _service: cloudwatch,
        timeout=600,
        interval=30,
        sleep=slept.append,
    )
    assert waited.alarms == (AlarmState("vpc-changes", "alarm-VpcEventCount", "ALARM"),)
    assert slept == [30, 30]


@pytest.mark.parametrize(
    ("arn", "kind", "name"),
    [
        ("arn:aws:iam::111122223333:user/alice", "IAMUser", "alice"),
        ("arn:aws:sts::111122223333:assumed-role/Admin/alice", "AssumedRole", "Admin"),
        ("arn:aws:iam::111122223333:root", "Root", None),
    ],
)
def test_the_records_user_identity_follows_the_callers_arn(
    arn: str, kind: str, name: str | None
) -> None:
    from trailwatch.drill.exercises import Identity

    identity = Identity(arn, "111122223333", "AIDAEXAMPLE:alice", "AKIAEXAMPLE")
    record = identity.user_identity("2026-01-01T00:00:00Z")
    assert record["type"] == kind and record["arn"] == arn
    assert record["accountId"] == "111122223333" and record["accessKeyId"] == "AKIAEXAMPLE"
    if kind == "IAMUser":
        assert record["userName"] == name
    if kind == "AssumedRole":
        issuer = record["sessionContext"]["sessionIssuer"]
        assert issuer == {
            "type": "Role",
            "principalId": "AIDAEXAMPLE",
            "arn": "arn:aws:iam::111122223333:role/Admin",
            "accountId": "111122223333",
            "userName": "Admin",
        }
