"""The trail and its storage: bucket, log group and the role that delivers to it."""

from __future__ import annotations

from stacks.aws import (
    Cloudtrail,
    CloudwatchLogGroup,
    Construct,
    IamRole,
    IamRolePolicy,
    S3Bucket,
    S3BucketLifecycleConfiguration,
    S3BucketLifecycleConfigurationRule,
    S3BucketLifecycleConfigurationRuleAbortIncompleteMultipartUpload,
    S3BucketLifecycleConfigurationRuleExpiration,
    S3BucketLifecycleConfigurationRuleFilter,
    S3BucketLifecycleConfigurationRuleNoncurrentVersionExpiration,
    S3BucketLifecycleConfigurationRuleTransition,
    S3BucketOwnershipControls,
    S3BucketOwnershipControlsRule,
    S3BucketPolicy,
    S3BucketPublicAccessBlock,
    S3BucketServerSideEncryptionConfigurationA,
    S3BucketServerSideEncryptionConfigurationRuleA,
    S3BucketServerSideEncryptionConfigurationRuleApplyServerSideEncryptionByDefaultA,
    S3BucketVersioningA,
    S3BucketVersioningVersioningConfiguration,
)
from stacks.policies import Where, trail_bucket_policy, trail_role_permissions, trail_role_trust
from trailwatch.spec.targets import CreateTrail


def trail_arn(where: Where, name: str) -> str:
    """The trail's ARN, known before the trail exists (its policies must name it first)."""
    return where.arn("cloudtrail", f"trail/{name}")


class Trail(Construct):
    """A CloudTrail trail writing to an encrypted bucket and, through a role, to a log group."""

    def __init__(
        self,
        scope: Construct,
        construct_id: str,
        *,
        where: Where,
        name: str,
        settings: CreateTrail,
        bucket_name: str,
        log_group_name: str,
        key_arn: str,
    ) -> None:
        super().__init__(scope, construct_id)
        arn = trail_arn(where, name)
        bucket = _log_bucket(self, bucket_name=bucket_name, settings=settings, key_arn=key_arn)
        bucket_policy = S3BucketPolicy(
            self,
            "policy",
            bucket=bucket.id,
            policy=trail_bucket_policy(where, bucket_arn=bucket.arn, trail_arn=arn),
        )
        bucket_policy.override_logical_id("log_bucket_policy")

        self.log_group = CloudwatchLogGroup(
            self,
            "log-group",
            name=log_group_name,
            retention_in_days=settings.retention_days,
            kms_key_id=key_arn,
        )
        self.log_group.override_logical_id("log_group")
        role, role_policy = _delivery_role(
            self, where=where, name=name, trail=arn, log_group_arn=self.log_group.arn
        )

        self.trail = Cloudtrail(
            self,
            "trail",
            name=name,
            s3_bucket_name=bucket.id,
            is_multi_region_trail=settings.multi_region,
            include_global_service_events=settings.include_global_service_events,
            enable_log_file_validation=True,
            enable_logging=True,
            kms_key_id=key_arn,
            # The provider's log group ARN has no `:*`; CloudTrail wants it.
            cloud_watch_logs_group_arn=f"{self.log_group.arn}:*",
            cloud_watch_logs_role_arn=role.arn,
            depends_on=[bucket_policy, role_policy],
        )
        self.trail.override_logical_id("trail")


# The helpers below add their resources to the Trail construct itself, not to nested
# constructs, so that construct paths (and so the synthesized JSON) stay as they are.


def _log_bucket(
    scope: Construct, *, bucket_name: str, settings: CreateTrail, key_arn: str
) -> S3Bucket:
    """The log bucket: private, owner-enforced, versioned, KMS-encrypted, archived, expired."""
    bucket = S3Bucket(scope, "bucket", bucket=bucket_name)
    bucket.override_logical_id("log_bucket")
    S3BucketPublicAccessBlock(
        scope,
        "public-access",
        bucket=bucket.id,
        block_public_acls=True,
        block_public_policy=True,
        ignore_public_acls=True,
        restrict_public_buckets=True,
    ).override_logical_id("log_bucket_public_access_block")
    S3BucketOwnershipControls(
        scope,
        "ownership",
        bucket=bucket.id,
        rule=S3BucketOwnershipControlsRule(object_ownership="BucketOwnerEnforced"),
    ).override_logical_id("log_bucket_ownership")
    S3BucketVersioningA(
        scope,
        "versioning",
        bucket=bucket.id,
        versioning_configuration=S3BucketVersioningVersioningConfiguration(status="Enabled"),
    ).override_logical_id("log_bucket_versioning")
    S3BucketServerSideEncryptionConfigurationA(
        scope,
        "encryption",
        bucket=bucket.id,
        rule=[
            S3BucketServerSideEncryptionConfigurationRuleA(
                apply_server_side_encryption_by_default=(
                    S3BucketServerSideEncryptionConfigurationRuleApplyServerSideEncryptionByDefaultA(
                        sse_algorithm="aws:kms", kms_master_key_id=key_arn
                    )
                ),
                bucket_key_enabled=True,
            )
        ],
    ).override_logical_id("log_bucket_encryption")
    _lifecycle(scope, bucket, settings)
    return bucket


def _lifecycle(scope: Construct, bucket: S3Bucket, settings: CreateTrail) -> None:
    """Log files go to Glacier, then expire; old versions and stalled uploads are removed."""
    S3BucketLifecycleConfiguration(
        scope,
        "lifecycle",
        bucket=bucket.id,
        rule=[
            S3BucketLifecycleConfigurationRule(
                id="archive-then-expire-log-files",
                status="Enabled",
                filter=[S3BucketLifecycleConfigurationRuleFilter(prefix="")],
                transition=[
                    S3BucketLifecycleConfigurationRuleTransition(
                        days=settings.log_file_glacier_days, storage_class="GLACIER"
                    )
                ],
                expiration=[
                    S3BucketLifecycleConfigurationRuleExpiration(
                        days=settings.log_file_expiration_days
                    )
                ],
                noncurrent_version_expiration=[
                    S3BucketLifecycleConfigurationRuleNoncurrentVersionExpiration(
                        noncurrent_days=settings.log_file_glacier_days
                    )
                ],
                abort_incomplete_multipart_upload=[
                    S3BucketLifecycleConfigurationRuleAbortIncompleteMultipartUpload(
                        days_after_initiation=7
                    )
                ],
            )
        ],
    ).override_logical_id("log_bucket_lifecycle")


def _delivery_role(
    scope: Construct, *, where: Where, name: str, trail: str, log_group_arn: str
) -> tuple[IamRole, IamRolePolicy]:
    """The role CloudTrail assumes to write the log group's streams, and its one policy."""
    role = IamRole(
        scope,
        "role",
        name=f"{name}-delivery",
        description="CloudTrail delivers to the trailwatch log group",
        assume_role_policy=trail_role_trust(where, trail_arn=trail),
    )
    role.override_logical_id("delivery_role")
    role_policy = IamRolePolicy(
        scope,
        "role-policy",
        name="deliver-to-log-group",
        role=role.id,
        policy=trail_role_permissions(where, log_group_arn=log_group_arn),
    )
    role_policy.override_logical_id("delivery_role_policy")
    return role, role_policy
