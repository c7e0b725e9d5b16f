"""What `main.py` synthesizes: one hardened stack per target, one filter and alarm per event."""

from __future__ import annotations

import json
import re
from typing import Any

import pytest

from tests.conftest import REPO, Synth, SynthFactory, default_config
from trailwatch.spec.catalog import load_catalog

CATALOG = load_catalog([REPO / "events"])


def policy(resource: dict[str, Any], field: str = "policy") -> dict[str, Any]:
    document: dict[str, Any] = json.loads(resource[field])
    return document


def only(resources: dict[str, dict[str, Any]]) -> dict[str, Any]:
    assert len(resources) == 1, sorted(resources)
    return next(iter(resources.values()))


def test_one_stack_per_target(default_synth: Synth) -> None:
    assert default_synth.stack_names() == ["trailwatch-eu", "trailwatch-primary"]


@pytest.mark.parametrize(
    ("stack", "region", "multi_region"),
    [("trailwatch-primary", "us-east-1", True), ("trailwatch-eu", "eu-west-1", False)],
)
def test_each_stack_has_its_own_provider_region_and_state(
    default_synth: Synth, stack: str, region: str, multi_region: bool
) -> None:
    data = default_synth.stack(stack)
    assert data["provider"]["aws"][0]["region"] == region
    assert data["terraform"]["backend"]["local"]["path"] == f"../../../state/{stack}.tfstate"
    trail = only(default_synth.resources(stack, "aws_cloudtrail"))
    assert trail["is_multi_region_trail"] is multi_region
    # Every resource is tagged by the provider: who manages it, and which target it is.
    (tags,) = data["provider"]["aws"][0]["default_tags"]
    assert tags == {
        "tags": {
            "managed-by": "trailwatch",
            "project": "trailwatch",
            "trailwatch-target": stack.removeprefix("trailwatch-"),
        }
    }


def test_provider_constraint_admits_mirror_and_current_major(default_synth: Synth) -> None:
    aws = default_synth.stack("trailwatch-primary")["terraform"]["required_providers"]["aws"]
    assert aws["version"] == ">= 5.100, < 7.0"


def test_trail_is_hardened_and_delivers_to_log_group(default_synth: Synth) -> None:
    trail = only(default_synth.resources("trailwatch-primary", "aws_cloudtrail"))
    assert trail["name"] == "trailwatch-primary"
    assert trail["include_global_service_events"] is True
    assert trail["enable_log_file_validation"] is True
    assert trail["enable_logging"] is True
    assert trail["kms_key_id"] == "${aws_kms_key.key.arn}"
    assert trail["cloud_watch_logs_group_arn"] == "${aws_cloudwatch_log_group.log_group.arn}:*"
    assert trail["cloud_watch_logs_role_arn"] == "${aws_iam_role.delivery_role.arn}"
    assert trail["s3_bucket_name"] == "${aws_s3_bucket.log_bucket.id}"


def test_log_group_keeps_a_year_encrypted(default_synth: Synth) -> None:
    group = only(default_synth.resources("trailwatch-primary", "aws_cloudwatch_log_group"))
    assert group == {
        "kms_key_id": "${aws_kms_key.key.arn}",
        "name": "/trailwatch/primary/cloudtrail",
        "retention_in_days": 365,
    }


def test_delivery_role_is_trusted_only_by_this_trail(default_synth: Synth) -> None:
    role = only(default_synth.resources("trailwatch-primary", "aws_iam_role"))
    (statement,) = policy(role, "assume_role_policy")["Statement"]
    assert statement["Principal"] == {"Service": "cloudtrail.amazonaws.com"}
    assert statement["Condition"] == {
        "StringEquals": {"aws:SourceAccount": "${data.aws_caller_identity.current.account_id}"},
        "ArnLike": {
            "aws:SourceArn": (
                "arn:${data.aws_partition.current.partition}:cloudtrail:us-east-1:"
                "${data.aws_caller_identity.current.account_id}:trail/trailwatch-primary"
            )
        },
    }


def test_delivery_role_has_one_statement_for_its_log_streams(default_synth: Synth) -> None:
    role_policy = only(default_synth.resources("trailwatch-primary", "aws_iam_role_policy"))
    (statement,) = policy(role_policy)["Statement"]
    assert statement == {
        "Sid": "DeliverToOneLogGroup",
        "Effect": "Allow",
        "Action": ["logs:CreateLogStream", "logs:PutLogEvents"],
        # Only the streams CloudTrail names <account>_CloudTrail_<home region>[_<n>].
        "Resource": (
            "${aws_cloudwatch_log_group.log_group.arn}:log-stream:"
            "${data.aws_caller_identity.current.account_id}_CloudTrail_us-east-1*"
        ),
    }


def test_log_bucket_is_private_versioned_and_encrypted_with_the_key(default_synth: Synth) -> None:
    stack = "trailwatch-primary"
    block = only(default_synth.resources(stack, "aws_s3_bucket_public_access_block"))
    assert all(
        block[k] is True
        for k in (
            "block_public_acls",
            "block_public_policy",
            "ignore_public_acls",
            "restrict_public_buckets",
        )
    )
    ownership = only(default_synth.resources(stack, "aws_s3_bucket_ownership_controls"))
    assert ownership["rule"]["object_ownership"] == "BucketOwnerEnforced"
    versioning = only(default_synth.resources(stack, "aws_s3_bucket_versioning"))
    assert versioning["versioning_configuration"]["status"] == "Enabled"
    sse = only(default_synth.resources(stack, "aws_s3_bucket_server_side_encryption_configuration"))
    default = sse["rule"][0]["apply_server_side_encryption_by_default"]
    assert default == {"kms_master_key_id": "${aws_kms_key.key.arn}", "sse_algorithm": "aws:kms"}
    lifecycle = only(default_synth.resources(stack, "aws_s3_bucket_lifecycle_configuration"))
    rule = lifecycle["rule"][0]
    assert rule["status"] == "Enabled"
    assert rule["expiration"][0]["days"] == 2557
    assert rule["transition"][0] == {"days": 90, "storage_class": "GLACIER"}


def test_bucket_policy_lets_only_this_trail_write_and_denies_plain_http(
    default_synth: Synth,
) -> None:
    bucket_policy = only(default_synth.resources("trailwatch-primary", "aws_s3_bucket_policy"))
    statements = {s["Sid"]: s for s in policy(bucket_policy)["Statement"]}
    assert set(statements) == {"CloudTrailAclCheck", "CloudTrailWrite", "DenyInsecureTransport"}
    trail_arn = (
        "arn:${data.aws_partition.current.partition}:cloudtrail:us-east-1:"
        "${data.aws_caller_identity.current.account_id}:trail/trailwatch-primary"
    )
    assert (
        statements["CloudTrailAclCheck"]["Condition"]["StringEquals"]["aws:SourceArn"] == trail_arn
    )
    write = statements["CloudTrailWrite"]
    assert write["Condition"]["StringEquals"] == {
        "s3:x-amz-acl": "bucket-owner-full-control",
        "aws:SourceArn": trail_arn,
    }
    deny = statements["DenyInsecureTransport"]
    assert (deny["Effect"], deny["Condition"]) == (
        "Deny",
        {"Bool": {"aws:SecureTransport": "false"}},
    )


def test_key_rotates_and_lets_each_service_use_it_only_under_conditions(
    default_synth: Synth,
) -> None:
    key = only(default_synth.resources("trailwatch-primary", "aws_kms_key"))
    assert key["enable_key_rotation"] is True
    statements = {s["Sid"]: s for s in policy(key)["Statement"]}
    assert set(statements) == {
        "AccountAdministers",
        "CloudTrailEncryptsLogs",
        "CloudTrailDescribesKey",
        "CloudTrailDecryptsForBucketKey",
        "CloudWatchLogsEncryptsLogGroup",
        "CloudWatchAlarmsPublishToEncryptedTopic",
        # The default config's primary target delivers events too (test_event_rules_synth.py).
        "EventRulesPublishToEncryptedTopic",
    }
    for sid in (
        "CloudTrailEncryptsLogs",
        "CloudTrailDescribesKey",
        "CloudTrailDecryptsForBucketKey",
        "CloudWatchLogsEncryptsLogGroup",
        "CloudWatchAlarmsPublishToEncryptedTopic",
        "EventRulesPublishToEncryptedTopic",
    ):
        assert statements[sid]["Condition"], sid
    alarms = statements["CloudWatchAlarmsPublishToEncryptedTopic"]
    assert alarms["Principal"] == {"Service": "cloudwatch.amazonaws.com"}
    assert alarms["Action"] == ["kms:Decrypt", "kms:GenerateDataKey*"]
    logs = statements["CloudWatchLogsEncryptsLogGroup"]
    assert logs["Principal"] == {"Service": "logs.us-east-1.amazonaws.com"}
    # No kms:Describe*: DescribeKey carries no encryption context, so this statement can't grant it.
    assert logs["Action"] == [
        "kms:Encrypt*",
        "kms:Decrypt*",
        "kms:ReEncrypt*",
        "kms:GenerateDataKey*",
    ]
    assert logs["Condition"] == {
        "StringEquals": {
            "kms:EncryptionContext:aws:logs:arn": (
                "arn:${data.aws_partition.current.partition}:logs:us-east-1:"
                "${data.aws_caller_identity.current.account_id}:log-group:/trailwatch/primary/cloudtrail"
            )
        }
    }
    # DescribeKey carries no encryption context: a statement conditioned on one would deny it.
    encrypt, describe = statements["CloudTrailEncryptsLogs"], statements["CloudTrailDescribesKey"]
    assert encrypt["Action"] == "kms:GenerateDataKey*"
    assert "kms:EncryptionContext:aws:cloudtrail:arn" in encrypt["Condition"]["StringLike"]
    assert describe["Action"] == "kms:DescribeKey"
    assert describe["Condition"] == {
        "StringEquals": {"aws:SourceArn": encrypt["Condition"]["StringEquals"]["aws:SourceArn"]}
    }
    # The bucket's S3 Bucket Key: CloudTrail needs kms:Decrypt to create or update the trail.
    decrypt = statements["CloudTrailDecryptsForBucketKey"]
    assert (decrypt["Action"], decrypt["Condition"]) == ("kms:Decrypt", describe["Condition"])


def test_each_channel_topic_is_encrypted_and_only_account_alarms_publish(
    default_synth: Synth,
) -> None:
    stack = "trailwatch-primary"
    topics = default_synth.resources(stack, "aws_sns_topic")
    # The single-topic form keeps its logical id: existing deployments keep their topic.
    assert sorted(topics) == ["alarm_topic", "alarm_topic_oncall"]
    assert topics["alarm_topic"]["name"] == "trailwatch-primary-alarms"
    assert topics["alarm_topic_oncall"]["name"] == "trailwatch-primary-alarms-oncall"
    policies = default_synth.resources(stack, "aws_sns_topic_policy")
    assert sorted(policies) == ["alarm_topic_policy", "alarm_topic_policy_oncall"]
    for name, topic in topics.items():
        assert topic["kms_master_key_id"] == "${aws_kms_key.key.arn}"
        suffix = name.removeprefix("alarm_topic")
        # The rules' statement (EventRulesPublish) is test_event_rules_synth.py's.
        statement, _rules = policy(policies[f"alarm_topic_policy{suffix}"])["Statement"]
        assert statement["Principal"] == {"Service": "cloudwatch.amazonaws.com"}
        assert statement["Action"] == "sns:Publish"
        assert statement["Resource"] == f"${{aws_sns_topic.{name}.arn}}"
        assert statement["Condition"]["ArnLike"]["aws:SourceArn"].endswith(":alarm:*")
    subscriptions = default_synth.resources(stack, "aws_sns_topic_subscription")
    assert {
        name: (s["topic_arn"], s["protocol"], s["endpoint"]) for name, s in subscriptions.items()
    } == {
        "alarm_topic_subscription_0": (
            "${aws_sns_topic.alarm_topic.arn}",
            "email",
            "security-alerts@example.com",
        ),
        "alarm_topic_oncall_subscription_0": (
            "${aws_sns_topic.alarm_topic_oncall.arn}",
            "email",
            "oncall@example.com",
        ),
    }


@pytest.mark.parametrize("stack", ["trailwatch-primary", "trailwatch-eu"])
def test_one_filter_and_one_alarm_per_event_on_the_same_metric(
    default_synth: Synth, stack: str
) -> None:
    filters = default_synth.resources(stack, "aws_cloudwatch_log_metric_filter")
    alarms = default_synth.resources(stack, "aws_cloudwatch_metric_alarm")
    assert len(filters) == len(alarms) == len(CATALOG) == 17
    for event_id, event in CATALOG.items():
        key = event_id.replace("-", "_")
        metric_filter = filters[f"filter_{key}"]
        alarm = alarms[f"alarm_{key}"]
        assert metric_filter["pattern"] == event.pattern
        assert metric_filter["log_group_name"] == "${aws_cloudwatch_log_group.log_group.name}"
        transformation = metric_filter["metric_transformation"]
        assert transformation == {
            "name": event.metric_name,
            "namespace": "CloudTrailMetrics",
            "value": "1",
        }
        assert alarm["alarm_name"] == event.alarm_name
        assert (alarm["metric_name"], alarm["namespace"]) == (
            transformation["name"],
            transformation["namespace"],
        )
        assert alarm["depends_on"] == [f"aws_cloudwatch_log_metric_filter.filter_{key}"]
        assert alarm["threshold"] == event.alarm.threshold
        assert alarm["period"] == 300
        assert alarm["comparison_operator"] == "GreaterThanOrEqualToThreshold"
        assert alarm["treat_missing_data"] == "notBreaching"
        assert alarm["actions_enabled"] is True
        # Critical and high alarms page on-call too (the default config's one route).
        topics = ["${aws_sns_topic.alarm_topic.arn}"]
        if event.severity in ("critical", "high"):
            topics.append("${aws_sns_topic.alarm_topic_oncall.arn}")
        assert alarm["alarm_actions"] == topics
        assert alarm["alarm_description"].startswith(
            f"{event.title} (trailwatch event {event_id}, severity {event.severity}). "
        )
        assert len(alarm["alarm_description"]) <= 1024


def test_console_failures_alarm_keeps_the_lab_threshold(default_synth: Synth) -> None:
    alarm = default_synth.resources("trailwatch-primary", "aws_cloudwatch_metric_alarm")[
        "alarm_console_signin_failures"
    ]
    assert alarm["threshold"] == 3


def test_synth_has_no_absolute_paths(default_synth: Synth) -> None:
    for stack in default_synth.stack_names():
        text = default_synth.path(stack).read_text()
        assert str(REPO) not in text
        assert str(default_synth.workdir) not in text
        assert not re.search(r'"/(tmp|root|home|work)/', text)


def test_synth_is_byte_identical_across_runs(synth_config: SynthFactory) -> None:
    first = synth_config("determinism-a", default_config())
    second = synth_config("determinism-b", default_config())
    for stack in first.stack_names():
        assert first.path(stack).read_bytes() == second.path(stack).read_bytes()


def test_disabled_events_and_overrides_take_effect(synth_config: SynthFactory) -> None:
    config = default_config()
    config["disabled_events"] = ["ec2-instance-changes", "ec2-large-instance-changes"]
    config["overrides"] = {
        "authorization-failures": {
            "threshold": 5,
            "period": 600,
            "evaluation_periods": 3,
            "datapoints_to_alarm": 2,
            "treat_missing_data": "missing",
        }
    }
    synth = synth_config("overrides", config)
    filters = synth.resources("trailwatch-primary", "aws_cloudwatch_log_metric_filter")
    alarms = synth.resources("trailwatch-primary", "aws_cloudwatch_metric_alarm")
    assert len(filters) == len(alarms) == 15
    assert "filter_ec2_instance_changes" not in filters
    assert "alarm_ec2_large_instance_changes" not in alarms
    changed = alarms["alarm_authorization_failures"]
    assert (
        changed["threshold"],
        changed["period"],
        changed["evaluation_periods"],
        changed["datapoints_to_alarm"],
        changed["treat_missing_data"],
    ) == (5, 600, 3, 2, "missing")
    assert alarms["alarm_root_account_usage"]["threshold"] == 1


def test_name_prefix_renames_metric_and_alarm_together(synth_config: SynthFactory) -> None:
    config = default_config()
    config["name_prefix"] = "acme-"
    config["namespace"] = "Acme/Security"
    synth = synth_config("prefix", config)
    filters = synth.resources("trailwatch-primary", "aws_cloudwatch_log_metric_filter")
    alarms = synth.resources("trailwatch-primary", "aws_cloudwatch_metric_alarm")
    for event_id, event in CATALOG.items():
        key = event_id.replace("-", "_")
        transformation = filters[f"filter_{key}"]["metric_transformation"]
        assert transformation["name"] == "acme-" + event.metric_name
        assert transformation["namespace"] == "Acme/Security"
        assert alarms[f"alarm_{key}"]["alarm_name"] == "acme-" + event.alarm_name
        assert alarms[f"alarm_{key}"]["metric_name"] == "acme-" + event.metric_name
        assert alarms[f"alarm_{key}"]["namespace"] == "Acme/Security"


def test_existing_trail_mode_creates_only_filters_alarms_and_notifications(
    synth_config: SynthFactory,
) -> None:
    config = default_config()
    config["targets"] = [
        {
            "name": "org",
            "region": "us-east-2",
            "account_id": "123456789012",
            "trail": {"mode": "existing", "log_group_name": "aws-controltower/CloudTrailLogs"},
        }
    ]
    synth = synth_config("existing", config)
    resources = synth.stack("trailwatch-org")["resource"]
    assert set(resources) == {
        "aws_cloudwatch_log_metric_filter",
        "aws_cloudwatch_metric_alarm",
        "aws_kms_alias",
        "aws_kms_key",
        "aws_sns_topic",
        "aws_sns_topic_policy",
        "aws_sns_topic_subscription",
    }
    for metric_filter in resources["aws_cloudwatch_log_metric_filter"].values():
        assert metric_filter["log_group_name"] == "aws-controltower/CloudTrailLogs"
    key_sids = {s["Sid"] for s in policy(only(resources["aws_kms_key"]))["Statement"]}
    assert key_sids == {"AccountAdministers", "CloudWatchAlarmsPublishToEncryptedTopic"}
    provider = synth.stack("trailwatch-org")["provider"]["aws"][0]
    assert provider["allowed_account_ids"] == ["123456789012"]


def test_s3_backend_keys_each_stack_and_locks_natively(synth_config: SynthFactory) -> None:
    config = default_config()
    config["backend"] = {
        "type": "s3",
        "bucket": "acme-terraform-state",
        "region": "eu-central-1",
        "key_prefix": "security/trailwatch",
    }
    synth = synth_config("s3-backend", config)
    for stack in synth.stack_names():
        backend = synth.stack(stack)["terraform"]["backend"]
        assert backend == {
            "s3": {
                "bucket": "acme-terraform-state",
                "key": f"security/trailwatch/{stack}.tfstate",
                "region": "eu-central-1",
                "encrypt": True,
                "use_lockfile": True,
            }
        }


def test_existing_topic_is_used_as_alarm_action(synth_config: SynthFactory) -> None:
    config = default_config()
    topic = "arn:aws:sns:us-east-1:123456789012:security-alerts"
    config["notifications"] = {"topic_arn": topic, "ok_actions": True}
    synth = synth_config("topic", config)
    resources = synth.stack("trailwatch-primary")["resource"]
    assert "aws_sns_topic" not in resources
    for alarm in resources["aws_cloudwatch_metric_alarm"].values():
        assert alarm["alarm_actions"] == [topic]
        assert alarm["ok_actions"] == [topic]
