"""`trailwatch validate`: load config and catalog, say what would be deployed.

`--json` prints the resolved model: the profile, every enabled alarm (id, severity, metric, alarm
name, threshold, whether its pattern is the exact compliance text), every target (stack, region,
trail mode, log group, channels, disabled events, dashboard and its routing table: each alarm's
severity and channels), the exclusion rules and the config's warnings. Without it, the same as
tables: the alarms, the exclusion rules, then per target its routing table.
"""

from __future__ import annotations

import argparse
import json
from typing import TYPE_CHECKING

from trailwatch.cli import exit_codes, options

if TYPE_CHECKING:
    from rich.table import Table

    from trailwatch.spec.alarms import Alarm
    from trailwatch.spec.delivery import EventRule
    from trailwatch.spec.model import Deployment
    from trailwatch.spec.targets import Target


def add_arguments(parser: argparse.ArgumentParser) -> None:
    options.add_config(parser)
    options.add_json(parser)


def run(args: argparse.Namespace) -> int:
    from rich.table import Table

    from trailwatch.cli.console import console as make_console
    from trailwatch.replay.evidence import prove_samples
    from trailwatch.spec.model import load_deployment

    deployment = prove_samples(load_deployment(args.config))
    if args.json:
        print(json.dumps(deployment.to_json(), indent=2))
        _warn(deployment.warnings)
        return exit_codes.OK

    table = Table(title=f"{len(deployment.alarms)} alarms, profile {deployment.profile}")
    for column in ("event", "metric", "alarm", "threshold", "exact"):
        table.add_column(column)
    for alarm in deployment.alarms:
        table.add_row(
            alarm.id,
            alarm.metric_name,
            alarm.alarm_name,
            f"{alarm.settings.threshold:g}",
            "yes" if alarm.exact else ("exclusion" if alarm.exclusions else "variant"),
        )
    console = make_console()
    console.print(table)
    if deployment.config.exclusions.rules:
        console.print(_rules(deployment))
    _warn(deployment.warnings)
    for target in deployment.targets:
        console.print(
            f"stack {deployment.stack_name(target)}: {target.region}, "
            f"trail {target.trail.mode}, log group {deployment.log_group_name(target)}, "
            f"delivery {', '.join(deployment.delivery_for(target))}"
        )
        if "alarms" in deployment.delivery_for(target):
            console.print(_routing(deployment, target))
        rules = deployment.event_rules_for(target)
        if rules:
            console.print(_event_rules(target, rules))
    return exit_codes.OK


def _event_rules(target: Target, rules: tuple[EventRule, ...]) -> Table:
    """The EventBridge rules the target's stack creates, their state and channels."""
    from rich.table import Table

    table = Table(title=f"EventBridge rules of {target.name}")
    for column in ("event", "rule", "state", "channels", "asked for by"):
        table.add_column(column, no_wrap=column != "asked for by")
    for rule in rules:
        table.add_row(
            rule.id,
            rule.rule_name,
            rule.state,
            ", ".join(rule.channels),
            ", ".join(rule.requested_by),
        )
    return table


def _routing(deployment: Deployment, target: Target) -> Table:
    """The target's routing table: each alarm, its severity and the channels it notifies."""
    from rich.table import Table

    disabled = deployment.disabled_for(target)
    title = f"routing of {target.name}" + (
        f" (disabled: {', '.join(disabled)})" if disabled else ""
    )
    alarms = deployment.alarms_for(target)
    notes = {a.id: _notes(a) for a in alarms}
    table = Table(title=title)
    table.add_column("event", no_wrap=True)
    table.add_column("severity")
    table.add_column("channels", no_wrap=True)
    table.add_column("threshold")
    if any(notes.values()):
        table.add_column("notes")
    for alarm in alarms:
        row = [alarm.id, alarm.severity, ", ".join(alarm.channels), f"{alarm.settings.threshold:g}"]
        if any(notes.values()):
            row.append(notes[alarm.id])
        table.add_row(*row)
    return table


def _rules(deployment: Deployment) -> Table:
    """The config's exclusion rules: what each drops from which events, why, until when."""
    from rich.table import Table

    table = Table(title="exclusion rules (each breaks the exact compliance text of its events)")
    for column in ("rule", "events", "match", "reason", "expires"):
        table.add_column(column)
    for rule in deployment.config.exclusions.rules:
        expires = "never" if rule.expires is None else rule.expires.isoformat()
        if rule.expires is not None and rule.expires < deployment.today:
            expires += " (expired)"
        table.add_row(
            rule.id,
            ", ".join(rule.events),
            "\n".join(f"{key} = {value}" for key, value in rule.match.items()),
            rule.reason,
            expires,
        )
    return table


def _notes(alarm: Alarm) -> str:
    found = []
    if alarm.pattern_override:
        found.append("pattern overridden" + (", samples skipped" if alarm.samples_skipped else ""))
    if alarm.rules:
        found.append("exclusion rules: " + ", ".join(rule.id for rule in alarm.rules))
    if alarm.default_value:
        found.append("default_value")
    if alarm.shadow:
        found.append("shadow: actions off")
    return "; ".join(found)


def _warn(warnings: tuple[str, ...]) -> None:
    from trailwatch.cli.console import console as make_console

    for warning in warnings:
        make_console(stderr=True).print(f"[yellow]warning:[/yellow] {warning}")
