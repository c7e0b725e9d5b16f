"""`trailwatch tune`'s text report: the comparison, each rule's removals, the suggestions."""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from rich.console import Console

    from trailwatch.tune import TuneResult
    from trailwatch.tune.metrics import MetricsResult

# How many ALARM periods the metrics table lists per event before it says "and N more".
SHOWN_PERIODS = 3


def print_report(result: TuneResult, console: Console) -> None:
    from rich.table import Table

    table = Table(
        title=f"{result.records:,} records from {result.files:,} file"
        f"{'s' if result.files != 1 else ''}: current config against candidate"
    )
    table.add_column("event", no_wrap=True)
    for heading in (
        "matches\ncurrent",
        "periods\ncurrent",
        "matches\ncandidate",
        "periods\ncandidate",
    ):
        table.add_column(heading, justify="right")
    quiet = 0
    for event in result.events:
        if not (event.current.matches or event.candidate.matches or event.removed_by):
            quiet += 1
            continue
        cells = [event.current, event.candidate]
        table.add_row(
            event.event_id,
            *[
                value
                for tally in cells
                for value in (
                    (f"{tally.matches:,}", f"{len(tally.alarm_periods):,}")
                    if tally.enabled
                    else ("off", "off")
                )
            ],
        )
    console.print(table)
    if quiet:
        console.print(f"{quiet} more event(s) matched nothing under either config", markup=False)
    _print_removals(result, console)
    _print_suggestions(result, console)
    if result.skipped:
        console.print(
            f"skipped {result.skipped:,} unreadable input(s); first reasons:", markup=False
        )
        for reason in result.skip_reasons:
            console.print(f"  {reason}", markup=False, soft_wrap=True)


def _print_removals(result: TuneResult, console: Console) -> None:
    for event in result.events:
        for removal in event.removed_by:
            console.print(
                f"\nrule {removal.rule_id} ({removal.side} config) on {event.event_id}: removed "
                f"{removal.matches:,} match(es) and {removal.alarm_periods:,} alarm period(s)"
                f"; reason: {removal.reason}",
                markup=False,
                soft_wrap=True,
            )
            if not removal.examples:
                console.print("  it removed no record: check its match values", markup=False)
                continue
            # Plain lines, not a table: principals are long, and a table would cut them.
            for e in removal.examples:
                console.print(
                    f"  {e.time}  {e.event_name}  from {e.source_ip}  by {e.principal}",
                    markup=False,
                    highlight=False,
                    soft_wrap=True,
                )


def _print_suggestions(result: TuneResult, console: Console) -> None:
    if not result.suggestions:
        console.print(
            f"\nno alarm was in ALARM more than {result.noisy:,} periods: no rule to suggest",
            markup=False,
        )
        return
    console.print(
        f"\nsuggested rules for alarms in ALARM more than {result.noisy:,} periods (not applied; "
        "paste under exclusions.rules, say why in reason, and run tune again with --candidate):",
        markup=False,
        soft_wrap=True,
    )
    shown = None
    for suggestion in result.suggestions:
        if suggestion.event_id != shown:
            shown = suggestion.event_id
            console.print(
                f"# {shown}: in ALARM {suggestion.periods:,} periods, {suggestion.total:,} "
                "matches; its top principals, event names and source IPs",
                markup=False,
                highlight=False,
                soft_wrap=True,
            )
        console.print(suggestion.snippet(), markup=False, highlight=False, soft_wrap=True)


def print_metrics(result: MetricsResult, console: Console) -> None:
    from rich.table import Table

    from trailwatch.replay.alarm_simulation import iso_utc

    table = Table(
        title=f"{result.namespace} metrics from {iso_utc(result.since)} to {iso_utc(result.until)}"
    )
    table.add_column("target", no_wrap=True)
    table.add_column("event", no_wrap=True)
    table.add_column("datapoints", justify="right")
    table.add_column("matches", justify="right")
    table.add_column("periods in ALARM", justify="right")
    table.add_column("first ones, UTC (Sum)", no_wrap=True)
    for metric in result.metrics:
        shown = [
            f"{iso_utc(p.start)[:16].replace('T', ' ')} ({p.sum})"
            for p in metric.alarms[:SHOWN_PERIODS]
        ]
        if len(metric.alarms) > SHOWN_PERIODS:
            shown.append(f"and {len(metric.alarms) - SHOWN_PERIODS:,} more")
        event = metric.event_id + (" (shadow)" if metric.shadow else "")
        table.add_row(
            metric.target,
            event,
            f"{metric.datapoints:,}",
            f"{metric.matches:,}",
            f"{len(metric.alarms):,}",
            "\n".join(shown),
        )
    console.print(table)
