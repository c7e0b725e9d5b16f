"""Each event's sample records run against the pattern it deploys: its evidence."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from trailwatch.errors import CatalogError
from trailwatch.patterns import compile_pattern
from trailwatch.spec.alarms import Alarm
from trailwatch.spec.exclusions import rule_pattern
from trailwatch.spec.model import Deployment

# An event proves its pattern with at least this many records of each kind.
MIN_SAMPLES = 2


@dataclass(frozen=True)
class SampleResult:
    """One sample record: what it should do and what it did."""

    note: str
    should_match: bool
    matched: bool
    # The exclusion rule that describes a record the event should match: the deployed pattern
    # must then drop it.
    excluded_by: str | None = None

    @property
    def ok(self) -> bool:
        return (self.should_match and self.excluded_by is None) == self.matched


@dataclass(frozen=True)
class EventEvidence:
    """All samples of one enabled event under the deployment's profile."""

    event_id: str
    samples: tuple[SampleResult, ...]
    # The event file's `no_samples_reason`: why it proves nothing with records (an event no
    # record can show, say). Such an event counts as proven only while it has no samples.
    no_samples_reason: str | None = None

    def count(self, *, should_match: bool) -> int:
        return sum(1 for s in self.samples if s.should_match == should_match)

    @property
    def failures(self) -> tuple[SampleResult, ...]:
        return tuple(s for s in self.samples if not s.ok)

    @property
    def enough(self) -> bool:
        if self.no_samples_reason is not None and not self.samples:
            return True
        return (
            self.count(should_match=True) >= MIN_SAMPLES
            and self.count(should_match=False) >= MIN_SAMPLES
        )

    @property
    def ok(self) -> bool:
        return self.enough and not self.failures

    def to_json(self) -> dict[str, Any]:
        """The event's entry in `trailwatch test --json` (under its id)."""
        return {
            "ok": self.ok,
            "match": self.count(should_match=True),
            "no_match": self.count(should_match=False),
            "failures": [s.note for s in self.failures],
        }


@dataclass(frozen=True)
class EvidenceReport:
    """Every enabled event's evidence under one profile: what `trailwatch test` reports."""

    profile: str
    events: tuple[EventEvidence, ...]

    @property
    def failed(self) -> tuple[EventEvidence, ...]:
        """Events not proven: a sample did the wrong thing, or too few samples."""
        return tuple(e for e in self.events if not e.ok)

    @property
    def ok(self) -> bool:
        return not self.failed

    def to_json(self) -> dict[str, Any]:
        """The `trailwatch test --json` document."""
        return {
            "profile": self.profile,
            "ok": self.ok,
            "events": {e.event_id: e.to_json() for e in self.events},
        }


def check_evidence(deployment: Deployment) -> EvidenceReport:
    """Run every enabled event's samples against the pattern the deployment gives it."""
    results = []
    for alarm in deployment.alarms:
        pattern = compile_pattern(alarm.pattern)
        samples = alarm.event.samples_for(deployment.profile)
        rules = [(r.id, compile_pattern(rule_pattern(r))) for r in alarm.rules]
        outcomes = [
            SampleResult(
                s.note,
                should_match,
                pattern.matches(s.record),
                next((i for i, p in rules if should_match and p.matches(s.record)), None),
            )
            for should_match, group in ((True, samples.match), (False, samples.no_match))
            for s in group
        ]
        results.append(EventEvidence(alarm.id, tuple(outcomes), alarm.event.no_samples_reason))
    return EvidenceReport(deployment.profile, tuple(results))


def prove_samples(deployment: Deployment) -> Deployment:
    """Every enabled event proves the pattern it deploys with its samples, or says why it has none.

    The pattern is the deployed one, after the profile and the config's exclusions: an exclusion
    that drops a record the event's samples must match is the config's doing, and says so.
    """
    problems = []
    for evidence in check_evidence(deployment).failed:
        alarm = deployment.alarm(evidence.event_id)
        if alarm.samples_skipped is not None:
            continue  # the config's pattern, deployed without its samples on purpose
        event = alarm.event
        variant = event.profiles.get(deployment.profile)
        field = (
            f"profiles.{deployment.profile}.samples" if variant and variant.samples else "samples"
        )
        where = f"{deployment.catalog.source(event.id)}: {field}:"
        if evidence.failures:
            wrong = dict.fromkeys(
                f"{s.note!r} "
                + (
                    f"is described by exclusions.rules.{s.excluded_by} but still matches"
                    if s.excluded_by
                    else "should match but does not"
                    if s.should_match
                    else "matches but should not"
                )
                for s in evidence.failures
            )
            problems.append(
                f"{where} " + "; ".join(wrong) + f" ({_deployed(deployment, alarm)}; "
                "`trailwatch test` shows every sample)"
            )
        else:
            problems.append(
                f"{where} {evidence.count(should_match=True)} that must match and "
                f"{evidence.count(should_match=False)} that must not; an enabled event needs at "
                f"least {MIN_SAMPLES} of each, or no_samples_reason: saying why it has none"
            )
    if problems:
        raise CatalogError("\n".join(problems))
    return deployment


def _deployed(deployment: Deployment, alarm: Alarm) -> str:
    """Which pattern the samples ran against, in words."""
    changes = [f"profile {deployment.profile}"] if alarm.event.profiles else []
    changes += [f"exclusions.{name}" for name in alarm.exclusions]
    changes += [alarm.pattern_override] if alarm.pattern_override else []
    return "the deployed pattern" + (", with " + ", ".join(changes) if changes else "")
