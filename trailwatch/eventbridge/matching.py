"""An EventBridge event pattern judged against CloudTrail records, by moto's matcher.

moto implements EventBridge's matching (prefix, suffix, wildcard, anything-but, exists, numeric,
`$or`) independently of trailwatch's compiler, so plan review and the tests use it as the judge
of what a pattern catches, in-process. Records are wrapped in CloudTrail's envelope first.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from typing import Any, Protocol

from trailwatch.eventbridge.envelope import wrap


class EventMatcher(Protocol):
    def matches(self, record: Mapping[str, Any]) -> bool: ...


class _MotoPattern:
    def __init__(self, pattern: Mapping[str, Any]) -> None:
        # Imported here: only plan review and the tests match EventBridge patterns.
        from moto.events.models import EventPattern

        self._pattern = EventPattern.load(json.dumps(pattern))

    def matches(self, record: Mapping[str, Any]) -> bool:
        # moto types the event as its own TypedDict; the envelope has exactly its keys.
        return bool(self._pattern.matches_event(wrap(dict(record))))  # type: ignore[arg-type]


def event_matcher(pattern: str | Mapping[str, Any]) -> EventMatcher:
    """A matcher of CloudTrail records for an event pattern (JSON text or data).

    Raises ValueError when the text is not a JSON object.
    """
    data = json.loads(pattern) if isinstance(pattern, str) else pattern
    if not isinstance(data, Mapping):
        raise ValueError("an event pattern is a JSON object")
    return _MotoPattern(data)
