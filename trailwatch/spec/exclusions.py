"""Optional exclusions: records some alarms ignore, at the price of exact compliance.

Each exclusion ANDs a clause onto the patterns of the events it concerns. The deployed pattern is
then no longer the CIS / Security Hub text, so the model marks the alarm as not exact, synth warns,
and `trailwatch coverage` reports "exclusion added".
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

from trailwatch.spec.overrides import ExclusionRule, Exclusions, MatchKey
from trailwatch.spec.rule_values import glob_of_value, needs_regex, pattern_value

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
    description: str


# A rule's `match` keys (the README shows this table).
MATCH_FIELDS: dict[MatchKey, MatchField] = {
    "principal_arn": MatchField("$.userIdentity.arn", "the caller's ARN"),
    "principal_type": MatchField(
        "$.userIdentity.type", "IAMUser, AssumedRole, Root, AWSService, ..."
    ),
    "account_id": MatchField("$.recipientAccountId", "the account the call was made in"),
    "event_source": MatchField("$.eventSource", "the service, such as s3.amazonaws.com"),
    "event_name": MatchField("$.eventName", "the API call, such as GetBucketPolicy"),
    "error_code": MatchField("$.errorCode", "AccessDenied, Client.UnauthorizedOperation"),
    "source_ip": MatchField("$.sourceIPAddress", "an address or a service's host name"),
    "user_agent": MatchField("$.userAgent", "the caller's user agent"),
    "region": MatchField("$.awsRegion", "the region of the call"),
}


def rule_pattern(rule: ExclusionRule) -> str:
    """The records the rule describes, as a pattern of its own: every key holds."""
    tests = [f"({MATCH_FIELDS[k].selector} = {pattern_value(v)})" for k, v in rule.match.items()]
    return "{ " + " && ".join(tests) + " }"


def rule_clause(rule: ExclusionRule) -> str:
    """NOT the rule: some key does not hold. A record without the field does not hold it."""
    return match_clause(rule.match)


def match_clause(match: Mapping[MatchKey, str]) -> str:
    """NOT (every key holds), for a rule's `match`."""
    tests = []
    for key, value in match.items():
        field = MATCH_FIELDS[key]
        differs = f"({field.selector} != {pattern_value(value)})"
        # A missing field, or one that is JSON null, matches neither `=` nor `!=`: without the
        # NOT EXISTS and IS NULL tests a record that lacks the field would be dropped, though
        # the rule does not describe it.
        # eventName, eventSource and awsRegion get the same form: a record lacking them (or
        # holding null) must stay counted, since the rule does not describe it.
        tests.append(f"(({field.selector} NOT EXISTS) || ({field.selector} IS NULL) || {differs})")
    return tests[0] if len(tests) == 1 else "(" + " || ".join(tests) + ")"


def regex_count(rule: ExclusionRule) -> int:
    """How many `%regex%` values the rule's clause holds (CloudWatch allows 2 per pattern)."""
    return sum(needs_regex(value) for value in rule.match.values())


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


@dataclass(frozen=True)
class Decomposed:
    """A deployed pattern read back into what `with_clauses` made it from."""

    # The pattern's text inside its braces before any exclusion (the whole text if not JSON).
    base: str
    # Clauses that are not exclusion rules (the shorthand exclusions), as written.
    clauses: tuple[str, ...]
    # Each exclusion rule's `match`, in the order of the clauses.
    rules: tuple[dict[MatchKey, str], ...]


# `(SELECTOR != VALUE)`, the one test of a rule's clause that carries its key and value.
_DIFFERS = re.compile(r'\((\$\.[A-Za-z.]+) != ("[^"]*"|%[^%]*%)\)')
_KEY_OF_SELECTOR = {field.selector: key for key, field in MATCH_FIELDS.items()}


def decompose(pattern: str) -> Decomposed:
    """Base, shorthand clauses and rules of a pattern trailwatch wrote (plan review reads a
    filter's pattern with it). A pattern `with_clauses` did not write is all base."""
    text = pattern.strip()
    plain = Decomposed(text[1:-1].strip() if text.startswith("{") else text, (), ())
    if not (text.startswith("{ (") and text.endswith(" }")):
        return plain
    parts = _top_level(text[2:-2], " && ")
    if len(parts) < 2 or not (parts[0].startswith("(") and parts[0].endswith(")")):
        return plain
    base, clauses = parts[0][1:-1].strip(), parts[1:]
    if with_clauses("{ " + base + " }", clauses) != text:
        return plain
    others, rules = [], []
    for clause in clauses:
        match = _match_of_clause(clause)
        if match is None:
            others.append(clause)
        else:
            rules.append(match)
    return Decomposed(base, tuple(others), tuple(rules))


def _match_of_clause(clause: str) -> dict[MatchKey, str] | None:
    """The `match` whose `match_clause` is exactly this clause, or None."""
    match: dict[MatchKey, str] = {}
    for selector, written in _DIFFERS.findall(clause):
        key = _KEY_OF_SELECTOR.get(selector)
        value = glob_of_value(written)
        if key is None or value is None or key in match:
            return None
        match[key] = value
    return match if match and match_clause(match) == clause else None


def _top_level(text: str, separator: str) -> list[str]:
    """`text` split at each `separator` outside parentheses, quotes and regexes."""
    parts, depth, start, i = [], 0, 0, 0
    while i < len(text):
        char = text[i]
        if char in '"%':
            close = text.find(char, i + 1)
            while char == '"' and close > 0 and text[close - 1] == "\\":
                close = text.find(char, close + 1)
            i = len(text) if close < 0 else close + 1
            continue
        depth += {"(": 1, ")": -1}.get(char, 0)
        if depth == 0 and text.startswith(separator, i):
            parts.append(text[start:i])
            i = start = i + len(separator)
            continue
        i += 1
    return [*parts, text[start:]]
