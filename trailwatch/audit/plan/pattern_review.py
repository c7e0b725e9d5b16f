"""Filter pattern changes, judged by the catalog's samples: which stop or start matching."""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence

from trailwatch.audit.plan.masking import Hidden, show
from trailwatch.audit.plan.parse import ResourceChange
from trailwatch.audit.plan.report import PatternChange
from trailwatch.errors import TrailwatchError
from trailwatch.inventory.model import MetricFilter
from trailwatch.inventory.resources import Resource, metric_filter
from trailwatch.spec.catalog import EventDefinition, Sample
from trailwatch.spec.overrides import ExclusionRule


def filters_of(change: ResourceChange) -> tuple[MetricFilter, MetricFilter]:
    """A metric filter change's before and after, as the inventory models filters."""
    return (
        metric_filter(Resource(change.type, change.name, change.before)),
        metric_filter(Resource(change.type, change.name, change.after)),
    )


class Evidence:
    """Catalog samples per event, and which of them a pattern change moves."""

    def __init__(
        self,
        catalog: Mapping[str, EventDefinition],
        profile: str,
        rules: Sequence[ExclusionRule] = (),
    ) -> None:
        self.catalog = catalog
        self.profile = profile
        # The config's exclusion rules, which name the rules read back from a pattern.
        self.rules = tuple(rules)
        self._by_metric = {e.metric_name: e.id for e in catalog.values()}

    def event_of(self, change: ResourceChange) -> str | None:
        """The event a filter counts: from its logical id (`filter_<id>`), else its name."""
        before, after = filters_of(change)
        if before.event_id in self.catalog:
            return before.event_id
        name = (before if change.before else after).name
        for metric_name, event_id in self._by_metric.items():
            # Metric names carry the config's name_prefix.
            if name.endswith(metric_name):
                return event_id
        return None

    def samples(self, event_id: str) -> list[Sample]:
        """Every sample of the event (this profile's first), each record once."""
        event = self.catalog[event_id]
        sets = [event.samples_for(self.profile), event.samples]
        sets += [v.samples for v in event.profiles.values() if v.samples]
        seen: set[str] = set()
        out = []
        for samples in sets:
            for sample in (*samples.match, *samples.no_match):
                key = json.dumps(sample.record, sort_keys=True, default=str)
                if key not in seen:
                    seen.add(key)
                    out.append(sample)
        return out


def pattern_change(c: ResourceChange, evidence: Evidence) -> PatternChange | None:
    """How a filter's pattern changes and which samples move; None when it does not change."""
    if c.action not in ("update", "replace") or not c.changed("pattern"):
        return None
    before = show(c.shown_before("pattern"))
    after = show(c.shown_after("pattern"))
    event_id = evidence.event_of(c)

    def unchecked(why: str) -> PatternChange:
        return PatternChange(event_id, before, after, (), (), why)

    if Hidden.SENSITIVE.value in (before, after):
        return unchecked("the pattern is marked sensitive")
    if not c.known("pattern"):
        return unchecked("the new pattern is known at apply")
    if event_id is None:
        return unchecked("no catalog event for this filter")
    # Imported here: only pattern changes need the engine.
    from trailwatch.patterns import compile_pattern

    try:
        old, new = compile_pattern(before), compile_pattern(after)
    except TrailwatchError as err:
        return unchecked(f"not evaluated: {err}")
    stops, starts = [], []
    for sample in evidence.samples(event_id):
        was, now = old.matches(sample.record), new.matches(sample.record)
        if was and not now:
            stops.append(sample.note)
        elif now and not was:
            starts.append(sample.note)
    return PatternChange(event_id, before, after, tuple(stops), tuple(starts))
