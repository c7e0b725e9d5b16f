"""The config's shared field types: patterns its strings must match, the region check, the base.

Every config model builds on these: the `FieldPattern`s (with the wording that
`describe_validation_error` uses), the region check against botocore's partition data, the
`Name`, `Region`, `AccountId` and `LogGroupName` types, and `_Strict`, the frozen base model that
refuses unknown fields.
"""

from __future__ import annotations

import functools
import importlib.util
import json
import re
from pathlib import Path
from typing import Annotated

from pydantic import AfterValidator, BaseModel, ConfigDict, Field

from trailwatch.errors import FieldPattern

EMAIL = r"^[^@\s]+@[^@\s]+\.[^@\s]+$"
REGION = FieldPattern(r"^[a-z]{2}(-gov|-iso[a-z]?)?-[a-z]+-\d$", "an AWS region such as us-east-1")
TARGET_NAME = FieldPattern(
    r"^[a-z0-9]([a-z0-9-]{0,18}[a-z0-9])?$", "1-20 lower-case letters, digits and inner hyphens"
)
ACCOUNT_ID = FieldPattern(r"^\d{12}$", "a 12-digit account id, quoted")
LOG_GROUP_NAME = FieldPattern(
    r"^[A-Za-z0-9_\-/.#]{1,512}$", "a log group name: letters, digits and _ - / . #"
)
ROLE_ARN = FieldPattern(
    r"^arn:aws[a-z-]*:iam::\d{12}:role/.+$", "an IAM role ARN (arn:aws:iam::123456789012:role/NAME)"
)
EMAIL_ADDRESS = FieldPattern(EMAIL, "an e-mail address")
TOPIC_ARN = FieldPattern(
    r"^arn:aws[a-z-]*:sns:[a-z0-9-]+:\d{12}:\S+$",
    "an SNS topic ARN (arn:aws:sns:REGION:ACCOUNT:NAME)",
)
RULE_ID = FieldPattern(
    r"^[a-z0-9]([a-z0-9-]{0,62}[a-z0-9])?$", "1-64 lower-case letters, digits and inner hyphens"
)
# A value a filter pattern can quote: no double quote or backslash, no newline.
RULE_VALUE = FieldPattern(
    r'^[^"\\\n\r]{1,256}$', '1-256 characters without " or \\ (* is a wildcard)'
)
SERVICE_LINKED_ROLE = FieldPattern(
    r"^AWSServiceRoleFor[A-Za-z0-9+=,.@_-]{1,60}$",
    "a service-linked role name such as AWSServiceRoleForConfig",
)
BUCKET_NAME = FieldPattern(
    r"^[a-z0-9][a-z0-9.\-]{1,61}[a-z0-9]$",
    "an S3 bucket name (3-63 lower-case letters, digits, . and -)",
)
KEY_PREFIX = FieldPattern(r"^[A-Za-z0-9_\-./]+$", "an S3 key prefix of letters, digits and _ - . /")
NAMESPACE = FieldPattern(
    r"^[A-Za-z0-9_.\-/#:]{1,255}$", "a CloudWatch namespace: letters, digits and _ . - / # :"
)
NAME_PREFIX = FieldPattern(r"^[A-Za-z0-9_\-]{0,40}$", "up to 40 letters, digits, _ and -")
PROFILE_NAME = FieldPattern(r"^[a-z][a-z0-9-]*$", "a profile name such as securityhub or prowler")
ENDPOINT_URL = FieldPattern(r"^https?://\S+$", "an http(s) URL such as http://127.0.0.1:5000")
CHANNEL_NAME = FieldPattern(
    r"^[a-z0-9]([a-z0-9-]{0,30}[a-z0-9])?$", "1-32 lower-case letters, digits and inner hyphens"
)
SLACK_WORKSPACE_ID = FieldPattern(
    r"^[0-9A-Z]{1,255}$", "a Slack workspace id such as T0123ABCD (AWS Chatbot console)"
)
SLACK_CHANNEL_ID = FieldPattern(
    r"^[A-Za-z0-9]{1,255}$", "a Slack channel id such as C0123ABCD (the end of its link)"
)
TEAMS_ID = FieldPattern(
    r"^[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}$",
    "a Microsoft Teams id, a UUID such as 5ad4b2cd-1b25-4a70-a0ad-0bbd9ac9d1a2",
)
TEAMS_CHANNEL_ID = FieldPattern(
    r"^[A-Za-z0-9\-_=+/.,:@%]{1,255}$",
    "a Teams channel id as in the channel's link, such as 19%3ab6ef35dc%40thread.tacv2",
)
# Every field pattern of the module, for `describe_validation_error`.
FIELD_PATTERNS = (
    REGION,
    TARGET_NAME,
    ACCOUNT_ID,
    LOG_GROUP_NAME,
    ROLE_ARN,
    EMAIL_ADDRESS,
    TOPIC_ARN,
    SERVICE_LINKED_ROLE,
    RULE_ID,
    RULE_VALUE,
    BUCKET_NAME,
    KEY_PREFIX,
    NAMESPACE,
    NAME_PREFIX,
    PROFILE_NAME,
    ENDPOINT_URL,
    CHANNEL_NAME,
    SLACK_WORKSPACE_ID,
    SLACK_CHANNEL_ID,
    TEAMS_ID,
    TEAMS_CHANNEL_ID,
)
Name = Annotated[
    str,
    Field(pattern=TARGET_NAME.regex),
]


@functools.cache
def known_regions() -> frozenset[str]:
    """Every region of every AWS partition, from the partition data botocore ships.

    botocore's endpoint resolver reads the same `data/partitions.json`. Read directly, the file
    costs about a millisecond, where importing `botocore.loaders` costs 100 ms or more: the
    config loads on every command. Only listed regions count. A partition's `regionRegex` would
    accept `eu-wset-1` too (the aws partition's takes any `eu-word-N`), so a region newer than
    the installed botocore is refused until boto3 and botocore are upgraded, which the drill and
    state commands need for it anyway. Empty when botocore is missing: then only the shape is
    checked.
    """
    spec = importlib.util.find_spec("botocore")
    if spec is None or not spec.submodule_search_locations:
        return frozenset()
    path = Path(next(iter(spec.submodule_search_locations))) / "data" / "partitions.json"
    try:
        partitions = json.loads(path.read_text(encoding="utf-8"))["partitions"]
        return frozenset(
            region
            for partition in partitions
            for region in partition["regions"]
            # Skip the partitions' pseudo-regions (aws-global, aws-cn-global, ...).
            if re.fullmatch(partition["regionRegex"], region)
        )
    except (OSError, ValueError, KeyError, TypeError):
        return frozenset()


def _existing_region(value: str) -> str:
    regions = known_regions()
    if regions and value not in regions:
        raise ValueError(
            "not an AWS region botocore knows (for a new region, upgrade boto3)"
            + _closest(value, regions)
        )
    return value


def _closest(value: str, known: frozenset[str]) -> str:
    import difflib

    def score(candidate: str) -> float:
        return difflib.SequenceMatcher(None, value, candidate).ratio()

    matches = difflib.get_close_matches(value, sorted(known), n=3, cutoff=0.6)
    if not matches:
        return ""
    # `us-est-2` is as close to us-east-2 as to us-west-2: name both.
    best = max(score(m) for m in matches)
    return "; did you mean " + " or ".join(sorted(m for m in matches if score(m) == best)) + "?"


# A region that has the shape of one, and that exists.
Region = Annotated[str, Field(pattern=REGION.regex), AfterValidator(_existing_region)]
AccountId = Annotated[str, Field(pattern=ACCOUNT_ID.regex)]
LogGroupName = Annotated[
    str,
    Field(pattern=LOG_GROUP_NAME.regex),
]


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)
