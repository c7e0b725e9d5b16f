"""`trailwatch validate`: load config and catalog, say what would be deployed."""

from __future__ import annotations

import argparse

from trailwatch.cli import options


def add_arguments(parser: argparse.ArgumentParser) -> None:
    options.add_config(parser)


def run(args: argparse.Namespace) -> int:
    from rich.console import Console
    from rich.table import Table

    from trailwatch.spec.model import load_deployment

    deployment = load_deployment(args.config)
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
    console = Console()
    console.print(table)
    for warning in deployment.warnings:
        Console(stderr=True).print(f"[yellow]warning:[/yellow] {warning}")
    for target in deployment.targets:
        console.print(
            f"stack {deployment.stack_name(target)}: {target.region}, "
            f"trail {target.trail.mode}, log group {deployment.log_group_name(target)}"
        )
    return 0
