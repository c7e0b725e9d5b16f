"""The per-event path: an EventBridge rule per event and a target per channel's topic, each
sending one readable message (trailwatch/eventbridge/message.py) instead of the raw event."""

from __future__ import annotations

from collections.abc import Mapping, Sequence

from stacks.aws import (
    CloudwatchEventRule,
    CloudwatchEventTarget,
    CloudwatchEventTargetInputTransformer,
    Construct,
)
from trailwatch.eventbridge.message import INPUT_PATHS, input_template
from trailwatch.spec import naming
from trailwatch.spec.delivery import EventRule


class EventRules(Construct):
    """The target's rules on the default event bus, each sending to its channels' topics."""

    def __init__(
        self,
        scope: Construct,
        construct_id: str,
        *,
        rules: Sequence[EventRule],
        topic_arns: Mapping[str, str],
    ) -> None:
        super().__init__(scope, construct_id)
        for rule in rules:
            resource = CloudwatchEventRule(
                self,
                f"rule-{rule.id}",
                name=rule.rule_name,
                description=rule.description,
                event_pattern=rule.pattern_json,
                state=rule.state,
            )
            resource.override_logical_id(naming.event_rule_id(rule.id))
            transformer = CloudwatchEventTargetInputTransformer(
                input_paths=dict(INPUT_PATHS),
                input_template=input_template(rule.title, rule.severity, rule.id),
            )
            for channel in rule.channels:
                CloudwatchEventTarget(
                    self,
                    f"target-{rule.id}-{channel}",
                    rule=resource.name,
                    # The target's id within its rule: the channel (unique per rule).
                    target_id=channel,
                    arn=topic_arns[channel],
                    input_transformer=transformer,
                ).override_logical_id(naming.event_target_id(rule.id, channel))
