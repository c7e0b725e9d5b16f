"""The CloudTrail record of each drill call: `cloudtrail_record`, and `Recorder`, which makes a
call and keeps the record CloudTrail writes for it.

Records carry what CloudTrail writes for a management event: eventSource, eventName,
requestParameters and responseElements in CloudTrail's shapes (camelCase, `items` lists), the
caller's userIdentity. Fields no catalog filter reads (sourceIPAddress, userAgent) are
representative only.
"""

from __future__ import annotations

import uuid
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from trailwatch.drill.clients import USER_AGENT, Identity

EVENT_VERSION = "1.09"

EC2 = "ec2.amazonaws.com"
S3 = "s3.amazonaws.com"
IAM = "iam.amazonaws.com"
CLOUDTRAIL = "cloudtrail.amazonaws.com"

Response = Callable[[Any], Mapping[str, Any] | None]


def no_response(_result: Any) -> Mapping[str, Any] | None:
    """responseElements of a call CloudTrail records none for."""
    return None


def returns_true(_result: Any) -> Mapping[str, Any] | None:
    """responseElements of EC2's calls that answer only `true`."""
    return {"_return": True}


def cloudtrail_record(
    identity: Identity,
    *,
    region: str,
    source: str,
    name: str,
    request_parameters: Mapping[str, Any] | None,
    response_elements: Mapping[str, Any] | None,
    request_id: str,
    when: datetime,
) -> dict[str, Any]:
    """The management-event record CloudTrail writes for one API call."""
    stamp = when.strftime("%Y-%m-%dT%H:%M:%SZ")
    return {
        "eventVersion": EVENT_VERSION,
        "userIdentity": identity.user_identity(stamp),
        "eventTime": stamp,
        "eventSource": source,
        "eventName": name,
        # IAM is global: CloudTrail records its calls in us-east-1.
        "awsRegion": "us-east-1" if source == IAM else region,
        "sourceIPAddress": "192.0.2.10",
        "userAgent": f"Boto3 {USER_AGENT}",
        "requestParameters": dict(request_parameters) if request_parameters is not None else None,
        "responseElements": dict(response_elements) if response_elements is not None else None,
        "requestID": request_id,
        "eventID": str(uuid.uuid4()),
        "readOnly": False,
        "eventType": "AwsApiCall",
        "managementEvent": True,
        "recipientAccountId": identity.account,
        "eventCategory": "Management",
    }


def recorded_tags(tags: Sequence[Mapping[str, str]]) -> list[dict[str, str]]:
    """Tags as CloudTrail writes them in requestParameters."""
    return [{"key": t["Key"], "value": t["Value"]} for t in tags]


def tag_specification(
    kind: str, tags: Sequence[Mapping[str, str]]
) -> tuple[list[dict[str, Any]], dict[str, Any]]:
    """EC2's TagSpecifications for a request, and how CloudTrail writes them."""
    request = [{"ResourceType": kind, "Tags": list(tags)}]
    recorded = {"items": [{"resourceType": kind, "tags": recorded_tags(tags)}]}
    return request, recorded


@dataclass(frozen=True)
class Call:
    """One API call the drill made, the exercise that made it and the record CloudTrail
    writes for it."""

    exercise: str
    source: str
    name: str
    record: dict[str, Any]

    @property
    def label(self) -> str:
        return f"{self.source.split('.', 1)[0]}:{self.name}"


class Recorder:
    """Makes the drill's calls and keeps their records; `step` names the call under way."""

    def __init__(self, identity: Identity, region: str) -> None:
        self.identity = identity
        self.region = region
        self.calls: list[Call] = []
        self.step = "start"

    def call(
        self,
        exercise: str,
        source: str,
        name: str,
        perform: Callable[[], Any],
        params: Mapping[str, Any] | None,
        response: Response = no_response,
    ) -> Any:
        """Perform the call, record it, return boto3's answer."""
        self.step = f"{source.split('.', 1)[0]}:{name}"
        result = perform()
        request_id = str(result.get("ResponseMetadata", {}).get("RequestId", uuid.uuid4()))
        record = cloudtrail_record(
            self.identity,
            region=self.region,
            source=source,
            name=name,
            request_parameters=params,
            response_elements=response(result),
            request_id=request_id,
            when=datetime.now(UTC),
        )
        self.calls.append(Call(exercise, source, name, record))
        return result
