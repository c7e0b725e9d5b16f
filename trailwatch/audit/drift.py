"""How each stack's deployed inventory drifted from the model (`trailwatch state`).

`compare(deployment, target, inventory)` is pure: it turns the inventory that
`trailwatch.inventory.state.read_state` read into a `StackReport` with the trail, the log group,
each event's filter and alarm, and every `Finding` of drift. Patterns are compared
whitespace-exact: the catalog's text is the compliance text, and a finding says when only
whitespace differs. EventBridge rules are compared with the synthesized stack when one is
given (`drift_rules`). `orphan(inventory, target)` reports a stack no target names any more.
"""

from __future__ import annotations

from trailwatch.audit.drift_findings import (
    channel_views,
    event_view,
    leftover_findings,
    trail_findings,
)
from trailwatch.audit.drift_report import (
    NOT_DEPLOYED,
    EventView,
    Finding,
    OrphanReport,
    StackReport,
)
from trailwatch.audit.drift_rules import rule_views
from trailwatch.inventory.model import Inventory
from trailwatch.spec.model import Deployment
from trailwatch.spec.targets import Target


def orphan(inventory: Inventory, target: str) -> OrphanReport:
    """The report of an orphaned stack's inventory (read from its state)."""
    return OrphanReport(
        stack=inventory.stack,
        target=target,
        source=inventory.source,
        resources=inventory.resource_count,
        filters=len(inventory.filters),
        alarms=len(inventory.alarms),
    )


# --- comparing with the model -------------------------------------------------------------


def compare(
    deployment: Deployment,
    target: Target,
    inventory: Inventory | None,
    *,
    source: str = "",
    refreshed: bool = False,
    expected: Inventory | None = None,
) -> StackReport:
    """What state holds for a target, and every difference from the model; `expected` (the
    target's synthesized stack) is what the EventBridge rules are compared with."""
    stack = deployment.stack_name(target)
    if inventory is not None and not source:
        source = inventory.source
    if inventory is None or not inventory.resource_count:
        nothing = Finding(NOT_DEPLOYED, stack, f"nothing deployed (no resources in {source})")
        return StackReport(
            stack, target.name, target.region, source, refreshed, False, None, None, None, (),
            (), (nothing,),
        )  # fmt: skip
    filters = list(inventory.filters)
    alarms = list(inventory.alarms)
    trail = inventory.trails[0] if inventory.trails else None
    log_group = inventory.log_group(deployment.log_group_name(target))
    channels, channel_findings = channel_views(deployment, target, inventory)
    topics = {c.name: c.topic_arn for c in channels}
    topic_arn = next((c.topic_arn for c in channels), None)
    subscriptions = tuple(f"{s.protocol}:{s.endpoint}" for s in inventory.subscriptions)

    findings: list[Finding] = []
    findings += trail_findings(deployment, target, trail, log_group)
    findings += channel_findings
    events: list[EventView] = []
    used_filters: set[str] = set()
    used_alarms: set[str] = set()
    for alarm in deployment.alarms_for(target):
        view, event_findings = event_view(deployment, target, alarm, filters, alarms, topics)
        events.append(view)
        findings += event_findings
        if view.filter:
            used_filters.add(view.filter.name)
        if view.alarm:
            used_alarms.add(view.alarm.name)
    findings += leftover_findings(filters, alarms, used_filters, used_alarms)
    rules, rule_findings = rule_views(expected, inventory)
    findings += rule_findings
    return StackReport(
        stack=stack,
        target=target.name,
        region=target.region,
        source=source,
        refreshed=refreshed,
        deployed=True,
        trail=trail,
        log_group=log_group,
        topic_arn=topic_arn,
        subscriptions=subscriptions,
        events=tuple(events),
        findings=tuple(findings),
        channels=tuple(channels),
        rules=rules,
    )
