"""The names stacks/ writes and the readers reverse: one module, exact inverses."""

from __future__ import annotations

from tests.helpers import REPO
from trailwatch.spec import naming
from trailwatch.spec.catalog import load_catalog


def test_every_catalog_event_round_trips_through_its_logical_ids() -> None:
    for event_id in load_catalog([REPO / "events"]):
        assert naming.event_of_filter(naming.filter_id(event_id)) == event_id
        assert naming.event_of_alarm(naming.alarm_id(event_id)) == event_id
        assert naming.event_of_rule(naming.event_rule_id(event_id)) == event_id
        for channel in ("default", "on-call", "a--b", "x"):
            target_id = naming.event_target_id(event_id, channel)
            assert naming.event_and_channel_of_target(target_id) == (event_id, channel)


def test_ids_trailwatch_did_not_make_for_an_event_have_no_event() -> None:
    for logical_id in (
        naming.TOPIC_ID,
        naming.TOPIC_POLICY_ID,
        naming.subscription_id(0),
        "log_group",
        "trail",
    ):
        assert naming.event_of_alarm(logical_id) is None, logical_id
        assert naming.event_of_filter(logical_id) is None, logical_id
        assert naming.event_of_rule(logical_id) is None, logical_id
        assert naming.event_and_channel_of_target(logical_id) is None, logical_id


def test_stack_names_and_their_targets() -> None:
    assert naming.stack_name("eu") == "trailwatch-eu"
    assert naming.target_of_stack("trailwatch-eu") == "eu"
    assert naming.target_of_stack("other-eu") is None
    assert naming.stack_in_text("plan-trailwatch-eu.json") == "trailwatch-eu"
    assert naming.stack_in_text("plan.json") is None
