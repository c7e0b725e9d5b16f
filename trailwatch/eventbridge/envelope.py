"""A CloudTrail record as the event CloudTrail puts on EventBridge's default bus.

The envelope is EventBridge's (`version`, `id`, `detail-type`, `source`, `account`, `time`,
`region`, `resources`, `detail`); the record itself is the `detail`. The detail-type follows the
record's `eventType` (AWS's "CloudTrail events" page of the EventBridge guide); `source` is
`aws.` and the service's name from `eventSource`, so console sign-ins come from `aws.signin`.
"""

from __future__ import annotations

import uuid
from typing import Any

from trailwatch.eventbridge.compiler import DETAIL_TYPES, READ_ONLY_PREFIXES

API_CALL, CONSOLE_SIGN_IN = DETAIL_TYPES

# eventType → detail-type, compared case-insensitively (one shared record spells it
# "AwsConsoleSignin"). The EventBridge guide lists these five; another eventType (network
# activity's AwsVpceEvent) gets "<eventType> via CloudTrail", which is what matters here: not
# one of the two detail-types the rules take.
DETAIL_TYPE_OF_EVENT_TYPE = {
    "awsapicall": API_CALL,
    "awsconsolesignin": CONSOLE_SIGN_IN,
    "awsserviceevent": "AWS Service Event via CloudTrail",
    "awsconsoleaction": "AWS Console Action via CloudTrail",
    "awscloudtrailinsight": "AWS Insight via CloudTrail",
}
# Records older than eventType (eventVersion 1.0x): a sign-in is one of these calls on signin.
SIGN_IN_EVENT_NAMES = frozenset({"ConsoleLogin", "CheckMfa", "SwitchRole", "ExitRole"})
# Fixed, so that a record always wraps into the same event.
_ID_NAMESPACE = uuid.UUID("5f0c7a52-5b7e-4d2c-9a39-7d1f2c0e4a61")


def detail_type(record: dict[str, Any]) -> str:
    """The detail-type CloudTrail gives the record's event on EventBridge."""
    event_type = record.get("eventType")
    if isinstance(event_type, str):
        return DETAIL_TYPE_OF_EVENT_TYPE.get(event_type.lower(), f"{event_type} via CloudTrail")
    if (
        record.get("eventSource") == "signin.amazonaws.com"
        and record.get("eventName") in SIGN_IN_EVENT_NAMES
    ):
        return CONSOLE_SIGN_IN
    return API_CALL


def read_only_call(record: dict[str, Any]) -> bool:
    """Whether EventBridge treats the record as a read-only call: only a rule in the state
    ENABLED_WITH_ALL_CLOUDTRAIL_MANAGEMENT_EVENTS sees it."""
    name = record.get("eventName")
    return isinstance(name, str) and name.startswith(READ_ONLY_PREFIXES)


def event_source(record: dict[str, Any]) -> str:
    """`aws.<service>` for the record's `eventSource` (`ec2.amazonaws.com` → `aws.ec2`)."""
    source = record.get("eventSource")
    service = source.split(".", 1)[0] if isinstance(source, str) and source else "unknown"
    return f"aws.{service}"


def wrap(record: dict[str, Any]) -> dict[str, Any]:
    """The EventBridge event that carries the CloudTrail record."""
    identity = record.get("userIdentity")
    account = record.get("recipientAccountId")
    if not isinstance(account, str) and isinstance(identity, dict):
        account = identity.get("accountId")
    record_id = record.get("eventID")
    seed = record_id if isinstance(record_id, str) else repr(sorted(record.items()))
    return {
        "version": "0",
        "id": str(uuid.uuid5(_ID_NAMESPACE, seed)),
        "detail-type": detail_type(record),
        "source": event_source(record),
        "account": account if isinstance(account, str) else "",
        "time": record.get("eventTime", ""),
        "region": record.get("awsRegion", ""),
        "resources": [],
        "detail": record,
    }
