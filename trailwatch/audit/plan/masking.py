"""What a plan review must not show (sensitive values) or cannot (values known only at apply).

A plan carries, beside each resource's `before` and `after` values, masks of the same shape:
`before_sensitive`, `after_sensitive` and `after_unknown`, where `true` marks a value at any
depth. `hide` applies them for display; findings compare the raw values and word them with the
hidden ones, so a reason never leaks what the plan marked sensitive.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from enum import Enum
from typing import Any


class Hidden(Enum):
    """What the report shows in place of a value it must not or cannot show."""

    SENSITIVE = "(sensitive)"
    UNKNOWN = "(known after apply)"


def hide(value: Any, sensitive: Any = False, unknown: Any = False) -> Any:
    """The value with what the masks mark replaced by `Hidden` markers, at any depth."""
    if sensitive is True:
        return Hidden.SENSITIVE
    if unknown is True:
        return Hidden.UNKNOWN
    if isinstance(value, Mapping) or isinstance(unknown, Mapping):
        mapping = value if isinstance(value, Mapping) else {}
        keys = list(mapping) + [
            k
            for k, v in (unknown.items() if isinstance(unknown, Mapping) else ())
            if any_marked(v) and k not in mapping
        ]
        return {k: hide(mapping.get(k), mask_at(sensitive, k), mask_at(unknown, k)) for k in keys}
    if isinstance(value, list) or isinstance(unknown, list):
        items = value if isinstance(value, list) else []
        length = max(len(items), len(unknown) if isinstance(unknown, list) else 0)
        return [
            hide(items[i] if i < len(items) else None, mask_at(sensitive, i), mask_at(unknown, i))
            for i in range(length)
        ]
    return value


def mask_at(mask: Any, key: str | int) -> Any:
    """The part of a mask for one key of an object or index of a list (False when unmarked)."""
    if isinstance(mask, Mapping) and isinstance(key, str):
        return mask.get(key, False)
    if isinstance(mask, list) and isinstance(key, int) and key < len(mask):
        return mask[key]
    return False


def any_marked(mask: Any) -> bool:
    """True when the mask marks the value, or any part of it."""
    if mask is True:
        return True
    if isinstance(mask, Mapping):
        return any(any_marked(v) for v in mask.values())
    if isinstance(mask, list):
        return any(any_marked(v) for v in mask)
    return False


def plain(value: Any) -> Any:
    """A hidden value as JSON data: each marker becomes its text."""
    if isinstance(value, Hidden):
        return value.value
    if isinstance(value, Mapping):
        return {k: plain(v) for k, v in value.items()}
    if isinstance(value, list):
        return [plain(v) for v in value]
    return value


def marker_json(value: object) -> str:
    """`default=` for `json.dumps` of hidden values: each marker as its text."""
    if isinstance(value, Hidden):
        return value.value
    raise TypeError(f"{type(value).__name__} is not JSON serializable")


def show(value: Any) -> str:
    """A (hidden) value as a finding words it: markers and strings as they are, 3.0 as 3."""
    if isinstance(value, Hidden):
        return value.value
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    if isinstance(value, str):
        return value
    return json.dumps(value, default=marker_json, sort_keys=True)
