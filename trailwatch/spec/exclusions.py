"""Optional exclusions: records some alarms ignore, at the price of exact compliance.

Each exclusion ANDs a clause onto the patterns of the events it concerns. The deployed pattern is
then no longer the CIS / Security Hub text, so the model marks the alarm as not exact, synth warns,
and `trailwatch coverage` reports "exclusion added".
"""

from __future__ import annotations

from collections.abc import Sequence

from trailwatch.spec.overrides import Exclusions

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
    return found


def with_clauses(pattern: str, clauses: Sequence[str]) -> str:
    """`{ (PATTERN) && CLAUSE && ... }` for a JSON pattern `{ PATTERN }`."""
    inner = pattern.strip()[1:-1].strip()
    return "{ (" + inner + ") && " + " && ".join(clauses) + " }"
