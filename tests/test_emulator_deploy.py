"""The default config deployed for real (Terraform, the AWS provider) onto the local emulator."""

from __future__ import annotations

import json
from pathlib import Path
from typing import TYPE_CHECKING

import yaml

from tests.conftest import default_config
from trailwatch.audit.drift import compare
from trailwatch.inventory.resources import Resource, build_inventory
from trailwatch.inventory.state import resources_from_state_file
from trailwatch.spec.config import Environment
from trailwatch.spec.model import load_deployment
from trailwatch.spec.targets import CreateTrail, Target

if TYPE_CHECKING:
    from tests.emulator_lab import Lab


ACCOUNT = "123456789012"  # moto's


def test_every_stack_plans_no_changes_right_after_deploy(lab: Lab) -> None:
    plans = lab.each(lambda target: lab.terraform(target).plan())
    assert sorted(plans) == ["eu", "primary"]
    for target, plan in plans.items():
        assert not plan.changed, (target, plan.changes)
        assert plan.changes == ()


def test_each_stack_keeps_its_own_state_file(lab: Lab) -> None:
    files = sorted(p.name for p in lab.state_dir.iterdir())
    assert files == ["trailwatch-eu.tfstate", "trailwatch-primary.tfstate"]
    for target in lab.deployment().targets:
        stack = f"trailwatch-{target.name}"
        state = lab.state_file(stack)
        trails = [r for r in state["resources"] if r["type"] == "aws_cloudtrail"]
        assert [t["instances"][0]["attributes"]["name"] for t in trails] == [stack]
        filters = [r for r in state["resources"] if r["type"] == "aws_cloudwatch_log_metric_filter"]
        groups = {f["instances"][0]["attributes"]["log_group_name"] for f in filters}
        assert groups == {f"/trailwatch/{target.name}/cloudtrail"}
        # The synthesized backend points there relatively: no absolute path in the stack.
        synthesized = json.loads((lab.outdir / "stacks" / stack / "cdk.tf.json").read_text())
        path = synthesized["terraform"]["backend"]["local"]["path"]
        assert not Path(path).is_absolute() and path.endswith(f".emulator/state/{stack}.tfstate")


def test_trails_log_to_their_log_groups_through_their_roles(lab: Lab) -> None:
    deployment = lab.deployment()
    for target in deployment.targets:
        assert isinstance(target.trail, CreateTrail)
        name, group = f"trailwatch-{target.name}", deployment.log_group_name(target)
        cloudtrail = lab.client("cloudtrail", target.region)
        (trail,) = cloudtrail.describe_trails(trailNameList=[name])["trailList"]
        assert trail["IsMultiRegionTrail"] is target.trail.multi_region
        assert trail["IncludeGlobalServiceEvents"] is True
        assert trail["LogFileValidationEnabled"] is True
        assert trail["KmsKeyId"].startswith(f"arn:aws:kms:{target.region}:{ACCOUNT}:key/")
        assert cloudtrail.get_trail_status(Name=trail["TrailARN"])["IsLogging"] is True
        assert trail["CloudWatchLogsLogGroupArn"] == (
            f"arn:aws:logs:{target.region}:{ACCOUNT}:log-group:{group}:*"
        )
        assert trail["CloudWatchLogsRoleArn"] == f"arn:aws:iam::{ACCOUNT}:role/{name}-delivery"
        (log_group,) = lab.client("logs", target.region).describe_log_groups(
            logGroupNamePrefix=group
        )["logGroups"]
        assert log_group["retentionInDays"] == 365
        assert log_group["kmsKeyId"] == trail["KmsKeyId"]


def test_one_filter_per_enabled_event_with_the_catalogs_exact_pattern(lab: Lab) -> None:
    deployment = lab.deployment()
    for target in deployment.targets:
        logs = lab.client("logs", target.region)
        filters = logs.describe_metric_filters(logGroupName=deployment.log_group_name(target))[
            "metricFilters"
        ]
        by_name = {f["filterName"]: f for f in filters}
        assert len(filters) == len(by_name) == len(deployment.alarms) == 17
        for alarm in deployment.alarms:
            deployed = by_name[alarm.metric_name]
            assert deployed["filterPattern"] == alarm.pattern  # character for character
            (transformation,) = deployed["metricTransformations"]
            assert transformation["metricName"] == alarm.metric_name
            assert transformation["metricNamespace"] == "CloudTrailMetrics"
            assert transformation["metricValue"] == "1"


def test_one_alarm_per_filter_on_its_metric_notifying_its_routes_topics(lab: Lab) -> None:
    deployment = lab.deployment()
    for target in deployment.targets:
        topic = f"arn:aws:sns:{target.region}:{ACCOUNT}:trailwatch-{target.name}-alarms"
        alarms = lab.client("cloudwatch", target.region).describe_alarms()["MetricAlarms"]
        by_name = {a["AlarmName"]: a for a in alarms}
        assert len(alarms) == len(by_name) == len(deployment.alarms)
        for alarm in deployment.alarms:
            deployed = by_name[alarm.alarm_name]
            assert (deployed["MetricName"], deployed["Namespace"]) == (
                alarm.metric_name,
                "CloudTrailMetrics",
            )
            # The default config's route: critical and high page on-call too.
            paged = alarm.severity in ("critical", "high")
            assert deployed["AlarmActions"] == [topic] + ([f"{topic}-oncall"] if paged else [])
            assert deployed["AlarmDescription"] == alarm.description
            assert deployed["ActionsEnabled"] is True
            assert deployed["Threshold"] == alarm.settings.threshold
            assert deployed["ComparisonOperator"] == alarm.settings.comparison
            assert deployed["Period"] == alarm.settings.period
            assert deployed["EvaluationPeriods"] == alarm.settings.evaluation_periods
            assert deployed["TreatMissingData"] == alarm.settings.treat_missing_data


def test_each_channel_topic_is_encrypted_and_has_its_subscriber(lab: Lab) -> None:
    for target in lab.deployment().targets:
        sns = lab.client("sns", target.region)
        topic = f"arn:aws:sns:{target.region}:{ACCOUNT}:trailwatch-{target.name}-alarms"
        topics = sorted(t["TopicArn"] for t in sns.list_topics()["Topics"])
        assert topics == [topic, f"{topic}-oncall"]
        for arn, address in ((topic, "security-alerts@example.com"), (f"{topic}-oncall", None)):
            assert sns.get_topic_attributes(TopicArn=arn)["Attributes"]["KmsMasterKeyId"]
            subscriptions = sns.list_subscriptions_by_topic(TopicArn=arn)["Subscriptions"]
            assert [(s["Protocol"], s["Endpoint"]) for s in subscriptions] == [
                ("email", address or "oncall@example.com")
            ]


def test_the_primary_target_has_its_dashboard(lab: Lab) -> None:
    cloudwatch = lab.client("cloudwatch", "us-east-1")
    names = [d["DashboardName"] for d in cloudwatch.list_dashboards()["DashboardEntries"]]
    assert names == ["trailwatch-primary"]
    body = json.loads(cloudwatch.get_dashboard(DashboardName="trailwatch-primary")["DashboardBody"])
    alarms = [
        w["properties"]["annotations"]["alarms"][0]
        for w in body["widgets"]
        if w["type"] == "metric"
    ]
    assert len(alarms) == 17
    assert all(a.startswith(f"arn:aws:cloudwatch:us-east-1:{ACCOUNT}:alarm:") for a in alarms)
    assert lab.client("cloudwatch", "eu-west-1").list_dashboards()["DashboardEntries"] == []


def test_a_config_change_deploys_exactly_that_change(lab: Lab, emulator_teardown: None) -> None:
    config = default_config()
    config["disabled_events"] = ["ec2-instance-changes"]
    config["overrides"] = {"console-signin-failures": {"threshold": 5}}
    lab.synth(config)

    def plan_and_apply(target: Target) -> set[tuple[str, str]]:
        terraform = lab.terraform(target)
        terraform.ensure_init()
        plan_file = lab.workdir / f"{terraform.stack}.tfplan"
        plan = terraform.plan(out=plan_file)
        terraform.apply(plan_file)
        return {(c.address, c.action) for c in plan.changes}

    changes = lab.each(plan_and_apply)
    for target, planned in changes.items():
        # The primary target's dashboard loses the graph of the disabled event, and its
        # EventBridge rule goes with its target and its ARN in the default topic's policy.
        dashboard = (
            {
                ("aws_cloudwatch_dashboard.dashboard", "update"),
                ("aws_cloudwatch_event_rule.event_rule_ec2_instance_changes", "delete"),
                (
                    "aws_cloudwatch_event_target.event_target_ec2_instance_changes__default",
                    "delete",
                ),
                ("aws_sns_topic_policy.alarm_topic_policy", "update"),
            }
            if target == "primary"
            else set()
        )
        assert (
            planned
            == {
                ("aws_cloudwatch_log_metric_filter.filter_ec2_instance_changes", "delete"),
                ("aws_cloudwatch_metric_alarm.alarm_ec2_instance_changes", "delete"),
                ("aws_cloudwatch_metric_alarm.alarm_console_signin_failures", "update"),
            }
            | dashboard
        ), target
    deployment = lab.deployment()
    for target in deployment.targets:
        alarms = {
            a["AlarmName"]: a
            for a in lab.client("cloudwatch", target.region).describe_alarms()["MetricAlarms"]
        }
        assert alarms["CloudTrailConsoleSignInFailures"]["Threshold"] == 5.0
        assert "CloudTrailEC2InstanceChanges" not in alarms and len(alarms) == 16
        filters = lab.client("logs", target.region).describe_metric_filters(
            logGroupName=deployment.log_group_name(target)
        )["metricFilters"]
        assert "EC2InstanceEventCount" not in {f["filterName"] for f in filters}
    code, out, _err = lab.cli(["state", "--json"])
    assert code == 0 and json.loads(out)["drift"] is False


def test_an_exclusion_rule_and_a_shadow_alarm_deploy_and_state_reads_them_back(
    lab: Lab, emulator_teardown: None, tmp_path: Path
) -> None:
    from tests.shadow_fixtures import (
        PROBE_ROLE,
        RULE_EVENT,
        RULE_ID,
        SHADOW_EVENT,
        rule_and_shadow_config,
    )

    lab.synth(rule_and_shadow_config())

    def plan_and_apply(target: Target) -> set[tuple[str, str]]:
        terraform = lab.terraform(target)
        terraform.ensure_init()
        plan_file = lab.workdir / f"{terraform.stack}-shadow.tfplan"
        plan = terraform.plan(out=plan_file)
        terraform.apply(plan_file)
        return {(c.address, c.action) for c in plan.changes}

    for name, planned in lab.each(plan_and_apply).items():
        # Whatever an earlier test left, these two are changed in place, never replaced.
        assert {
            ("aws_cloudwatch_log_metric_filter.filter_authorization_failures", "update"),
            ("aws_cloudwatch_metric_alarm.alarm_vpc_changes", "update"),
        } <= planned, name
        assert not {action for _, action in planned} & {"delete", "replace"}, name
    deployment = lab.deployment()
    rule_alarm, shadow_alarm = deployment.alarm(RULE_EVENT), deployment.alarm(SHADOW_EVENT)
    for target in deployment.targets:
        filters = {
            f["filterName"]: f
            for f in lab.client("logs", target.region).describe_metric_filters(
                logGroupName=deployment.log_group_name(target)
            )["metricFilters"]
        }
        deployed = filters[rule_alarm.metric_name]["filterPattern"]
        assert deployed == rule_alarm.pattern and PROBE_ROLE in deployed
        (alarm,) = lab.client("cloudwatch", target.region).describe_alarms(
            AlarmNames=[shadow_alarm.alarm_name]
        )["MetricAlarms"]
        topic = f"arn:aws:sns:{target.region}:{ACCOUNT}:trailwatch-{target.name}-alarms"
        assert (alarm["ActionsEnabled"], alarm["AlarmActions"]) == (False, [topic])
        assert alarm["AlarmDescription"] == shadow_alarm.description

    code, out, err = lab.cli(["state", "--json"])
    assert code == 0, err
    report = json.loads(out)
    assert report["drift"] is False
    for stack in report["stacks"]:
        events = {e["event_id"]: e for e in stack["events"]}
        assert events[RULE_EVENT]["filter"]["pattern"] == rule_alarm.pattern
        assert events[RULE_EVENT]["pattern_exact"] is True
        shadow = events[SHADOW_EVENT]
        assert (shadow["shadow"], shadow["alarm"]["actions_enabled"]) == (True, False)
        assert shadow["status"] == "shadow: actions off, CloudWatch.17 not met"
        others = [e for e in events.values() if e["event_id"] != SHADOW_EVENT]
        assert {(e["shadow"], e["status"]) for e in others} == {(False, "live")}
    code, out, _err = lab.cli(["state", "--target", "primary"], COLUMNS="300")
    assert code == 0 and "shadow: actions off, CloudWatch.17 not met" in out

    code, out, _err = lab.cli(["coverage", "--from-state", "--json"])
    assert code == 1
    controls = {c["id"]: c for f in json.loads(out)["frameworks"] for c in f["controls"]}
    assert (controls["CloudWatch.17"]["status"], controls["CloudWatch.17"]["reasons"]) == (
        "not met",
        ["shadow"],
    )
    assert controls["CloudWatch.2"]["reasons"] == [f"exclusion added: {RULE_ID}"]

    # The same state against a config without shadow and rule: actions off is drift there,
    # and so is the compiled pattern.
    live_config = tmp_path / "trailwatch.yaml"
    live_config.write_text(yaml.safe_dump(default_config()))
    live = load_deployment(
        live_config,
        Environment(config_path=live_config, endpoint_url=lab.endpoint_url, outdir=lab.outdir),
    )
    primary = lab.target("primary")
    resources = list(resources_from_state_file(lab.state_file("trailwatch-primary")))
    found = compare(live, primary, build_inventory("s", "state", resources)).findings
    assert sorted((f.kind, f.subject) for f in found) == [
        ("actions-disabled", SHADOW_EVENT),
        ("pattern-differs", RULE_EVENT),
    ]
    # And a shadow alarm deployed live is drift from the shadow config.
    switched_on = [
        Resource(r.type, r.name, {**r.values, "actions_enabled": True})
        if r.name == "alarm_vpc_changes"
        else r
        for r in resources
    ]
    found = compare(deployment, primary, build_inventory("s", "state", switched_on)).findings
    assert [(f.kind, f.subject, f.message) for f in found] == [
        (
            "setting-differs",
            SHADOW_EVENT,
            f"event {SHADOW_EVENT}: alarm {shadow_alarm.alarm_name} has its actions enabled; the "
            "config makes it a shadow alarm (actions off)",
        )
    ]


def test_destroy_leaves_every_state_empty_and_the_emulator_clean(
    lab: Lab, emulator_teardown: None
) -> None:
    lab.each(lambda target: lab.terraform(target).destroy())
    for stack in ("trailwatch-primary", "trailwatch-eu"):
        assert lab.state_file(stack)["resources"] == []
    for region in ("us-east-1", "eu-west-1"):
        assert lab.client("cloudtrail", region).describe_trails()["trailList"] == []
        assert lab.client("logs", region).describe_log_groups()["logGroups"] == []
        assert lab.client("logs", region).describe_metric_filters()["metricFilters"] == []
        assert lab.client("cloudwatch", region).describe_alarms()["MetricAlarms"] == []
        assert lab.client("sns", region).list_topics()["Topics"] == []
        assert lab.client("sns", region).list_subscriptions()["Subscriptions"] == []
        assert lab.client("cloudwatch", region).list_dashboards()["DashboardEntries"] == []
        kms = lab.client("kms", region)
        assert [
            a["AliasName"] for a in kms.list_aliases()["Aliases"] if "trailwatch" in a["AliasName"]
        ] == []
        # KMS never deletes a key at once: every trailwatch key waits out its 30 days.
        for key in kms.list_keys()["Keys"]:
            metadata = kms.describe_key(KeyId=key["KeyId"])["KeyMetadata"]
            assert metadata["KeyState"] == "PendingDeletion"
    assert lab.client("s3", "us-east-1").list_buckets()["Buckets"] == []
    assert lab.client("iam", "us-east-1").list_roles()["Roles"] == []
