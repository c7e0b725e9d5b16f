"""The one seam to the CDK: the engine's core classes and its AWS provider bindings.

Every other module in `stacks/` and `main.py` imports the CDK from here, never from `cdktf`,
`cdktn` or `constructs` directly, so the engine is chosen in one place:

- `TRAILWATCH_CDK=cdktf` (the default engine, CDKTF 0.21, archived) or `TRAILWATCH_CDK=cdktn`
  (CDK Terrain, the community fork; `make install CDK=cdktn` installs its environment);
- unset: `cdktf` if it is installed, else `cdktn` (so `.tools/cdktn/bin/python main.py` just works).

Both engines have the same Python API under another module name, and their provider bindings
the same classes: only the package names differ. So the classes are loaded by name at run time
(`CORE_CLASSES`, `PROVIDER_CLASSES`) from the chosen engine's packages, while type checkers read
cdktf's under `TYPE_CHECKING`. A stack needing another class adds it to both.

Fast provider import: `cdktf_cdktf_provider_aws/__init__.py` imports all ~2,200 resource modules
(9-20 s, up to 1.7 GB). Each resource module only needs the package's `_jsii` assembly loader, so
we register the package without executing its `__init__` and import just the modules we use.
`cdktn_provider_aws`'s `__init__` is lazy already; the same shortcut skips it all the same. If the
full package was imported already (the benchmark's baseline does that), this changes nothing.
"""

from __future__ import annotations

import importlib
import importlib.util
import os
import sys
from collections.abc import Mapping
from typing import TYPE_CHECKING

# The same package under both engines.
from constructs import Construct

# Engine name -> (core module, AWS provider bindings package).
ENGINES = {
    "cdktf": ("cdktf", "cdktf_cdktf_provider_aws"),
    "cdktn": ("cdktn", "cdktn_provider_aws"),
}
ENGINE_VARIABLE = "TRAILWATCH_CDK"


def choose_engine(environ: Mapping[str, str] = os.environ) -> str:
    """The engine the environment names, else the first one installed (cdktf before cdktn)."""
    named = environ.get(ENGINE_VARIABLE, "").strip()
    if named:
        if named not in ENGINES:
            raise ImportError(f"{ENGINE_VARIABLE}={named!r}: expected one of {', '.join(ENGINES)}")
        return named
    for engine, (core, _) in ENGINES.items():
        if importlib.util.find_spec(core) is not None:
            return engine
    raise ImportError("no CDK is installed (neither cdktf nor cdktn); run `make install`")


ENGINE = choose_engine()
CORE_MODULE, PROVIDER_PACKAGE = ENGINES[ENGINE]


def _install_hint() -> str:
    return "run `make install CDK=cdktn`" if ENGINE == "cdktn" else "run `make install`"


def _register_bare_package() -> None:
    if PROVIDER_PACKAGE in sys.modules:
        return
    spec = importlib.util.find_spec(PROVIDER_PACKAGE)
    if spec is None or spec.submodule_search_locations is None:
        raise ImportError(f"{PROVIDER_PACKAGE} is not installed; {_install_hint()}")
    sys.modules[PROVIDER_PACKAGE] = importlib.util.module_from_spec(spec)


# What the stacks use: the engine's core classes, and the provider classes by resource module.
CORE_CLASSES = (
    "App",
    "LocalBackend",
    "S3Backend",
    "TerraformProvider",
    "TerraformStack",
    "Testing",
)
PROVIDER_CLASSES = {
    "chatbot_slack_channel_configuration": ("ChatbotSlackChannelConfiguration",),
    "chatbot_teams_channel_configuration": ("ChatbotTeamsChannelConfiguration",),
    "cloudtrail": ("Cloudtrail",),
    "cloudwatch_dashboard": ("CloudwatchDashboard",),
    "cloudwatch_event_rule": ("CloudwatchEventRule",),
    "cloudwatch_event_target": (
        "CloudwatchEventTarget",
        "CloudwatchEventTargetInputTransformer",
    ),
    "cloudwatch_log_group": ("CloudwatchLogGroup",),
    "cloudwatch_log_metric_filter": (
        "CloudwatchLogMetricFilter",
        "CloudwatchLogMetricFilterMetricTransformation",
    ),
    "cloudwatch_metric_alarm": ("CloudwatchMetricAlarm",),
    "data_aws_caller_identity": ("DataAwsCallerIdentity",),
    "data_aws_partition": ("DataAwsPartition",),
    "iam_role": ("IamRole",),
    "iam_role_policy": ("IamRolePolicy",),
    "kms_alias": ("KmsAlias",),
    "kms_key": ("KmsKey",),
    "provider": (
        "AwsProvider",
        "AwsProviderAssumeRole",
        "AwsProviderDefaultTags",
        "AwsProviderEndpoints",
    ),
    "s3_bucket": ("S3Bucket",),
    "s3_bucket_lifecycle_configuration": (
        "S3BucketLifecycleConfiguration",
        "S3BucketLifecycleConfigurationRule",
        "S3BucketLifecycleConfigurationRuleAbortIncompleteMultipartUpload",
        "S3BucketLifecycleConfigurationRuleExpiration",
        "S3BucketLifecycleConfigurationRuleFilter",
        "S3BucketLifecycleConfigurationRuleNoncurrentVersionExpiration",
        "S3BucketLifecycleConfigurationRuleTransition",
    ),
    "s3_bucket_ownership_controls": (
        "S3BucketOwnershipControls",
        "S3BucketOwnershipControlsRule",
    ),
    "s3_bucket_policy": ("S3BucketPolicy",),
    "s3_bucket_public_access_block": ("S3BucketPublicAccessBlock",),
    "s3_bucket_server_side_encryption_configuration": (
        "S3BucketServerSideEncryptionConfigurationA",
        "S3BucketServerSideEncryptionConfigurationRuleA",
        "S3BucketServerSideEncryptionConfigurationRuleApplyServerSideEncryptionByDefaultA",
    ),
    "s3_bucket_versioning": (
        "S3BucketVersioningA",
        "S3BucketVersioningVersioningConfiguration",
    ),
    "sns_topic": ("SnsTopic",),
    "sns_topic_policy": ("SnsTopicPolicy",),
    "sns_topic_subscription": ("SnsTopicSubscription",),
}


def _load() -> dict[str, object]:
    """The classes above, from the engine's core module and its bindings' resource modules."""
    try:
        core = importlib.import_module(CORE_MODULE)
    except ImportError as err:
        raise ImportError(f"{CORE_MODULE} is not installed ({err}); {_install_hint()}") from None
    classes = {name: getattr(core, name) for name in CORE_CLASSES}
    _register_bare_package()
    for module, names in PROVIDER_CLASSES.items():
        loaded = importlib.import_module(f"{PROVIDER_PACKAGE}.{module}")
        classes.update((name, getattr(loaded, name)) for name in names)
    return classes


if TYPE_CHECKING:
    # Type checkers see the default engine's classes (cdktn's have the same API). These
    # imports and the tables above name the same classes: tests/test_cdk_engines.py checks.
    from cdktf import App, LocalBackend, S3Backend, TerraformProvider, TerraformStack, Testing
    from cdktf_cdktf_provider_aws.chatbot_slack_channel_configuration import (
        ChatbotSlackChannelConfiguration,
    )
    from cdktf_cdktf_provider_aws.chatbot_teams_channel_configuration import (
        ChatbotTeamsChannelConfiguration,
    )
    from cdktf_cdktf_provider_aws.cloudtrail import Cloudtrail
    from cdktf_cdktf_provider_aws.cloudwatch_dashboard import CloudwatchDashboard
    from cdktf_cdktf_provider_aws.cloudwatch_event_rule import CloudwatchEventRule
    from cdktf_cdktf_provider_aws.cloudwatch_event_target import (
        CloudwatchEventTarget,
        CloudwatchEventTargetInputTransformer,
    )
    from cdktf_cdktf_provider_aws.cloudwatch_log_group import CloudwatchLogGroup
    from cdktf_cdktf_provider_aws.cloudwatch_log_metric_filter import (
        CloudwatchLogMetricFilter,
        CloudwatchLogMetricFilterMetricTransformation,
    )
    from cdktf_cdktf_provider_aws.cloudwatch_metric_alarm import CloudwatchMetricAlarm
    from cdktf_cdktf_provider_aws.data_aws_caller_identity import DataAwsCallerIdentity
    from cdktf_cdktf_provider_aws.data_aws_partition import DataAwsPartition
    from cdktf_cdktf_provider_aws.iam_role import IamRole
    from cdktf_cdktf_provider_aws.iam_role_policy import IamRolePolicy
    from cdktf_cdktf_provider_aws.kms_alias import KmsAlias
    from cdktf_cdktf_provider_aws.kms_key import KmsKey
    from cdktf_cdktf_provider_aws.provider import (
        AwsProvider,
        AwsProviderAssumeRole,
        AwsProviderDefaultTags,
        AwsProviderEndpoints,
    )
    from cdktf_cdktf_provider_aws.s3_bucket import S3Bucket
    from cdktf_cdktf_provider_aws.s3_bucket_lifecycle_configuration import (
        S3BucketLifecycleConfiguration,
        S3BucketLifecycleConfigurationRule,
        S3BucketLifecycleConfigurationRuleAbortIncompleteMultipartUpload,
        S3BucketLifecycleConfigurationRuleExpiration,
        S3BucketLifecycleConfigurationRuleFilter,
        S3BucketLifecycleConfigurationRuleNoncurrentVersionExpiration,
        S3BucketLifecycleConfigurationRuleTransition,
    )
    from cdktf_cdktf_provider_aws.s3_bucket_ownership_controls import (
        S3BucketOwnershipControls,
        S3BucketOwnershipControlsRule,
    )
    from cdktf_cdktf_provider_aws.s3_bucket_policy import S3BucketPolicy
    from cdktf_cdktf_provider_aws.s3_bucket_public_access_block import S3BucketPublicAccessBlock
    from cdktf_cdktf_provider_aws.s3_bucket_server_side_encryption_configuration import (
        S3BucketServerSideEncryptionConfigurationA,
        S3BucketServerSideEncryptionConfigurationRuleA,
        S3BucketServerSideEncryptionConfigurationRuleApplyServerSideEncryptionByDefaultA,
    )
    from cdktf_cdktf_provider_aws.s3_bucket_versioning import (
        S3BucketVersioningA,
        S3BucketVersioningVersioningConfiguration,
    )
    from cdktf_cdktf_provider_aws.sns_topic import SnsTopic
    from cdktf_cdktf_provider_aws.sns_topic_policy import SnsTopicPolicy
    from cdktf_cdktf_provider_aws.sns_topic_subscription import SnsTopicSubscription
else:
    globals().update(_load())

__all__ = [
    "App",
    "AwsProvider",
    "AwsProviderAssumeRole",
    "AwsProviderDefaultTags",
    "AwsProviderEndpoints",
    "ChatbotSlackChannelConfiguration",
    "ChatbotTeamsChannelConfiguration",
    "CORE_CLASSES",
    "CORE_MODULE",
    "Cloudtrail",
    "CloudwatchDashboard",
    "CloudwatchEventRule",
    "CloudwatchEventTarget",
    "CloudwatchEventTargetInputTransformer",
    "CloudwatchLogGroup",
    "CloudwatchLogMetricFilter",
    "CloudwatchLogMetricFilterMetricTransformation",
    "CloudwatchMetricAlarm",
    "Construct",
    "DataAwsCallerIdentity",
    "DataAwsPartition",
    "ENGINE",
    "ENGINES",
    "ENGINE_VARIABLE",
    "IamRole",
    "IamRolePolicy",
    "KmsAlias",
    "KmsKey",
    "LocalBackend",
    "PROVIDER_CLASSES",
    "PROVIDER_PACKAGE",
    "S3Backend",
    "S3Bucket",
    "S3BucketLifecycleConfiguration",
    "S3BucketLifecycleConfigurationRule",
    "S3BucketLifecycleConfigurationRuleAbortIncompleteMultipartUpload",
    "S3BucketLifecycleConfigurationRuleExpiration",
    "S3BucketLifecycleConfigurationRuleFilter",
    "S3BucketLifecycleConfigurationRuleNoncurrentVersionExpiration",
    "S3BucketLifecycleConfigurationRuleTransition",
    "S3BucketOwnershipControls",
    "S3BucketOwnershipControlsRule",
    "S3BucketPolicy",
    "S3BucketPublicAccessBlock",
    "S3BucketServerSideEncryptionConfigurationA",
    "S3BucketServerSideEncryptionConfigurationRuleA",
    "S3BucketServerSideEncryptionConfigurationRuleApplyServerSideEncryptionByDefaultA",
    "S3BucketVersioningA",
    "S3BucketVersioningVersioningConfiguration",
    "SnsTopic",
    "SnsTopicPolicy",
    "SnsTopicSubscription",
    "TerraformProvider",
    "TerraformStack",
    "Testing",
    "choose_engine",
]
