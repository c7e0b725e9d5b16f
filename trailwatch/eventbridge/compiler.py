"""A filter pattern's syntax tree → an EventBridge event pattern (interface; being built)."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

# CloudTrail's events on the default bus (management API calls and console sign-ins).
DETAIL_TYPES = ("AWS API Call via CloudTrail", "AWS Console Sign In via CloudTrail")


@dataclass(frozen=True)
class Translation:
    """An event pattern (None when the filter pattern has no EventBridge equivalent)."""

    event_pattern: dict[str, Any] | None
    # Why constructs of the filter pattern cannot be said in EventBridge (empty when exact).
    limits: tuple[str, ...] = field(default=())


def translate(pattern: str) -> Translation:
    """The EventBridge event pattern that matches the records the filter pattern matches."""
    raise NotImplementedError("the EventBridge compiler is being built")
