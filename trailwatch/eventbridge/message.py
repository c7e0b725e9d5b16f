"""The message an EventBridge rule sends: its input transformer, as data, and a faithful rendering.

The rule's target sends this instead of the raw event: one readable message saying who did what,
from where, when, with a link to the record in the CloudTrail console. `INPUT_PATHS` are the
transformer's variables (JSON paths into CloudTrail's EventBridge event, whose `detail` is the
CloudTrail record); `input_template` is one quoted line per line of the message, so an e-mail
subscriber reads lines, not JSON.

`render` does what EventBridge does with them (Amazon EventBridge User Guide, "Amazon
EventBridge input transformation" and the API reference's InputTransformer): each `<name>` of
the template is replaced by the value at its path, a string as it is (EventBridge does not
escape extracted values), a number or boolean as JSON text, an object or array as JSON without
its inner quotes (so the line stays a valid string); a path the event does not have creates no
variable, and its placeholder is left empty.
"""

from __future__ import annotations

import json
import re
from collections.abc import Mapping
from typing import Any

# Variable -> JSON path in the event EventBridge receives from CloudTrail.
INPUT_PATHS: dict[str, str] = {
    "actor_arn": "$.detail.userIdentity.arn",
    "actor_type": "$.detail.userIdentity.type",
    "event_name": "$.detail.eventName",
    "event_source": "$.detail.eventSource",
    "account": "$.account",
    "region": "$.detail.awsRegion",
    "source_ip": "$.detail.sourceIPAddress",
    "user_agent": "$.detail.userAgent",
    "error_code": "$.detail.errorCode",
    "error_message": "$.detail.errorMessage",
    "time": "$.detail.eventTime",
    "event_id": "$.detail.eventID",
}

# The lines of the message after its heading; `<name>` is a variable of INPUT_PATHS. The link
# is the CloudTrail console's event history page of the one record (by its event id).
LINES: tuple[str, ...] = (
    "Who: <actor_arn> (<actor_type>)",
    "Did: <event_name> on <event_source>",
    "Where: account <account>, region <region>, from <source_ip>",
    "User agent: <user_agent>",
    "Error: <error_code> <error_message>",
    "When: <time>",
    "Record: https://<region>.console.aws.amazon.com/cloudtrailv2/home?region=<region>"
    "#/events/<event_id>",
)

_PLACEHOLDER = re.compile(r"<([A-Za-z0-9_.-]+)>")


def heading(title: str, severity: str, event_id: str) -> str:
    """The message's first line: what happened and how urgent it is."""
    return f"[{severity.upper()}] {title} (trailwatch event {event_id})"


def input_template(title: str, severity: str, event_id: str) -> str:
    """The target's input template: the heading and `LINES`, each a JSON string on its line.

    The heading is fixed text (escaped like any JSON string); `<`, `>` in a title would read as
    a placeholder, so they are left out of it.
    """
    fixed = heading(title, severity, event_id).replace("<", "").replace(">", "")
    return "\n".join(json.dumps(line) for line in (fixed, *LINES))


def _lookup(event: Mapping[str, Any], path: str) -> tuple[bool, Any]:
    """The value at a `$.a.b` path, and whether the event has it."""
    value: Any = event
    for step in path.removeprefix("$.").split("."):
        if not isinstance(value, Mapping) or step not in value:
            return False, None
        value = value[step]
    return True, value


def _text(value: Any) -> str:
    if isinstance(value, str):
        return value
    if isinstance(value, (dict, list)):
        # Inside a string EventBridge drops an object's or array's inner quotes.
        return json.dumps(value, separators=(",", ":")).replace('"', "")
    return json.dumps(value)


def render(template: str, paths: Mapping[str, str], event: Mapping[str, Any]) -> str:
    """What the target receives for `event`: the template with every variable filled in."""
    values = {}
    for name, path in paths.items():
        found, value = _lookup(event, path)
        if found:
            values[name] = _text(value)
    return _PLACEHOLDER.sub(lambda m: values.get(m.group(1), ""), template)


def readable(rendered: str) -> str:
    """The rendered message as a person reads it: each quoted line without its quotes."""
    return "\n".join(line.strip()[1:-1] for line in rendered.splitlines())
