"""`trailwatch drill`: the lab's test section, automated and safe, against deployed targets.

Exit 0 when every drillable event's deployed filter (and its EventBridge rule, where the target
has one) matched its calls' CloudTrail records, 1 when one did not (or, with `--wait`, when an
alarm did not reach ALARM in time).
"""

from __future__ import annotations

import argparse
import json
from typing import TYPE_CHECKING

from trailwatch.cli import exit_codes, options

if TYPE_CHECKING:
    from rich.console import Console

    from trailwatch.drill import TargetDrill


def add_arguments(parser: argparse.ArgumentParser) -> None:
    options.add_config(parser)
    options.add_target(parser, verb="drill only")
    parser.add_argument(
        "--endpoint-url",
        metavar="URL",
        help="AWS endpoint (the local emulator; default: TRAILWATCH_ENDPOINT_URL, else AWS)",
    )
    parser.add_argument(
        "--wait",
        action="store_true",
        help="then poll the drilled events' alarms until they are in ALARM (a real account: "
        "CloudTrail delivers to CloudWatch Logs within minutes)",
    )
    parser.add_argument(
        "--wait-timeout",
        type=float,
        default=900.0,
        metavar="SECONDS",
        help="how long --wait polls (default 900)",
    )
    options.add_json(parser)


def run(args: argparse.Namespace) -> int:
    from trailwatch.drill import AwsClients, DrillReport, drill_target, wait_for_alarms
    from trailwatch.errors import TrailwatchError
    from trailwatch.spec.model import load_deployment

    deployment = load_deployment(args.config)
    endpoint = args.endpoint_url or deployment.endpoint_url
    targets = deployment.select_targets(args.target)
    if args.wait_timeout < 0:
        raise TrailwatchError("--wait-timeout must be 0 or more seconds")

    clients = {t.name: AwsClients(t, endpoint) for t in targets}
    drills = tuple(drill_target(deployment, t, clients[t.name]) for t in targets)
    if args.wait:
        drills = wait_for_alarms(
            deployment, drills, lambda t: clients[t.name], timeout=args.wait_timeout
        )
    report = DrillReport(endpoint, drills, waited=args.wait)
    ok = report.ok
    if args.json:
        print(json.dumps(report.to_json(), indent=2))
    else:
        from trailwatch.cli.console import console as make_console

        console = make_console()
        for drill in drills:
            _print_drill(console, drill, waited=args.wait)
        _print_not_drillable(console, drills)
        console.print(
            "[bold green]every drillable event's deployed filter (and rule) matched[/]"
            if ok
            else "[bold red]drill failed[/]: see the rows marked no"
        )
    return exit_codes.OK if ok else exit_codes.FINDINGS


def _print_drill(console: Console, drill: TargetDrill, *, waited: bool) -> None:
    from rich.markup import escape
    from rich.table import Table

    console.rule(f"[bold]drill {drill.target}[/] ({drill.region}, account {drill.account})")
    if drill.leftovers_removed:
        console.print(f"removed {drill.leftovers_removed} leftover(s) of an earlier drill")
    table = Table(title=f"calls → deployed filters of {drill.log_group} and EventBridge rules")
    for column in ("event", "call", "filter", "matched", "rule", "rule matched", "note"):
        table.add_column(column, overflow="fold")
    for result in drill.results:
        rule_matched = {True: "[green]yes[/]", False: "[red]no[/]", None: "-"}
        notes = [n for n in (result.note, result.rule_note) if n]
        table.add_row(
            result.event_id,
            result.call,
            result.filter_name or "-",
            "[green]yes[/]" if result.matched else "[red]no[/]",
            result.rule_name or "-",
            rule_matched[result.rule_matched],
            escape("; ".join(notes)),
        )
    console.print(table)
    if waited:
        for alarm in drill.alarms:
            colour = "green" if alarm.state == "ALARM" else "red"
            state = f"[{colour}]{alarm.state}[/]"
            console.print(f"alarm {alarm.alarm_name} ({alarm.event_id}): {state}")


def _print_not_drillable(console: Console, drills: tuple[TargetDrill, ...]) -> None:
    """One table for all targets: the same events are out of reach everywhere."""
    from rich.markup import escape
    from rich.table import Table

    rows: dict[tuple[str, str, str], list[str]] = {}
    for drill in drills:
        for item in drill.not_drillable:
            rows.setdefault((item.event_id, item.reason, item.replay), []).append(drill.target)
    if not rows:
        return
    table = Table(
        title="not drillable: test these on real records with `trailwatch replay` "
        "(run the lookup in each target's region)"
    )
    for column in ("event", "targets", "why", "instead"):
        table.add_column(column, overflow="fold")
    for (event_id, reason, replay), targets in rows.items():
        table.add_row(event_id, ", ".join(targets), reason, escape(replay))
    console.print(table)
