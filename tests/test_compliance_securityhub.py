"""Security Hub CloudWatch.1-17 against the synthesized default stacks.

Security Hub fails CloudWatch.1-14 unless the exact prescribed metric filter is used (spacing
aside) with an alarm on its metric that notifies an SNS topic. The prescribed texts come from
../shared/reference/catalog.md, parsed here as the independent source, not from events/.
"""

from __future__ import annotations

import re
from typing import Any

import pytest

from tests.conftest import SHARED, Synth

CATALOG_DOC = SHARED / "reference" / "catalog.md"
MIN_RETENTION_DAYS = 365
REFERENCE = re.compile(r"^\$\{(aws_[a-z0-9_]+)\.([A-Za-z0-9_-]+)\.([a-z_]+)\}$")


def catalog_controls() -> dict[str, tuple[str, str]]:
    """Security Hub control -> (event id, prescribed pattern), read from the catalog doc."""
    text = CATALOG_DOC.read_text(encoding="utf-8")
    controls: dict[str, str] = {}
    for row in re.finditer(r"^\| `([a-z0-9-]+)` \|.*?\| (CloudWatch\.\d+) \|", text, re.M):
        controls[row.group(2)] = row.group(1)
    blocks = re.findall(r"^`([a-z0-9-]+)`[^\n]*\n```\n(.+?)\n```", text, re.M | re.S)
    patterns: dict[str, str] = dict(blocks)
    return {control: (event, patterns[event]) for control, event in controls.items()}


CONTROLS = catalog_controls()


def control_number(control: str) -> int:
    return int(control.split(".")[1])


CONTROL_IDS: list[str] = sorted(CONTROLS, key=control_number)


def normalized(pattern: str) -> str:
    """The pattern without whitespace outside quoted strings (spacing does not count)."""
    parts = re.split(r'("(?:[^"\\]|\\.)*")', pattern)
    return "".join(p if p.startswith('"') else re.sub(r"\s+", "", p) for p in parts)


def resolve_name(stack: dict[str, Any], value: str) -> str:
    """A log group name, literal or a reference to a log group resource of the stack."""
    match = REFERENCE.match(value)
    if not match:
        return value
    kind, name, attribute = match.groups()
    assert (kind, attribute) == ("aws_cloudwatch_log_group", "name"), value
    resolved: str = stack["resource"][kind][name]["name"]
    return resolved


def trail_log_group(stack: dict[str, Any]) -> str:
    """The name of the log group the stack's trail delivers to."""
    (trail,) = stack["resource"]["aws_cloudtrail"].values()
    match = re.fullmatch(
        r"\$\{aws_cloudwatch_log_group\.([a-z0-9_]+)\.arn\}:\*", trail["cloud_watch_logs_group_arn"]
    )
    assert match, trail["cloud_watch_logs_group_arn"]
    name: str = stack["resource"]["aws_cloudwatch_log_group"][match.group(1)]["name"]
    return name


def is_sns_topic(action: str) -> bool:
    return bool(re.fullmatch(r"\$\{aws_sns_topic\.[a-z0-9_]+\.arn\}", action)) or action.startswith(
        "arn:aws:sns:"
    )


def test_catalog_doc_names_all_fourteen_controls() -> None:
    expected = [f"CloudWatch.{n}" for n in range(1, 15)]
    assert sorted(CONTROLS, key=control_number) == expected
    assert all(pattern.startswith("{") for _, pattern in CONTROLS.values())


@pytest.mark.parametrize("stack_name", ["trailwatch-primary", "trailwatch-eu"])
@pytest.mark.parametrize("control", CONTROL_IDS)
def test_prescribed_filter_is_deployed_with_an_sns_alarm(
    default_synth: Synth, stack_name: str, control: str
) -> None:
    event_id, prescribed = CONTROLS[control]
    stack = default_synth.stack(stack_name)
    filters = [
        f
        for f in stack["resource"]["aws_cloudwatch_log_metric_filter"].values()
        if normalized(f["pattern"]) == normalized(prescribed)
    ]
    assert len(filters) == 1, f"{control} ({event_id}): prescribed pattern not deployed exactly"
    (metric_filter,) = filters
    assert resolve_name(stack, metric_filter["log_group_name"]) == trail_log_group(stack)
    transformation = metric_filter["metric_transformation"]
    alarms = [
        a
        for a in stack["resource"]["aws_cloudwatch_metric_alarm"].values()
        if a["metric_name"] == transformation["name"]
        and a["namespace"] == transformation["namespace"]
    ]
    assert alarms, f"{control}: no alarm on {transformation['namespace']}/{transformation['name']}"
    assert any(any(is_sns_topic(a) for a in alarm["alarm_actions"]) for alarm in alarms)


@pytest.mark.parametrize("stack_name", ["trailwatch-primary", "trailwatch-eu"])
def test_every_alarm_notifies_on_alarm_with_actions_enabled(
    default_synth: Synth, stack_name: str
) -> None:
    alarms = default_synth.resources(stack_name, "aws_cloudwatch_metric_alarm")
    filters = default_synth.resources(stack_name, "aws_cloudwatch_log_metric_filter")
    assert len(alarms) == len(filters) >= len(CONTROLS)
    for name, alarm in alarms.items():
        # CloudWatch.15: an action for the ALARM state; CloudWatch.17: actions activated.
        assert alarm["alarm_actions"] and all(is_sns_topic(a) for a in alarm["alarm_actions"]), name
        assert alarm["actions_enabled"] is True, name


@pytest.mark.parametrize("stack_name", ["trailwatch-primary", "trailwatch-eu"])
def test_every_log_group_keeps_at_least_a_year(default_synth: Synth, stack_name: str) -> None:
    # CloudWatch.16: retention of at least 365 days (0 / unset would mean forever).
    groups = default_synth.resources(stack_name, "aws_cloudwatch_log_group")
    assert groups
    for name, group in groups.items():
        assert group["retention_in_days"] >= MIN_RETENTION_DAYS, name
