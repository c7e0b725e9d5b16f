"""The per-event path deployed onto the emulator (the default config: events on the primary
target): each rule with its compiled pattern and targets, read back with boto3, and each
deployed pattern judging the event's samples in CloudTrail's EventBridge envelope.

The judge is moto's EventBridge matcher in-process, on the pattern the emulator holds: moto
5.2.5's server does not implement TestEventPattern (it answers an empty body).
"""

from __future__ import annotations

import json

from moto.events.models import EventPattern  # type: ignore[import-untyped]

from tests.emulator_lab import Lab
from tests.eventbridge_events import envelope
from trailwatch.eventbridge import translate
from trailwatch.eventbridge.message import INPUT_PATHS, input_template
from trailwatch.spec import naming

ACCOUNT = "123456789012"


def test_the_primary_target_has_each_rule_with_its_pattern_and_one_target_per_channel(
    lab: Lab,
) -> None:
    deployment = lab.deployment()
    primary, eu = deployment.targets
    events = lab.client("events", primary.region)
    deployed = {r["Name"]: r for r in events.list_rules(NamePrefix="trailwatch-")["Rules"]}
    expected = deployment.event_rules_for(primary)
    assert expected and sorted(deployed) == sorted(r.rule_name for r in expected)
    topic = f"arn:aws:sns:{primary.region}:{ACCOUNT}:trailwatch-primary-alarms"
    for rule in expected:
        found = deployed[rule.rule_name]
        assert json.loads(found["EventPattern"]) == rule.event_pattern
        assert found["State"] == rule.state  # the model's: some rules see read-only calls too
        assert found["Description"] == rule.description
        targets = events.list_targets_by_rule(Rule=rule.rule_name)["Targets"]
        assert sorted((t["Id"], t["Arn"]) for t in targets) == sorted(
            (c, topic if c == "default" else f"{topic}-{c}") for c in rule.channels
        )
        for target in targets:
            assert target["InputTransformer"] == {
                "InputPathsMap": INPUT_PATHS,
                "InputTemplate": input_template(rule.title, rule.severity, rule.id),
            }
    states = {r.id: r.state for r in expected}
    assert states["root-account-usage"] == naming.RULE_STATE_ALL_MANAGEMENT_EVENTS
    assert states["authorization-failures"] == naming.RULE_STATE_ALL_MANAGEMENT_EVENTS
    assert states["vpc-changes"] == "ENABLED"
    assert lab.client("events", eu.region).list_rules(NamePrefix="trailwatch-")["Rules"] == []


def test_each_deployed_rule_matches_its_events_samples(lab: Lab) -> None:
    deployment = lab.deployment()
    primary = deployment.targets[0]
    events = lab.client("events", primary.region)
    judged = 0
    for rule in deployment.event_rules_for(primary):
        pattern = events.describe_rule(Name=rule.rule_name)["EventPattern"]
        matcher = EventPattern.load(pattern)
        alarm = deployment.alarm(rule.id, primary)
        exact = translate(alarm.pattern).limits == ()
        samples = alarm.event.samples_for(deployment.profile)
        for should, group in ((True, samples.match), (False, samples.no_match)):
            if not should and not exact:
                continue  # an approximate translation may take a near miss; its limits say so
            for index, sample in enumerate(group):
                result = matcher.matches_event(envelope(sample.record, index))
                assert result is should, (rule.id, sample.note)
                judged += 1
    # Every event has samples: at least two of each kind (the catalog requires it).
    assert judged >= 4 * len(deployment.event_rules_for(primary))
