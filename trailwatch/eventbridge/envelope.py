"""A CloudTrail record as EventBridge delivers it: the event envelope around the record.

CloudTrail sends each management event to the default bus of the region it happened in, with
the record itself as `detail` (AWS documents the shape under "Events from AWS services via
CloudTrail"). Matching an event pattern against the record needs this envelope, since the
pattern names `detail-type`, `source` and `detail.*`.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

# CloudTrail's eventType (lower-cased: one shared record spells it "AwsConsoleSignin") -> the
# envelope's detail-type; another type gets "<eventType> via CloudTrail", no rule's type.
DETAIL_TYPE = {
    "awsapicall": "AWS API Call via CloudTrail",
    "awsconsolesignin": "AWS Console Sign In via CloudTrail",
    "awsserviceevent": "AWS Service Event via CloudTrail",
    "awsconsoleaction": "AWS Console Action via CloudTrail",
}


def wrap(record: dict[str, Any]) -> dict[str, Any]:
    """The EventBridge event CloudTrail sends for one record (`detail` is the record itself)."""
    event_type = str(record.get("eventType") or "AwsApiCall")
    service = str(record.get("eventSource") or "").split(".", 1)[0]
    identity = record.get("userIdentity")
    account = record.get("recipientAccountId") or (
        identity.get("accountId") if isinstance(identity, Mapping) else None
    )
    return {
        "version": "0",
        "id": str(record.get("eventID") or "00000000-0000-0000-0000-000000000000"),
        "detail-type": DETAIL_TYPE.get(event_type.lower(), f"{event_type} via CloudTrail"),
        # Console sign-ins come from signin.amazonaws.com: source aws.signin, as for any service.
        "source": f"aws.{service}" if service else "aws.cloudtrail",
        "account": str(account or ""),
        "time": str(record.get("eventTime") or ""),
        "region": str(record.get("awsRegion") or ""),
        "resources": [],
        "detail": dict(record),
    }


# The name the readers' brief gave it; `wrap` is the compiler's name for the same function.
envelope = wrap
