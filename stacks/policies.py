"""IAM, key, bucket and topic policy documents, as plain dicts.

Values such as the account id are Terraform references (cdktf tokens) rendered into strings, so
every statement can be scoped by a condition on the exact account, trail or log group.

Each function follows an AWS documentation page, named in its docstring; where a statement
departs from the page, a comment says why. tests/test_parliament.py lints every synthesized
document with parliament.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

Statement = dict[str, Any]


@dataclass(frozen=True)
class Where:
    """The account, partition and region a stack deploys into (Terraform references)."""

    account_id: str
    partition: str
    region: str

    def arn(self, service: str, resource: str) -> str:
        return f"arn:{self.partition}:{service}:{self.region}:{self.account_id}:{resource}"


def document(*statements: Statement) -> str:
    """A policy document as Terraform wants it: a JSON string."""
    return json.dumps({"Version": "2012-10-17", "Statement": list(statements)}, sort_keys=False)


def key_policy(
    where: Where,
    *,
    trail_arn: str | None,
    log_group_name: str | None,
    alarms: bool,
    event_rules: bool = False,
) -> str:
    """Who may use the customer key: the account's admins, and each service only for its job.

    One statement per function below, each following the AWS documentation page its docstring
    names: the account's admins always; CloudTrail's when the stack creates the trail; CloudWatch
    Logs' for its log group; CloudWatch alarms' when the stack creates an encrypted topic;
    EventBridge's when the stack's rules send to one.
    """
    statements: list[Statement] = [_account_administers(where)]
    if trail_arn:
        statements.append(_cloudtrail_encrypts_logs(where, trail_arn))
        statements.append(_cloudtrail_describes_key(trail_arn))
        statements.append(_cloudtrail_decrypts_for_bucket_key(trail_arn))
    if log_group_name:
        statements.append(_cloudwatch_logs_encrypts_log_group(where, log_group_name))
    if alarms:
        statements.append(_cloudwatch_alarms_publish_to_encrypted_topic(where))
    if event_rules:
        statements.append(_event_rules_publish_to_encrypted_topic(where))
    return document(*statements)


def _account_administers(where: Where) -> Statement:
    """AccountAdministers: the account's IAM policies decide who administers and uses the key.

    Follows the AWS KMS Developer Guide, "Default key policy" (allows access to the AWS account
    and enables IAM policies).
    """
    return {
        "Sid": "AccountAdministers",
        "Effect": "Allow",
        "Principal": {"AWS": f"arn:{where.partition}:iam::{where.account_id}:root"},
        "Action": "kms:*",
        "Resource": "*",
    }


def _cloudtrail_encrypts_logs(where: Where, trail_arn: str) -> Statement:
    """CloudTrailEncryptsLogs: the trail encrypts its log files with the key.

    Follows the AWS CloudTrail User Guide, "Configure AWS KMS key policies for CloudTrail"
    (granting encrypt permissions), scoped by aws:SourceArn as that page recommends.
    """
    return {
        "Sid": "CloudTrailEncryptsLogs",
        "Effect": "Allow",
        "Principal": {"Service": "cloudtrail.amazonaws.com"},
        "Action": "kms:GenerateDataKey*",
        "Resource": "*",
        "Condition": {
            "StringEquals": {"aws:SourceArn": trail_arn},
            "StringLike": {
                # Any region: a multi-region trail encrypts every region's files.
                "kms:EncryptionContext:aws:cloudtrail:arn": (
                    f"arn:{where.partition}:cloudtrail:*:{where.account_id}:trail/*"
                )
            },
        },
    }


def _cloudtrail_describes_key(trail_arn: str) -> Statement:
    """CloudTrailDescribesKey: the trail reads the key's properties.

    Follows the AWS CloudTrail User Guide, "Configure AWS KMS key policies for CloudTrail"
    (enable CloudTrail to describe KMS key properties), scoped by aws:SourceArn as that page
    recommends.
    """
    # A DescribeKey request carries no encryption context, so it cannot share the
    # CloudTrailEncryptsLogs statement: AWS's documented CloudTrail key policy gives it its own,
    # scoped by the trail.
    return {
        "Sid": "CloudTrailDescribesKey",
        "Effect": "Allow",
        "Principal": {"Service": "cloudtrail.amazonaws.com"},
        "Action": "kms:DescribeKey",
        "Resource": "*",
        "Condition": {"StringEquals": {"aws:SourceArn": trail_arn}},
    }


def _cloudtrail_decrypts_for_bucket_key(trail_arn: str) -> Statement:
    """CloudTrailDecryptsForBucketKey: the trail writes to a bucket that uses an S3 Bucket Key.

    Follows the AWS CloudTrail User Guide, "Configure AWS KMS key policies for CloudTrail"
    (granting decrypt permissions), scoped by aws:SourceArn as that page recommends.
    """
    # The trail's bucket encrypts with this key through an S3 Bucket Key: for such a bucket
    # the page requires kms:Decrypt for CloudTrail, or creating or updating the trail with
    # SSE-KMS fails. Its example has no condition; scoped by the trail like the others.
    return {
        "Sid": "CloudTrailDecryptsForBucketKey",
        "Effect": "Allow",
        "Principal": {"Service": "cloudtrail.amazonaws.com"},
        "Action": "kms:Decrypt",
        "Resource": "*",
        "Condition": {"StringEquals": {"aws:SourceArn": trail_arn}},
    }


def _cloudwatch_logs_encrypts_log_group(where: Where, log_group_name: str) -> Statement:
    """CloudWatchLogsEncryptsLogGroup: CloudWatch Logs encrypts one log group with the key.

    Follows the Amazon CloudWatch Logs User Guide, "Encrypt log data in CloudWatch Logs using
    AWS Key Management Service" (the key policy for one log group).
    """
    # The page's actions less kms:Describe*: DescribeKey carries no encryption context, so
    # under this condition it was never granted. The page's ArnEquals becomes StringEquals:
    # kms:EncryptionContext:* is a String key (Service Authorization Reference, "Actions,
    # resources, and condition keys for AWS Key Management Service"); the value is one exact
    # ARN, so both match the same requests.
    return {
        "Sid": "CloudWatchLogsEncryptsLogGroup",
        "Effect": "Allow",
        "Principal": {"Service": f"logs.{where.region}.amazonaws.com"},
        "Action": [
            "kms:Encrypt*",
            "kms:Decrypt*",
            "kms:ReEncrypt*",
            "kms:GenerateDataKey*",
        ],
        "Resource": "*",
        "Condition": {
            "StringEquals": {
                "kms:EncryptionContext:aws:logs:arn": where.arn(
                    "logs", f"log-group:{log_group_name}"
                )
            }
        },
    }


def _cloudwatch_alarms_publish_to_encrypted_topic(where: Where) -> Statement:
    """CloudWatchAlarmsPublishToEncryptedTopic: the account's alarms publish to the topic.

    Follows the Amazon SNS Developer Guide, "Enable compatibility between event sources from AWS
    services and encrypted topics" (cloudwatch.amazonaws.com).
    """
    # Without this, alarms cannot publish to the encrypted topic, and nothing says so.
    return {
        "Sid": "CloudWatchAlarmsPublishToEncryptedTopic",
        "Effect": "Allow",
        "Principal": {"Service": "cloudwatch.amazonaws.com"},
        "Action": ["kms:Decrypt", "kms:GenerateDataKey*"],
        "Resource": "*",
        "Condition": {"StringEquals": {"aws:SourceAccount": where.account_id}},
    }


def _event_rules_publish_to_encrypted_topic(where: Where) -> Statement:
    """EventRulesPublishToEncryptedTopic: the account's EventBridge rules send to the topic.

    Follows the Amazon SNS Developer Guide, "Enable compatibility between event sources from AWS
    services and encrypted topics" (events.amazonaws.com), with the source account condition of
    the CloudWatch statement above.
    """
    # Without it EventBridge's delivery to the encrypted topic fails (the rule's
    # FailedInvocations metric counts it); the topic policy names the exact rules.
    return {
        "Sid": "EventRulesPublishToEncryptedTopic",
        "Effect": "Allow",
        "Principal": {"Service": "events.amazonaws.com"},
        "Action": ["kms:Decrypt", "kms:GenerateDataKey*"],
        "Resource": "*",
        "Condition": {"StringEquals": {"aws:SourceAccount": where.account_id}},
    }


def trail_bucket_policy(where: Where, *, bucket_arn: str, trail_arn: str) -> str:
    """CloudTrail may check the ACL and write its own files; nobody may use plain HTTP.

    Follows the AWS CloudTrail User Guide, "Amazon S3 bucket policy for CloudTrail" (the
    AWSCloudTrailAclCheck and AWSCloudTrailWrite statements with aws:SourceArn), and the Amazon
    S3 User Guide, "Examples of Amazon S3 bucket policies" (deny requests that are not HTTPS:
    aws:SecureTransport false).
    """
    return document(
        {
            "Sid": "CloudTrailAclCheck",
            "Effect": "Allow",
            "Principal": {"Service": "cloudtrail.amazonaws.com"},
            "Action": "s3:GetBucketAcl",
            "Resource": bucket_arn,
            "Condition": {"StringEquals": {"aws:SourceArn": trail_arn}},
        },
        {
            "Sid": "CloudTrailWrite",
            "Effect": "Allow",
            "Principal": {"Service": "cloudtrail.amazonaws.com"},
            "Action": "s3:PutObject",
            "Resource": f"{bucket_arn}/AWSLogs/{where.account_id}/*",
            "Condition": {
                "StringEquals": {
                    "s3:x-amz-acl": "bucket-owner-full-control",
                    "aws:SourceArn": trail_arn,
                }
            },
        },
        {
            "Sid": "DenyInsecureTransport",
            "Effect": "Deny",
            "Principal": "*",
            "Action": "s3:*",
            "Resource": [bucket_arn, f"{bucket_arn}/*"],
            "Condition": {"Bool": {"aws:SecureTransport": "false"}},
        },
    )


def trail_role_trust(where: Where, *, trail_arn: str) -> str:
    """Only this account's trail may assume the delivery role.

    Follows the AWS CloudTrail User Guide, "Sending events to CloudWatch Logs" (the role trusts
    cloudtrail.amazonaws.com with sts:AssumeRole), with the aws:SourceAccount and aws:SourceArn
    conditions of its "Cross-service confused deputy prevention" page.
    """
    return document(
        {
            "Effect": "Allow",
            "Principal": {"Service": "cloudtrail.amazonaws.com"},
            "Action": "sts:AssumeRole",
            "Condition": {
                "StringEquals": {"aws:SourceAccount": where.account_id},
                "ArnLike": {"aws:SourceArn": trail_arn},
            },
        }
    )


def trail_role_permissions(where: Where, *, log_group_arn: str) -> str:
    """The role's single statement: write CloudTrail's own log streams of one log group.

    Follows the AWS CloudTrail User Guide, "Role policy document for CloudTrail to use
    CloudWatch Logs for monitoring": logs:CreateLogStream and logs:PutLogEvents on the streams
    CloudTrail names `<account>_CloudTrail_<trail home region>[_<n>]` ("CloudWatch log group and
    log stream naming for CloudTrail"), so not on any other stream of the group.
    """
    return document(
        {
            "Sid": "DeliverToOneLogGroup",
            "Effect": "Allow",
            "Action": ["logs:CreateLogStream", "logs:PutLogEvents"],
            "Resource": (
                f"{log_group_arn}:log-stream:{where.account_id}_CloudTrail_{where.region}*"
            ),
        }
    )


def alarm_topic_policy(where: Where, *, topic_arn: str, rule_arns: Sequence[str] = ()) -> str:
    """Only this account's CloudWatch alarms, and the stack's EventBridge rules sending to the
    topic, may publish to it.

    Follows the Amazon SNS Developer Guide, "Example cases for Amazon SNS access control" (its
    CloudWatch alarm case: cloudwatch.amazonaws.com may sns:Publish when aws:SourceArn is an
    alarm ARN; and "aws:SourceAccount versus aws:SourceOwner"), for this region's alarms; and
    the Amazon EventBridge User Guide, "Using resource-based policies for Amazon EventBridge"
    (Amazon SNS permissions: events.amazonaws.com may sns:Publish, aws:SourceArn the rule).
    """
    statements: list[Statement] = [
        {
            "Sid": "AccountAlarmsPublish",
            "Effect": "Allow",
            "Principal": {"Service": "cloudwatch.amazonaws.com"},
            "Action": "sns:Publish",
            "Resource": topic_arn,
            "Condition": {
                "StringEquals": {"aws:SourceAccount": where.account_id},
                "ArnLike": {"aws:SourceArn": where.arn("cloudwatch", "alarm:*")},
            },
        }
    ]
    if rule_arns:
        statements.append(
            {
                "Sid": "EventRulesPublish",
                "Effect": "Allow",
                "Principal": {"Service": "events.amazonaws.com"},
                "Action": "sns:Publish",
                "Resource": topic_arn,
                # Exactly the rules that send here, not every rule of the account.
                "Condition": {"ArnEquals": {"aws:SourceArn": list(rule_arns)}},
            }
        )
    return document(*statements)


def chatbot_role_trust() -> str:
    """AWS Chatbot assumes the channel's role (its documented trust policy)."""
    return document(
        {
            "Sid": "ChatbotAssumesRole",
            "Effect": "Allow",
            "Principal": {"Service": "chatbot.amazonaws.com"},
            "Action": "sts:AssumeRole",
        }
    )


def chatbot_role_permissions() -> str:
    """What Chatbot needs to show an alarm notification: read CloudWatch, nothing else.

    The actions are AWS's notifications-only permissions for Chatbot; CloudWatch's Describe,
    Get and List calls on metrics take no resource narrower than `*`.
    """
    return document(
        {
            "Sid": "ReadAlarmsForNotifications",
            "Effect": "Allow",
            "Action": ["cloudwatch:Describe*", "cloudwatch:Get*", "cloudwatch:List*"],
            "Resource": "*",
        }
    )


def chatbot_guardrail(where: Where) -> str:
    """The channel guardrail: whatever a channel member's role allows, at most read CloudWatch.

    Without a guardrail AWS Chatbot applies AdministratorAccess.
    """
    return f"arn:{where.partition}:iam::aws:policy/CloudWatchReadOnlyAccess"
