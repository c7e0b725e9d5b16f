"""Names shared by `stacks/` (which writes them) and every reader (which reverses them).

Stacks, logical ids and tags are an interface: state files, plans and dashboards key on them,
so they are made and parsed in this one place and nowhere else.
"""

from __future__ import annotations

import re

STACK_PREFIX = "trailwatch-"
# Every resource of a target carries this tag (the provider's default tags), naming the target.
TARGET_TAG = "trailwatch-target"
MANAGED_BY_TAG = "managed-by"
# The bindings pin the provider they were generated from (6.25.0); the resources used here have
# the same arguments in 5.x, and the offline mirror on build machines has 5.100.0.
AWS_PROVIDER_CONSTRAINT = ">= 5.100, < 7.0"

# Logical ids of the resources a stack has at most one of.
TOPIC_ID = "alarm_topic"
TOPIC_POLICY_ID = "alarm_topic_policy"
ACCOUNT_DATA_ID = "current"

_FILTER_PREFIX = "filter_"
_ALARM_PREFIX = "alarm_"
_SUBSCRIPTION_PREFIX = "alarm_topic_subscription_"
_STACK_IN_TEXT = re.compile(r"trailwatch-[a-z0-9](?:[a-z0-9-]*[a-z0-9])?")


def stack_name(target_name: str) -> str:
    """The CDKTF stack (and state file) of a target."""
    return f"{STACK_PREFIX}{target_name}"


def target_of_stack(stack: str) -> str | None:
    """The target a stack name belongs to; None for a name trailwatch did not make."""
    return stack.removeprefix(STACK_PREFIX) if stack.startswith(STACK_PREFIX) else None


def stack_in_text(text: str) -> str | None:
    """The first stack name inside a file name such as `plan-trailwatch-eu.json`."""
    found = _STACK_IN_TEXT.search(text)
    return found.group(0) if found else None


def _id_part(event_id: str) -> str:
    # Event ids are lower-case words joined by "-" (the catalog enforces it), never "_": the
    # replacement below is therefore exactly reversible.
    return event_id.replace("-", "_")


def filter_id(event_id: str) -> str:
    """Terraform logical id of an event's metric filter."""
    return f"{_FILTER_PREFIX}{_id_part(event_id)}"


def alarm_id(event_id: str) -> str:
    """Terraform logical id of an event's alarm."""
    return f"{_ALARM_PREFIX}{_id_part(event_id)}"


def subscription_id(index: int) -> str:
    """Terraform logical id of the alarm topic's n-th subscription."""
    return f"{_SUBSCRIPTION_PREFIX}{index}"


def event_of_filter(logical_id: str) -> str | None:
    """The event id behind a filter's logical id; None when trailwatch did not name it."""
    if not logical_id.startswith(_FILTER_PREFIX):
        return None
    return logical_id.removeprefix(_FILTER_PREFIX).replace("_", "-")


def event_of_alarm(logical_id: str) -> str | None:
    """The event id behind an alarm's logical id; None when trailwatch did not name it."""
    # The topic's ids share the prefix: `alarm_topic` is no event's alarm.
    if not logical_id.startswith(_ALARM_PREFIX) or logical_id == TOPIC_ID:
        return None
    if logical_id.startswith((_SUBSCRIPTION_PREFIX, TOPIC_POLICY_ID)):
        return None
    return logical_id.removeprefix(_ALARM_PREFIX).replace("_", "-")
