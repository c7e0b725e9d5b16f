"""One CloudWatch dashboard per target: a widget per alarm, grouped by severity."""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from typing import Any

from stacks.aws import CloudwatchDashboard, Construct
from trailwatch.spec import naming
from trailwatch.spec.alarms import Alarm
from trailwatch.spec.catalog import SEVERITIES

# CloudWatch's grid is 24 units wide; four alarm graphs a row.
GRID_WIDTH = 24
WIDGET_WIDTH = 6
WIDGET_HEIGHT = 6


def dashboard_body(alarms: Sequence[Alarm], alarm_arns: Mapping[str, str], region: str) -> str:
    """The dashboard's JSON: per severity (most urgent first) a heading, then one graph per
    alarm with the alarm's threshold and state drawn on it."""
    widgets: list[dict[str, Any]] = []
    y = 0
    for severity in SEVERITIES:
        group = [a for a in alarms if a.severity == severity]
        if not group:
            continue
        count = f"{len(group)} alarm{'s' if len(group) != 1 else ''}"
        widgets.append(
            {
                "type": "text",
                "x": 0,
                "y": y,
                "width": GRID_WIDTH,
                "height": 1,
                "properties": {"markdown": f"## {severity.capitalize()}: {count}"},
            }
        )
        y += 1
        per_row = GRID_WIDTH // WIDGET_WIDTH
        for index, alarm in enumerate(group):
            widgets.append(
                {
                    "type": "metric",
                    "x": (index % per_row) * WIDGET_WIDTH,
                    "y": y + (index // per_row) * WIDGET_HEIGHT,
                    "width": WIDGET_WIDTH,
                    "height": WIDGET_HEIGHT,
                    "properties": {
                        "title": alarm.event.title,
                        "region": region,
                        "annotations": {"alarms": [alarm_arns[alarm.id]]},
                        "view": "timeSeries",
                        "stacked": False,
                    },
                }
            )
        y += -(-len(group) // per_row) * WIDGET_HEIGHT
    return json.dumps({"widgets": widgets})


class AlarmDashboard(Construct):
    """The target's alarms on one dashboard."""

    def __init__(
        self,
        scope: Construct,
        construct_id: str,
        *,
        name: str,
        region: str,
        alarms: Sequence[Alarm],
        alarm_arns: Mapping[str, str],
    ) -> None:
        super().__init__(scope, construct_id)
        CloudwatchDashboard(
            self,
            "dashboard",
            dashboard_name=name,
            dashboard_body=dashboard_body(alarms, alarm_arns, region),
        ).override_logical_id(naming.DASHBOARD_ID)
