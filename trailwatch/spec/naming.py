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

# Logical ids of the resources a stack has at most one of. The topic, its policy and its
# subscriptions of the channel `default` (the single-topic form) keep the names they had before
# channels, so that existing deployments keep their topic.
TOPIC_ID = "alarm_topic"
TOPIC_POLICY_ID = "alarm_topic_policy"
ACCOUNT_DATA_ID = "current"
DASHBOARD_ID = "dashboard"
DEFAULT_CHANNEL = "default"
# The provider alias of the AWS Chatbot resources, when the target's region has no Chatbot API.
CHATBOT_PROVIDER = "chatbot"

# The EventBridge rule state that also shows a rule read-only management calls (Describe*,
# Get*, List*): stacks write it for patterns that can match them, plan review guards it.
RULE_STATE_ALL_MANAGEMENT_EVENTS = "ENABLED_WITH_ALL_CLOUDTRAIL_MANAGEMENT_EVENTS"

_FILTER_PREFIX = "filter_"
_ALARM_PREFIX = "alarm_"
_SUBSCRIPTION_PREFIX = "alarm_topic_subscription_"
_TOPIC_PREFIX = "alarm_topic_"
_TOPIC_POLICY_PREFIX = "alarm_topic_policy_"
_CHAT_PREFIXES = {"slack": "chat_slack_", "teams": "chat_teams_"}
_CHAT_ROLE_PREFIX = "chat_role_"
_CHAT_ROLE_POLICY_PREFIX = "chat_role_policy_"
_EVENT_RULE_PREFIX = "event_rule_"
_EVENT_TARGET_PREFIX = "event_target_"
# An EventBridge target's id joins event and channel with "__": neither part contains "__"
# (event ids and channel names are words joined by single "-").
_EVENT_TARGET = re.compile(r"^event_target_([a-z0-9_]+?)__([a-z0-9_]+)$")
_CHANNEL_SUBSCRIPTION = re.compile(r"^alarm_topic_(?:([a-z0-9_]+)_)?subscription_(\d+)$")
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


def subscription_id(index: int, channel: str = DEFAULT_CHANNEL) -> str:
    """Terraform logical id of a channel topic's n-th subscription."""
    if channel == DEFAULT_CHANNEL:
        return f"{_SUBSCRIPTION_PREFIX}{index}"
    return f"{_TOPIC_PREFIX}{_id_part(channel)}_subscription_{index}"


def topic_id(channel: str = DEFAULT_CHANNEL) -> str:
    """Terraform logical id of a channel's topic."""
    return TOPIC_ID if channel == DEFAULT_CHANNEL else f"{_TOPIC_PREFIX}{_id_part(channel)}"


def topic_policy_id(channel: str = DEFAULT_CHANNEL) -> str:
    """Terraform logical id of a channel topic's policy."""
    if channel == DEFAULT_CHANNEL:
        return TOPIC_POLICY_ID
    return f"{_TOPIC_POLICY_PREFIX}{_id_part(channel)}"


def chat_id(kind: str, channel: str) -> str:
    """Terraform logical id of a channel's AWS Chatbot configuration (`slack` or `teams`)."""
    return f"{_CHAT_PREFIXES[kind]}{_id_part(channel)}"


def chat_role_id(channel: str) -> str:
    """Terraform logical id of the role a channel's AWS Chatbot configuration assumes."""
    return f"{_CHAT_ROLE_PREFIX}{_id_part(channel)}"


def chat_role_policy_id(channel: str) -> str:
    return f"{_CHAT_ROLE_POLICY_PREFIX}{_id_part(channel)}"


def channel_of_topic(logical_id: str) -> str | None:
    """The channel behind a topic's logical id; None when trailwatch did not name it."""
    if logical_id == TOPIC_ID:
        return DEFAULT_CHANNEL
    if logical_id.startswith(_TOPIC_PREFIX):
        return logical_id.removeprefix(_TOPIC_PREFIX).replace("_", "-")
    return None


def channel_of_subscription(logical_id: str) -> str | None:
    """The channel behind a subscription's logical id; None when trailwatch did not name it."""
    found = _CHANNEL_SUBSCRIPTION.match(logical_id)
    if not found:
        return None
    return found.group(1).replace("_", "-") if found.group(1) else DEFAULT_CHANNEL


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


def event_rule_id(event_id: str) -> str:
    """Terraform logical id of an event's EventBridge rule."""
    return f"{_EVENT_RULE_PREFIX}{_id_part(event_id)}"


def event_target_id(event_id: str, channel: str) -> str:
    """Terraform logical id of the EventBridge target that sends an event's rule to a channel."""
    return f"{_EVENT_TARGET_PREFIX}{_id_part(event_id)}__{_id_part(channel)}"


def event_rule_name(name_prefix: str, event_id: str) -> str:
    """The EventBridge rule's name in AWS (64 characters at most: prefix 40, id 20ish)."""
    return f"{name_prefix}trailwatch-{event_id}"


def event_of_rule(logical_id: str) -> str | None:
    """The event id behind an EventBridge rule's logical id; None when not trailwatch's."""
    if not logical_id.startswith(_EVENT_RULE_PREFIX):
        return None
    return logical_id.removeprefix(_EVENT_RULE_PREFIX).replace("_", "-")


def event_and_channel_of_target(logical_id: str) -> tuple[str, str] | None:
    """(event id, channel) behind an EventBridge target's logical id; None when not ours."""
    found = _EVENT_TARGET.match(logical_id)
    if not found:
        return None
    return found.group(1).replace("_", "-"), found.group(2).replace("_", "-")
