"""`trailwatch state`: what each stack's state holds, and drift from the catalog and config.

Exit 0 when every stack matches the model, 1 when there is drift (nothing deployed counts).
`--refresh` first asks the real infrastructure (a read-only `terraform plan -refresh-only` per
stack), so changes made outside Terraform show up; without it, state is read as last written.

Without `--target`, it also lists the orphaned stacks: state files (or S3 objects, best effort)
of trailwatch stacks that still hold resources but that no target names, such as a target
removed from the config. Each is drift; `trailwatch destroy --orphaned NAME` removes one.
"""

from __future__ import annotations

import argparse
import json
import sys
from typing import TYPE_CHECKING

from trailwatch.cli import exit_codes, options

if TYPE_CHECKING:
    from rich.console import Console

    from trailwatch.audit.drift_report import EventView, OrphanReport, StackReport
    from trailwatch.inventory.model import Inventory
    from trailwatch.spec.model import Deployment
    from trailwatch.spec.targets import Target


def add_arguments(parser: argparse.ArgumentParser) -> None:
    options.add_config(parser)
    options.add_json(parser)
    parser.add_argument(
        "--refresh",
        action="store_true",
        help="refresh from the real infrastructure first (read-only terraform plan "
        "-refresh-only in each synthesized stack): shows changes made outside Terraform",
    )
    options.add_target(parser)


def run(args: argparse.Namespace) -> int:
    from concurrent.futures import ThreadPoolExecutor

    from trailwatch.audit.drift import compare, orphan
    from trailwatch.audit.drift_report import DriftReport
    from trailwatch.inventory.state import orphaned_states, read_state
    from trailwatch.spec.model import load_deployment

    deployment = load_deployment(args.config)
    targets = deployment.select_targets(args.target)

    def report(target: Target) -> StackReport:
        inventory, source = read_state(deployment, target, refresh=args.refresh)
        return compare(
            deployment,
            target,
            inventory,
            source=source,
            refreshed=args.refresh,
            expected=_synthesized(deployment, target),
        )

    # Refreshes run Terraform, seconds each: one thread per stack.
    with ThreadPoolExecutor(max_workers=max(1, len(targets))) as pool:
        reports = tuple(pool.map(report, targets))
    # Orphans are no target's: `--target` asks about particular targets, so it leaves them out.
    scan = orphaned_states(deployment) if not args.target else None
    for problem in scan.problems if scan else ():
        print(f"trailwatch: warning: {problem}", file=sys.stderr)
    orphans = tuple(orphan(s.inventory(), s.target) for s in scan.states) if scan else ()
    result = DriftReport(reports, orphans)
    if args.json:
        print(json.dumps(result.to_json(), indent=2))
    else:
        from trailwatch.cli.console import console as make_console

        console = make_console()
        for stack_report in result.stacks:
            _print_report(console, stack_report)
        for orphan_report in result.orphans:
            _print_orphan(console, orphan_report)
        orphaned = len(result.orphans)
        console.print(
            "[bold red]drift found[/]"
            + (f" ({orphaned} orphaned stack{'s' if orphaned != 1 else ''})" if orphaned else "")
            if result.drift
            else "[bold green]no drift[/]: state matches the catalog and config"
        )
    return exit_codes.FINDINGS if result.drift else exit_codes.OK


def _print_report(console: Console, report: StackReport) -> None:
    from rich.table import Table

    console.rule(f"[bold]{report.stack}[/] ({report.region})")
    console.print(f"state: {report.source}" + (" (refreshed)" if report.refreshed else ""))
    if not report.deployed:
        _print_findings(console, report)
        return
    if report.trail:
        trail = report.trail
        console.print(
            f"trail [bold]{trail.name}[/]: multi-region {_yes(trail.multi_region)}, logging "
            f"{_yes(trail.logging)}, log group {trail.log_group_arn or '-'}"
        )
    else:
        console.print("trail: not managed here (existing trail)")
    if report.log_group:
        group = report.log_group
        console.print(
            f"log group [bold]{group.name}[/]: retention {group.retention_days or 'forever'} "
            f"days, KMS {group.kms_key_id or 'none'}"
        )
    for channel in report.channels:
        console.print(
            f"channel [bold]{channel.name}[/]: topic {channel.topic_arn or '-'}: "
            + (", ".join(channel.receivers) or "no subscriptions in this stack")
        )
    namespaces = sorted({e.filter.namespace for e in report.events if e.filter})
    table = Table(title=f"filters and alarms (namespace {', '.join(namespaces) or '-'})")
    for column in ("event", "filter", "pattern", "alarm", "threshold", "actions"):
        table.add_column(column, overflow="fold")
    for event in report.events:
        flt, alarm = event.filter, event.alarm
        metric = "" if flt is None or flt.metric_name == flt.name else f" → {flt.metric_name}"
        table.add_row(
            event.event_id,
            f"{flt.name}{metric}" if flt else "[red]missing[/]",
            "catalog" if event.pattern_exact else ("[red]differs[/]" if flt else "-"),
            alarm.name if alarm else "[red]missing[/]",
            f"{alarm.comparison_symbol} {alarm.threshold:g}" if alarm else "-",
            _actions(event) if alarm else "-",
        )
    console.print(table)
    _print_rules(console, report)
    _print_findings(console, report)


def _synthesized(deployment: Deployment, target: Target) -> Inventory | None:
    """The target's synthesized stack, when there is one: what the EventBridge rules in state
    are compared with (without it, only disabled rules and rules without targets are drift)."""
    from trailwatch.inventory.synth import read_synth_stack

    stack = deployment.stack_name(target)
    path = deployment.outdir / "stacks" / stack / "cdk.tf.json"
    return read_synth_stack(path, stack) if path.is_file() else None


def _print_rules(console: Console, report: StackReport) -> None:
    from rich.table import Table

    if not report.rules:
        return
    table = Table(title="EventBridge rules (per-event messages)")
    for column in ("event", "rule", "state", "pattern", "channels"):
        table.add_column(column, overflow="fold")
    for view in report.rules:
        rule = view.rule
        exact = {True: "synth", False: "[red]differs[/]", None: "-"}[view.pattern_exact]
        table.add_row(
            view.event_id,
            rule.name if rule else "[red]missing[/]",
            (rule.state if rule.enabled else f"[red]{rule.state}[/]") if rule else "-",
            exact if rule else "-",
            ", ".join(view.channels) or "[red]none[/]",
        )
    console.print(table)


def _print_orphan(console: Console, report: OrphanReport) -> None:
    from rich.markup import escape

    console.rule(f"[bold]{report.stack}[/] (no target of the config)")
    console.print(f"[red]{escape(report.stack)}: {escape(report.message)}[/]")
    console.print(
        f"remove it with `trailwatch destroy --orphaned {escape(report.target)}`, or add the "
        "target back to the config"
    )


def _print_findings(console: Console, report: StackReport) -> None:
    from rich.markup import escape

    if not report.findings:
        console.print("[green]no drift[/]")
        return
    for finding in report.findings:
        console.print(f"[red]drift[/] {finding.kind}: {escape(finding.message)}")


def _actions(event: EventView) -> str:
    from trailwatch.audit.drift_report import SHADOW_STATUS

    alarm = event.alarm
    assert alarm is not None
    if event.status == SHADOW_STATUS:
        return f"[yellow]{SHADOW_STATUS}[/]"
    if not alarm.actions_enabled:
        return "[red]disabled[/]"
    if not alarm.alarm_actions:
        return "[red]none[/]"
    topics = ", ".join(a.rsplit(":", 1)[-1] for a in alarm.alarm_actions)
    return f"[red]live, the config says shadow[/]: {topics}" if event.shadow else topics


def _yes(value: bool) -> str:
    return "yes" if value else "[red]no[/]"
