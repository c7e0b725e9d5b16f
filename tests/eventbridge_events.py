"""CloudTrail records as EventBridge receives them: the envelope of CloudTrail's events on the
default bus, around the record as `detail` (Amazon EventBridge User Guide, "Events from AWS
services": "AWS API Call via CloudTrail"; console sign-ins are "AWS Console Sign In via
CloudTrail")."""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

SIGN_IN = "AWS Console Sign In via CloudTrail"
API_CALL = "AWS API Call via CloudTrail"
# EventBridge's `time` is ISO 8601; some samples' eventTime is another exporter's form.
ISO_TIME = re.compile(r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ$")


FALLBACK_TIME = "2024-01-01T00:00:00Z"


def envelope(record: dict[str, Any], index: int = 0) -> dict[str, Any]:
    """The EventBridge event CloudTrail sends for one record."""
    source = str(record.get("eventSource", "")).removesuffix(".amazonaws.com")
    return {
        "version": "0",
        "id": f"00000000-0000-0000-0000-{index:012d}",
        "detail-type": SIGN_IN if record.get("eventType") == "AwsConsoleSignIn" else API_CALL,
        "source": f"aws.{source}",
        "account": str(record.get("recipientAccountId") or "123456789012"),
        "time": time if ISO_TIME.match(time := str(record.get("eventTime"))) else FALLBACK_TIME,
        "region": str(record.get("awsRegion", "us-east-1")),
        "resources": [],
        "detail": record,
    }


def shared_records(directory: Path) -> list[dict[str, Any]]:
    """Every record of the shared samples (../shared/cloudtrail-samples/*.jsonl)."""
    return [
        json.loads(line)
        for path in sorted(directory.glob("*.jsonl"))
        for line in path.read_text().splitlines()
        if line.strip()
    ]
