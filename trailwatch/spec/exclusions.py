"""Optional exclusions: records some alarms ignore, at the price of exact compliance.

Each exclusion ANDs a clause onto the patterns of the events it concerns. The deployed pattern is
then no longer the CIS / Security Hub text, so the model marks the alarm as not exact, synth warns,
and `trailwatch coverage` reports "exclusion added".
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from trailwatch.spec.overrides import ExclusionRule, Exclusions, MatchKey

ISSUER = "$.userIdentity.sessionContext.sessionIssuer.userName"


def sign_in_clause() -> str:
    # IAM Identity Center and SAML sign-ins arrive as AssumedRole; MFA happens at the identity
    # provider. userIdentity.type is present in every record, so `!=` alone is safe.
    return '($.userIdentity.type != "AssumedRole")'


def service_role_clause(roles: Sequence[str]) -> str:
    # A missing field matches neither `=` nor `!=`: without the NOT EXISTS half, every denial of
    # an IAM user or root (no sessionContext) would be dropped too.
    tests = [f'({ISSUER} != "{role}")' for role in roles]
    combined = tests[0] if len(tests) == 1 else "(" + " && ".join(tests) + ")"
    return f"(({ISSUER} NOT EXISTS) || {combined})"


@dataclass(frozen=True)
class MatchField:
    """The CloudTrail field behind a rule's `match` key."""

    selector: str
    # CloudTrail writes the field in every record: `!=` alone keeps the records it must keep.
    always_present: bool
    description: str


# A rule's `match` keys (the README shows this table).
MATCH_FIELDS: dict[MatchKey, MatchField] = {
    "principal_arn": MatchField("$.userIdentity.arn", False, "the caller's ARN"),
    "principal_type": MatchField(
        "$.userIdentity.type", False, "IAMUser, AssumedRole, Root, AWSService, ..."
    ),
    "account_id": MatchField("$.recipientAccountId", False, "the account the call was made in"),
    "event_source": MatchField("$.eventSource", True, "the service, such as s3.amazonaws.com"),
    "event_name": MatchField("$.eventName", True, "the API call, such as GetBucketPolicy"),
    "error_code": MatchField("$.errorCode", False, "AccessDenied, Client.UnauthorizedOperation"),
    "source_ip": MatchField("$.sourceIPAddress", False, "an address or a service's host name"),
    "user_agent": MatchField("$.userAgent", False, "the caller's user agent"),
    "region": MatchField("$.awsRegion", True, "the region of the call"),
}


def rule_pattern(rule: ExclusionRule) -> str:
    """The records the rule describes, as a pattern of its own: every key holds."""
    tests = [f'({MATCH_FIELDS[key].selector} = "{value}")' for key, value in rule.match.items()]
    return "{ " + " && ".join(tests) + " }"


def rule_clause(rule: ExclusionRule) -> str:
    """NOT the rule: some key does not hold. A record without the field does not hold it."""
    tests = []
    for key, value in rule.match.items():
        field = MATCH_FIELDS[key]
        differs = f'({field.selector} != "{value}")'
        # A missing field matches neither `=` nor `!=`: without NOT EXISTS a record that lacks
        # the field would be dropped, though the rule does not describe it.
        tests.append(
            differs if field.always_present else f"(({field.selector} NOT EXISTS) || {differs})"
        )
    return tests[0] if len(tests) == 1 else "(" + " || ".join(tests) + ")"


def rules_for(event_id: str, exclusions: Exclusions) -> tuple[ExclusionRule, ...]:
    """The config's rules that name an event."""
    return tuple(rule for rule in exclusions.rules if event_id in rule.events)


def clauses_for(event_id: str, exclusions: Exclusions) -> list[tuple[str, str]]:
    """(exclusion field, clause) pairs that apply to an event."""
    found = []
    if exclusions.assumed_role_console_signins and event_id == "console-signin-failures":
        found.append(("assumed_role_console_signins", sign_in_clause()))
    if exclusions.service_linked_role_denials and event_id == "authorization-failures":
        found.append(
            (
                "service_linked_role_denials",
                service_role_clause(exclusions.service_linked_role_denials),
            )
        )
    found += [(f"rules.{rule.id}", rule_clause(rule)) for rule in rules_for(event_id, exclusions)]
    return found


def with_clauses(pattern: str, clauses: Sequence[str]) -> str:
    """`{ (PATTERN) && CLAUSE && ... }` for a JSON pattern `{ PATTERN }`."""
    inner = pattern.strip()[1:-1].strip()
    return "{ (" + inner + ") && " + " && ".join(clauses) + " }"
