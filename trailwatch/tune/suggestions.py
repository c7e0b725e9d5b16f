"""Who and what is behind a noisy alarm, as exclusion rules ready to paste (never applied).

For an alarm in ALARM more than `--noisy` periods, the top principals, event names and source
IPs among its matches each become a rule snippet. A principal that is an assumed role is given
as the role with any session (`.../assumed-role/ROLE/*`): sessions change, the role does not.
"""

from __future__ import annotations

import json
import re
from collections import Counter
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

from trailwatch.spec.fields import RULE_VALUE
from trailwatch.spec.overrides import MatchKey

# Suggestions per dimension of each noisy alarm.
TOP = 3
_SESSION = re.compile(r"^(arn:[^:]+:sts::\d+:assumed-role/[^/]+)/.+$")
_VALUE = re.compile(RULE_VALUE.regex)


def _text(value: Any) -> str | None:
    return value if isinstance(value, str) and value else None


def principal_of(record: Mapping[str, Any]) -> str | None:
    """The caller's ARN, else the service that called, else its principal id."""
    identity = record.get("userIdentity")
    if not isinstance(identity, dict):
        return None
    return (
        _text(identity.get("arn"))
        or _text(identity.get("invokedBy"))
        or _text(identity.get("principalId"))
    )


def _role_arn(record: Mapping[str, Any]) -> str | None:
    identity = record.get("userIdentity")
    arn = _text(identity.get("arn")) if isinstance(identity, dict) else None
    if arn is None:
        return None
    session = _SESSION.match(arn)
    return f"{session.group(1)}/*" if session else arn


# The match keys a suggestion can use, and how a record's value for each is read.
DIMENSIONS: dict[MatchKey, Callable[[Mapping[str, Any]], str | None]] = {
    "principal_arn": _role_arn,
    "event_name": lambda record: _text(record.get("eventName")),
    "source_ip": lambda record: _text(record.get("sourceIPAddress")),
}


@dataclass(frozen=True)
class Suggestion:
    """One candidate rule: `key` = `value` is behind `count` of the alarm's `total` matches."""

    event_id: str
    periods: int
    key: MatchKey
    value: str
    count: int
    total: int
    rank: int
    # The first record seen with the value: the rule's `removes:` sample (None when the value
    # was first seen after `MAX_EVIDENCE` others).
    evidence: Mapping[str, Any] | None = None

    @property
    def rule_id(self) -> str:
        return f"{self.event_id}-{self.key.replace('_', '-')}-{self.rank}"[:64].rstrip("-")

    def snippet(self) -> str:
        """The rule as YAML for `exclusions.rules`, with what it would remove as a comment and
        one record behind it as the `removes:` sample every rule carries."""
        lines = [
            f"# behind {self.count:,} of the {self.total:,} matches",
            f"- id: {self.rule_id}",
            f"  events: [{self.event_id}]",
            f"  match: {{{self.key}: {json.dumps(self.value)}}}",
            '  reason: "TODO: why these records are expected"',
        ]
        if self.evidence is None:
            lines.append("  # removes: give one record the rule drops (note and record)")
            return "\n".join(lines)
        # The record on one line, as JSON (which YAML reads as a flow mapping): a snippet stays
        # short enough to read, and pastes as is.
        note = json.dumps(f"a record behind the alarm ({self.key} {self.value})")
        lines += [
            "  removes:",
            f"    - note: {note}",
            f"      record: {json.dumps(dict(self.evidence), separators=(', ', ': '))}",
        ]
        return "\n".join(lines)


def suggest(
    event_id: str,
    periods: int,
    total: int,
    behind: Mapping[MatchKey, Counter[str]],
    evidence: Mapping[str, Mapping[str, Mapping[str, Any]]] | None = None,
) -> list[Suggestion]:
    """The top values per dimension behind one noisy alarm (`total` matches), as suggestions."""
    found = []
    for key, counter in behind.items():
        usable = [(v, n) for v, n in counter.most_common() if _VALUE.match(v) and "*" not in v[:-1]]
        for rank, (value, count) in enumerate(usable[:TOP], start=1):
            kept = (evidence or {}).get(key, {}).get(value)
            found.append(Suggestion(event_id, periods, key, value, count, total, rank, kept))
    return found
