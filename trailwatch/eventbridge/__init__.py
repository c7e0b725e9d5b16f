"""EventBridge: the catalog's patterns as EventBridge event patterns, and the alert message.

`translate(pattern)` turns a CloudWatch Logs filter pattern into an EventBridge event pattern on
CloudTrail's EventBridge events, or says which constructs have no EventBridge equivalent.
`event_limits(catalog)` lists, event by event, what the EventBridge path does not do as the
alarm does; `wrap(record)` is a CloudTrail record as the event EventBridge receives. This
package imports no cdktf: `stacks/` builds the rules from what it returns.
"""

from __future__ import annotations

from trailwatch.eventbridge.compiler import DETAIL_TYPES, Translation, pattern_text, translate
from trailwatch.eventbridge.envelope import wrap
from trailwatch.eventbridge.limits import EventLimit, event_limits

__all__ = [
    "DETAIL_TYPES",
    "EventLimit",
    "Translation",
    "event_limits",
    "pattern_text",
    "translate",
    "wrap",
]
