"""EventBridge: the catalog's patterns as EventBridge event patterns, and the alert message.

`translate(pattern)` turns a CloudWatch Logs filter pattern into an EventBridge event pattern on
CloudTrail's EventBridge events, or says which constructs have no EventBridge equivalent. This
package imports no cdktf: `stacks/` builds the rules from what it returns.
"""

from __future__ import annotations

from trailwatch.eventbridge.compiler import Translation, translate

__all__ = ["Translation", "translate"]
