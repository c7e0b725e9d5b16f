"""IAM, key, bucket and topic policy documents, as plain dicts.

Values such as the account id are Terraform references (cdktf tokens) rendered into strings, so
every statement can be scoped by a condition on the exact account, trail or log group.
"""

from __future__ import annotations

import json
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
    where: Where, *, trail_arn: str | None, log_group_name: str | None, alarms: bool
) -> str:
    """Who may use the customer key: the account's admins, and each service only for its job."""
    statements: list[Statement] = [
        {
            "Sid": "AccountAdministers",
            "Effect": "Allow",
            "Principal": {"AWS": f"arn:{where.partition}:iam::{where.account_id}:root"},
            "Action": "kms:*",
            "Resource": "*",
        }
    ]
    if trail_arn:
        statements.append(
            {
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
        )
        # A DescribeKey request carries no encryption context, so it cannot share the statement
        # above: AWS's documented CloudTrail key policy gives it its own, scoped by the trail.
        statements.append(
            {
                "Sid": "CloudTrailDescribesKey",
                "Effect": "Allow",
                "Principal": {"Service": "cloudtrail.amazonaws.com"},
                "Action": "kms:DescribeKey",
                "Resource": "*",
                "Condition": {"StringEquals": {"aws:SourceArn": trail_arn}},
            }
        )
    if log_group_name:
        statements.append(
            {
                "Sid": "CloudWatchLogsEncryptsLogGroup",
                "Effect": "Allow",
                "Principal": {"Service": f"logs.{where.region}.amazonaws.com"},
                "Action": [
                    "kms:Encrypt*",
                    "kms:Decrypt*",
                    "kms:ReEncrypt*",
                    "kms:GenerateDataKey*",
                    "kms:Describe*",
                ],
                "Resource": "*",
                "Condition": {
                    "ArnEquals": {
                        "kms:EncryptionContext:aws:logs:arn": where.arn(
                            "logs", f"log-group:{log_group_name}"
                        )
                    }
                },
            }
        )
    if alarms:
        # Without this, alarms cannot publish to the encrypted topic, and nothing says so.
        statements.append(
            {
                "Sid": "CloudWatchAlarmsPublishToEncryptedTopic",
                "Effect": "Allow",
                "Principal": {"Service": "cloudwatch.amazonaws.com"},
                "Action": ["kms:Decrypt", "kms:GenerateDataKey*"],
                "Resource": "*",
                "Condition": {"StringEquals": {"aws:SourceAccount": where.account_id}},
            }
        )
    return document(*statements)


def trail_bucket_policy(where: Where, *, bucket_arn: str, trail_arn: str) -> str:
    """CloudTrail may check the ACL and write its own files; nobody may use plain HTTP."""
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
    """Only this account's trail may assume the delivery role."""
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


def trail_role_permissions(log_group_arn: str) -> str:
    """The role's single statement: write log streams of one log group, nothing else."""
    return document(
        {
            "Sid": "DeliverToOneLogGroup",
            "Effect": "Allow",
            "Action": ["logs:CreateLogStream", "logs:PutLogEvents"],
            "Resource": f"{log_group_arn}:log-stream:*",
        }
    )


def alarm_topic_policy(where: Where, *, topic_arn: str) -> str:
    """Only this account's CloudWatch alarms may publish to the topic."""
    return document(
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
    )


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
