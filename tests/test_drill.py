"""`trailwatch drill` against the deployed emulator: calls, records, deployed filters, clean-up."""

from __future__ import annotations

import dataclasses
import json
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any, get_args

import pytest
import yaml

from tests.conftest import REPO, default_config
from trailwatch.drill import (
    BUCKET_NAME,
    DRILL_TAG,
    EXERCISES,
    IAM_PATH,
    AlarmState,
    AwsClients,
    CallResult,
    Identity,
    NotDrillable,
    TargetDrill,
    cloudtrail_record,
    drill_target,
    evaluate,
    not_drillable,
    wait_for_alarms,
)
from trailwatch.drill.exercises import NetworkExercise
from trailwatch.drill.records import Call
from trailwatch.errors import CatalogError, DrillError
from trailwatch.inventory.model import MetricFilter
from trailwatch.patterns import compile_many
from trailwatch.spec.catalog import DrillExercise, load_catalog
from trailwatch.spec.config import Environment
from trailwatch.spec.model import Deployment, load_deployment

if TYPE_CHECKING:
    from tests.emulator_lab import Lab


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

    def attach_then_fail(self: NetworkExercise, ec2: Any, vpc: str) -> None:
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
        patch.setattr(NetworkExercise, "_internet_gateway", attach_then_fail)
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


# --- the drill's knowledge in the event files ------------------------------------------------

EVENT_FILES = {
    data["id"]: data
    for data in (yaml.safe_load(p.read_text()) for p in sorted((REPO / "events").glob("*.yaml")))
}


def custom_event(event_id: str, pattern: str, **changes: Any) -> dict[str, Any]:
    words = "".join(part.title() for part in event_id.split("-"))
    event = {
        "id": event_id,
        "title": f"Custom {event_id}",
        "severity": "low",
        "description": "An event a user added.",
        "pattern": pattern,
        "metric_name": f"{words}Count",
        "alarm_name": f"Custom{words}",
        "alarm": {"threshold": 1},
    }
    return {**event, **changes}


def deployment_with(tmp_path: Path, *events: dict[str, Any]) -> Deployment:
    """The default config with these events added in a folder of their own."""
    extra = tmp_path / "my-events"
    extra.mkdir()
    for event in events:
        (extra / f"{event['id']}.yaml").write_text(yaml.safe_dump(event))
    config = {**default_config(), "event_directories": ["my-events"]}
    path = tmp_path / "trailwatch.yaml"
    path.write_text(yaml.safe_dump(config))
    return load_deployment(path, Environment(config_path=path, outdir=tmp_path / "out"))


@pytest.mark.parametrize(
    ("drill", "message"),
    [
        (
            {"exercise": "networking"},
            "drill.exercise: Input should be 'network', 'bucket', 'iam-policy' or 'trail' "
            "(got 'networking')",
        ),
        ({"drillable": False, "reason": "no call"}, "drill.drillable: unknown field"),
        ({"exercise": "network", "reason": "no call"}, "drill: give exactly one of exercise"),
        ({}, "drill: give exactly one of exercise"),
        (
            {"reason": "no call", "lookup": {"key": "Event", "value": "X"}},
            "drill.lookup.key: Input should be 'EventId', 'EventName'",
        ),
        (
            {"reason": "no call", "lookup": {"key": "EventName"}},
            "drill.lookup.value: Field required",
        ),
        ({"reason": ""}, "drill.reason: String should have at least 1 character"),
    ],
)
def test_a_bad_drill_field_is_one_clear_error_naming_file_and_field(
    tmp_path: Path, drill: dict[str, Any], message: str
) -> None:
    path = tmp_path / "custom.yaml"
    path.write_text(yaml.safe_dump(custom_event("custom-event", "{ $.x = 1 }", drill=drill)))
    with pytest.raises(CatalogError) as raised:
        load_catalog([tmp_path])
    text = str(raised.value)
    assert "\n" not in text and text.startswith(f"{path}: "), text
    assert message in text, text


def test_every_event_file_says_how_the_drill_tests_it() -> None:
    for event_id, data in EVENT_FILES.items():
        drill = data["drill"]
        assert ("exercise" in drill) != ("reason" in drill), event_id
    assert list(EXERCISES) == list(get_args(DrillExercise))


def test_the_not_drillable_list_comes_from_the_event_files(tmp_path: Path) -> None:
    import trailwatch.drill.run

    deployment = deployment_with(
        tmp_path,
        custom_event(
            "user-signin",
            '{ $.eventName = "ConsoleLogin" }',
            drill={"reason": "not an API call", "lookup": {"key": "EventName", "value": "X"}},
        ),
        custom_event("user-unknown", '{ $.eventName = "Nothing" }'),
    )
    skipped = {s.event_id: s for s in not_drillable(deployment, {})}
    from_files = {e for e, data in EVENT_FILES.items() if "exercise" not in data["drill"]}
    assert set(skipped) == from_files | {"user-signin", "user-unknown"}
    for event_id in from_files:
        assert skipped[event_id].reason == EVENT_FILES[event_id]["drill"]["reason"]
        lookup = EVENT_FILES[event_id]["drill"].get("lookup")
        if lookup:
            assert f"AttributeKey={lookup['key']},AttributeValue={lookup['value']}" in (
                skipped[event_id].replay
            )
    assert skipped["user-signin"] == NotDrillable(
        "user-signin",
        "not an API call",
        "aws cloudtrail lookup-events --lookup-attributes AttributeKey=EventName,AttributeValue=X "
        "--max-items 1000 --output json > user-signin.json && trailwatch replay user-signin.json",
    )
    assert skipped["user-unknown"].reason == "trailwatch knows no safe call for it"
    assert skipped["user-unknown"].replay.startswith("aws s3 sync s3://<trail bucket>/AWSLogs/")
    # An area that cannot run on a target: its events join the list, with the area's reason.
    skipped = {s.event_id: s for s in not_drillable(deployment, {"trail": "no trail here"})}
    assert skipped["cloudtrail-changes"].reason == "no trail here"
    assert not hasattr(trailwatch.drill.run, "NOT_DRILLABLE")


def test_an_added_event_file_is_drilled_by_the_exercise_it_names(tmp_path: Path) -> None:
    deployment = deployment_with(
        tmp_path,
        custom_event("vpc-created", '{ $.eventName = "CreateVpc" }', drill={"exercise": "network"}),
        custom_event("never-made", '{ $.eventName = "Nope" }', drill={"exercise": "network"}),
    )
    target = deployment.targets[0]
    identity = Identity("arn:aws:iam::123456789012:user/d", "123456789012", "AIDA1", "AKIA1")

    def call(name: str) -> Call:
        record = cloudtrail_record(
            identity,
            region=target.region,
            source="ec2.amazonaws.com",
            name=name,
            request_parameters={},
            response_elements=None,
            request_id="1",
            when=datetime.now(UTC),
        )
        return Call("network", "ec2.amazonaws.com", name, record)

    deployed = [
        MetricFilter(
            "VpcCreated",
            "g",
            '{ $.eventName = "CreateVpc" }',
            "VpcCreatedCount",
            "CloudTrailMetrics",
        )
    ]
    results = evaluate(
        deployment, target, [call("CreateVpc"), call("CreateSubnet")], deployed, {"network"}
    )
    of = {e: [r for r in results if r.event_id == e] for e in {r.event_id for r in results}}
    assert of["vpc-created"] == [CallResult("vpc-created", "ec2:CreateVpc", "VpcCreated", True)]
    # A built-in event of the area whose filter is not deployed fails, naming the metric.
    assert of["vpc-changes"] == [
        CallResult(
            "vpc-changes",
            "ec2:CreateVpc",
            None,
            False,
            "no filter in the log group produces CloudTrailMetrics/VpcEventCount",
        )
    ]
    # An event whose area makes no call its pattern matches fails, naming its file.
    (missing,) = of["never-made"]
    assert not missing.matched and missing.call == "(network exercise)"
    assert "drill.exercise in " in missing.note and "never-made.yaml" in missing.note
    # Areas that did not run are not judged.
    assert "s3-bucket-activity" not in of


# --- the JSON of `trailwatch drill --json` ---------------------------------------------------

TOP_KEYS = {"ok", "endpoint_url", "targets"}
TARGET_KEYS = {
    "target",
    "region",
    "account",
    "log_group",
    "results",
    "not_drillable",
    "leftovers_removed",
    "alarms",
}
RESULT_KEYS = {
    "event_id",
    "call",
    "filter_name",
    "matched",
    "note",
    "rule_name",
    "rule_matched",
    "rule_note",
}
NOT_DRILLABLE_KEYS = {"event_id", "reason", "replay"}
ALARM_KEYS = {"event_id", "alarm_name", "state"}

A_DRILL = TargetDrill(
    target="primary",
    region="us-east-1",
    account="123456789012",
    log_group="g",
    results=(CallResult("vpc-changes", "ec2:CreateVpc", "VpcEventCount", True),),
    not_drillable=(NotDrillable("root-account-usage", "why", "aws ..."),),
    leftovers_removed=2,
    alarms=(AlarmState("vpc-changes", "CloudTrailVpcChanges", "ALARM"),),
    records=({"eventName": "CreateVpc"},),
)


def test_drill_json_keys_are_pinned(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    import trailwatch.drill
    from trailwatch.cli import main

    config = tmp_path / "trailwatch.yaml"
    config.write_text(yaml.safe_dump(default_config()))
    monkeypatch.delenv("TRAILWATCH_ENDPOINT_URL", raising=False)
    monkeypatch.setattr(trailwatch.drill, "AwsClients", lambda target, endpoint: object())
    monkeypatch.setattr(
        trailwatch.drill,
        "drill_target",
        lambda deployment, target, clients: dataclasses.replace(A_DRILL, target=target.name),
    )
    monkeypatch.setattr(
        trailwatch.drill, "wait_for_alarms", lambda deployment, drills, clients_for, timeout: drills
    )
    code = main(["drill", "--json", "--wait", "--config", str(config)])
    report = json.loads(capsys.readouterr().out)
    assert code == 0
    assert set(report) == TOP_KEYS
    assert [t["target"] for t in report["targets"]] == ["primary", "eu"]
    for target in report["targets"]:
        assert set(target) == TARGET_KEYS
        assert all(set(r) == RESULT_KEYS for r in target["results"])
        assert all(set(n) == NOT_DRILLABLE_KEYS for n in target["not_drillable"])
        assert all(set(a) == ALARM_KEYS for a in target["alarms"])


def test_to_json_is_what_asdict_gave_without_the_records() -> None:
    before = {k: v for k, v in dataclasses.asdict(A_DRILL).items() if k != "records"}
    assert list(A_DRILL.to_json()) == list(before)
    assert json.loads(json.dumps(A_DRILL.to_json())) == json.loads(json.dumps(before))


# --- the inventory from AWS ----------------------------------------------------------------


def test_the_aws_inventory_reads_what_the_target_deployed(lab: Lab) -> None:
    from trailwatch.inventory.aws import read_inventory
    from trailwatch.inventory.state import read_state_file

    deployment = lab.deployment()
    target = lab.target("primary")
    log_group = deployment.log_group_name(target)
    inventory = read_inventory(
        AwsClients(target, lab.endpoint_url),
        stack=deployment.stack_name(target),
        log_groups=[log_group, "/no/such/group"],
        alarms=True,
        notifications=True,
    )
    assert [g.name for g in inventory.log_groups] == [log_group]
    stack = deployment.stack_name(target)
    state = read_state_file(lab.state_dir / f"{stack}.tfstate", stack)
    patterns = {f.metric: f.pattern for f in inventory.filters}
    assert patterns == {f.metric: f.pattern for f in state.filters}
    assert {a.name for a in inventory.alarms} >= {a.alarm_name for a in deployment.alarms}
    trail = inventory.trail_to(log_group)
    assert trail is not None and trail.arn and trail.arn.startswith("arn:aws:cloudtrail:")
    assert trail.multi_region and trail.include_global_service_events is True
    assert trail.logging is True
    # One topic per channel of the default config: the single-topic form's, and on-call's.
    subscribers = {"default": "security-alerts@example.com", "oncall": "oncall@example.com"}
    assert sorted(t.channel or "" for t in state.topics) == sorted(subscribers)
    for topic in state.topics:
        assert [(t.name, t.kms_key_id) for t in inventory.topics if t.arn == topic.arn] == [
            (topic.name, topic.kms_key_id)
        ]
        assert {
            (s.protocol, s.endpoint) for s in inventory.subscriptions if s.topic_arn == topic.arn
        } == {("email", subscribers[topic.channel or ""])}
