"""`trailwatch validate`: load config and catalog, say what would be deployed.

`--json` prints the resolved model: the profile, every enabled alarm (id, metric, alarm name,
threshold, whether its pattern is the exact compliance text), every target (stack, region, trail
mode, log group) and the config's warnings.
"""

from __future__ import annotations

import argparse
import json

from trailwatch.cli import exit_codes, options


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
    _warn(deployment.warnings)
    for target in deployment.targets:
        console.print(
            f"stack {deployment.stack_name(target)}: {target.region}, "
            f"trail {target.trail.mode}, log group {deployment.log_group_name(target)}"
        )
    return exit_codes.OK


def _warn(warnings: tuple[str, ...]) -> None:
    from trailwatch.cli.console import console as make_console

    for warning in warnings:
        make_console(stderr=True).print(f"[yellow]warning:[/yellow] {warning}")
