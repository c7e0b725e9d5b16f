"""How a record reaches a pattern: JSON patterns need an object, the others need a line of text.

Callers hand in either an already-decoded JSON object or the raw log line; each side is derived
from the other only when a pattern needs it, and never raises.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from typing import Any


def as_object(record: object) -> dict[str, Any] | None:
    """The record as a JSON object, or None when it is not one (JSON patterns never match it)."""
    if isinstance(record, dict):
        return record
    if isinstance(record, Mapping):
        return dict(record)
    if isinstance(record, bytes | bytearray):
        record = bytes(record).decode("utf-8", errors="replace")
    if isinstance(record, str):
        try:
            decoded = json.loads(record)
        except (ValueError, RecursionError):
            # Not JSON (or nested past the decoder's recursion): a JSON pattern cannot match.
            return None
        return decoded if isinstance(decoded, dict) else None
    return None


def as_text(record: object) -> str:
    """The record as the text of a log event: a line as given, anything else as compact JSON."""
    if isinstance(record, str):
        return record
    if isinstance(record, bytes | bytearray):
        return bytes(record).decode("utf-8", errors="replace")
    if isinstance(record, Mapping) and not isinstance(record, dict):
        record = dict(record)
    try:
        return json.dumps(record, separators=(",", ":"), ensure_ascii=False, default=str)
    except (ValueError, TypeError, RecursionError):
        # Circular or absurdly deep structures have no log text; nothing in them can match.
        return ""
