"""Every built-in event's severity, reviewed, and the reason for it in the event's own file."""

from __future__ import annotations

from tests.helpers import REPO
from trailwatch.spec.catalog import SEVERITIES, load_catalog

CATALOG = load_catalog([REPO / "events"])

# The review of issue 15: what pages (critical, high), what mails, what goes to a channel.
REVIEWED = {
    "root-account-usage": "critical",
    "cloudtrail-changes": "critical",
    "kms-key-disable-or-deletion": "high",
    "iam-policy-changes": "high",
    "console-signin-without-mfa": "high",
    "organizations-changes": "high",
    "aws-config-changes": "high",
    "s3-bucket-activity": "medium",
    "security-group-changes": "medium",
    "nacl-changes": "medium",
    "network-gateway-changes": "medium",
    "route-table-changes": "medium",
    "vpc-changes": "medium",
    "console-signin-failures": "medium",
    "ec2-large-instance-changes": "medium",
    "authorization-failures": "low",
    "ec2-instance-changes": "low",
}


def test_every_event_has_its_reviewed_severity() -> None:
    assert {event_id: e.severity for event_id, e in CATALOG.items()} == REVIEWED


def test_every_built_in_event_says_why_it_has_its_severity() -> None:
    for event_id, event in CATALOG.items():
        assert event.severity_reason and len(event.severity_reason) > 40, event_id


def test_severities_are_ordered_most_urgent_first() -> None:
    assert SEVERITIES == ("critical", "high", "medium", "low")
