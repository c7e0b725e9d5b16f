"""The message an EventBridge rule sends, rendered from its input transformer over real records
wrapped in CloudTrail's EventBridge envelope."""

from __future__ import annotations

import json
from pathlib import Path

from tests.eventbridge_events import envelope, shared_records
from tests.helpers import REPO
from trailwatch.eventbridge.message import INPUT_PATHS, LINES, input_template, readable, render
from trailwatch.spec.catalog import load_catalog
from trailwatch.spec.config import BUILTIN_EVENTS

SIGN_IN_FAILURE = "d38ce1b3-4575-4cb8-a632-611b8243bfc3"


def template(event_id: str) -> str:
    event = load_catalog([BUILTIN_EVENTS])[event_id]
    return input_template(event.title, event.severity, event.id)


def test_a_console_sign_in_failure_reads_who_what_where_and_links_the_record(
    shared_samples_dir: Path,
) -> None:
    # The record is in two of the sample sets.
    record = next(
        r for r in shared_records(shared_samples_dir) if r.get("eventID") == SIGN_IN_FAILURE
    )
    rendered = render(template("console-signin-failures"), INPUT_PATHS, envelope(record))
    # What EventBridge hands SNS: one JSON string per line.
    assert all(json.loads(line) for line in rendered.splitlines())
    assert readable(rendered).splitlines() == [
        "[MEDIUM] Console sign-in failures (trailwatch event console-signin-failures)",
        # A failed sign-in has no principal ARN: the placeholder is left empty.
        "Who:  (IAMUser)",
        "Did: ConsoleLogin on signin.amazonaws.com",
        "Where: account 111122223333, region us-east-1, from 192.0.2.0",
        "User agent: Mozilla/5.0 (Macintosh; Intel Mac OS X 10_11_6) AppleWebKit/537.36 (KHTML, "
        "like Gecko) Chrome/67.0.3396.99 Safari/537.36",
        "Error:  Failed authentication",
        "When: 2022-11-10T16:24:34Z",
        "Record: https://us-east-1.console.aws.amazon.com/cloudtrailv2/home?region=us-east-1"
        f"#/events/{SIGN_IN_FAILURE}",
    ]


def test_the_readmes_sample_message(shared_samples_dir: Path) -> None:
    record = next(
        r
        for r in shared_records(shared_samples_dir)
        if r.get("eventID") == "504b492f-7832-406b-a4fd-45a13e48adc4"
    )
    rendered = render(template("security-group-changes"), INPUT_PATHS, envelope(record))
    readme = (REPO / "README.md").read_text()
    assert f"```\n{rendered}\n```" in readme
    assert rendered.splitlines()[1] == (
        '"Who: arn:aws:sts::112233445566:assumed-role/TestAdmin/alan (AssumedRole)"'
    )


def test_a_denied_call_names_the_role_session_and_its_error() -> None:
    event = load_catalog([BUILTIN_EVENTS])["authorization-failures"]
    record = event.samples.match[2].record  # AccessDenied from Organizations
    text = readable(render(template(event.id), INPUT_PATHS, envelope(record)))
    assert text.splitlines()[:4] == [
        "[LOW] Unauthorized API calls (trailwatch event authorization-failures)",
        "Who: arn:aws:sts::111122223333:assumed-role/SampleRole/SampleSession (AssumedRole)",
        "Did: LeaveOrganization on organizations.amazonaws.com",
        "Where: account 111122223333, region us-east-1, from 1.2.3.4",
    ]
    assert text.splitlines()[5].startswith("Error: AccessDenied User: arn:aws:sts::111122223333:")


def test_every_shared_record_renders_every_line_with_no_placeholder_left(
    shared_samples_dir: Path,
) -> None:
    records = shared_records(shared_samples_dir)
    assert len(records) == 853
    text = template("root-account-usage")
    for index, record in enumerate(records):
        lines = render(text, INPUT_PATHS, envelope(record, index)).splitlines()
        assert len(lines) == 1 + len(LINES)
        assert not any("<" in line and ">" in line.split("<", 1)[1] for line in lines[1:3])
        actor = record.get("userIdentity", {}).get("arn", "")
        assert json.loads(lines[1]).startswith(f"Who: {actor} (")
        assert json.loads(lines[2]) == f"Did: {record['eventName']} on {record['eventSource']}"


def test_values_are_placed_as_eventbridge_places_them() -> None:
    paths = {"obj": "$.detail.o", "num": "$.detail.n", "flag": "$.detail.b", "gone": "$.detail.x"}
    event = {"detail": {"o": {"a": "b", "c": [1, "d"]}, "n": 3, "b": True}}
    rendered = render('"<obj> <num> <flag> [<gone>]"', paths, event)
    # Objects lose their inner quotes inside a string; a missing path leaves nothing.
    assert rendered == '"{a:b,c:[1,d]} 3 true []"'


def test_the_heading_is_escaped_json_and_cannot_open_a_placeholder() -> None:
    text = input_template('Say "hi" <now>', "high", "my-event")
    first = text.splitlines()[0]
    assert json.loads(first) == '[HIGH] Say "hi" now (trailwatch event my-event)'
    assert render(text, INPUT_PATHS, {}).splitlines()[0] == first
