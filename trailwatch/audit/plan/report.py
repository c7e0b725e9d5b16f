"""What a plan review finds: findings (weakenings first) over the stacks' plans.

Every class has a `to_json()`; `Report.to_json()` is the `plan-report --format json` document,
with hidden values as their marker text.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Literal

from trailwatch.audit.plan.parse import ACTIONS, Action, StackPlan

# A strengthening (an exclusion rule removed or narrowed, a shadow alarm made live) is said,
# so that a reviewer sees what a change gives back, and never fails the gate.
Kind = Literal["weakening", "review", "strengthening"]


@dataclass(frozen=True)
class PatternChange:
    """A filter pattern that changes, and which catalog samples change their result."""

    event_id: str | None
    before: str
    after: str
    stops_matching: tuple[str, ...]
    starts_matching: tuple[str, ...]
    # Set when the samples could not be evaluated (no catalog entry, a pattern the engine rejects).
    unchecked: str | None = None

    @property
    def kind(self) -> Kind:
        # Only evidence that the pattern got broader (and nowhere narrower) spares it the
        # weakening flag: a change no sample tells apart may narrow it in ways no sample covers.
        return "review" if self.starts_matching and not self.stops_matching else "weakening"

    @property
    def reason(self) -> str:
        subject = "filter pattern changed"
        if self.event_id:
            subject = f"filter pattern of {self.event_id} changed"
        if self.unchecked:
            return f"{subject}: {self.unchecked}"
        if self.stops_matching:
            n = len(self.stops_matching)
            verb = "no longer matches" if n == 1 else "no longer match"
            return f"{subject}: {n} catalog sample{'s' if n != 1 else ''} {verb}"
        if self.starts_matching:
            n = len(self.starts_matching)
            verb = "matches" if n == 1 else "match"
            return f"{subject}: broader, {n} more catalog sample{'s' if n != 1 else ''} {verb}"
        return f"{subject}: no catalog sample changes its result; check it by hand"

    def to_json(self) -> dict[str, Any]:
        return {
            "event": self.event_id,
            "before": self.before,
            "after": self.after,
            "no_longer_match": list(self.stops_matching),
            "now_match": list(self.starts_matching),
            "unchecked": self.unchecked,
        }


@dataclass(frozen=True)
class ResourceRef:
    """Where a finding is: a resource address in a stack."""

    stack: str
    address: str

    def to_json(self) -> dict[str, Any]:
        return {"stack": self.stack, "address": self.address}


@dataclass(frozen=True)
class Finding:
    """Something a reviewer must look at; the same reason in several places is one finding."""

    kind: Kind
    reason: str
    resources: tuple[ResourceRef, ...]
    pattern: PatternChange | None = None

    @property
    def weakening(self) -> bool:
        return self.kind == "weakening"

    def to_json(self) -> dict[str, Any]:
        return {
            "kind": self.kind,
            "reason": self.reason,
            "resources": [r.to_json() for r in self.resources],
            "pattern": None if self.pattern is None else self.pattern.to_json(),
        }


@dataclass(frozen=True)
class Report:
    stacks: tuple[StackPlan, ...]
    findings: tuple[Finding, ...]

    @property
    def weakenings(self) -> int:
        return sum(1 for f in self.findings if f.weakening)

    @property
    def verdict(self) -> str:
        if not self.findings:
            return "No security-relevant change"
        count = len(self.findings)
        text = f"{count} change{'s' if count != 1 else ''} to review"
        if self.weakenings:
            text += f" ({self.weakenings} weakening{'s' if self.weakenings != 1 else ''})"
        return text

    def counts(self) -> dict[Action, int]:
        return {a: sum(s.counts()[a] for s in self.stacks) for a in ACTIONS}

    def to_json(self) -> dict[str, Any]:
        """The report as one JSON object (masked values appear as their marker text)."""
        return {
            "verdict": self.verdict,
            "weakenings": self.weakenings,
            "to_review": len(self.findings),
            "findings": [f.to_json() for f in self.findings],
            "stacks": [s.to_json() for s in self.stacks],
        }
