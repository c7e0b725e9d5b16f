"""`trailwatch test`: every enabled event's sample records against its deployed pattern."""

from __future__ import annotations

import argparse
import json

from trailwatch.cli import exit_codes, options


def add_arguments(parser: argparse.ArgumentParser) -> None:
    options.add_config(parser)
    options.add_json(parser)


def run(args: argparse.Namespace) -> int:
    from rich.markup import escape
    from rich.table import Table

    from trailwatch.cli.console import console as make_console
    from trailwatch.replay.evidence import MIN_SAMPLES, check_evidence
    from trailwatch.spec.model import load_deployment

    deployment = load_deployment(args.config)
    report = check_evidence(deployment)
    code = exit_codes.OK if report.ok else exit_codes.FINDINGS
    if args.json:
        print(json.dumps(report.to_json(), indent=2))
        return code

    console = make_console()
    table = Table(title=f"Event samples, profile {report.profile}")
    for column in ("event", "must match", "must not match", "result"):
        table.add_column(column)
    for r in report.events:
        matched = sum(1 for s in r.samples if s.should_match and s.ok)
        missed = sum(1 for s in r.samples if not s.should_match and s.ok)
        if r.failures:
            verdict = f"[red]FAIL ({len(r.failures)})[/red]"
        elif not r.enough:
            verdict = f"[yellow]needs {MIN_SAMPLES}+{MIN_SAMPLES} samples[/yellow]"
        elif r.no_samples_reason is not None and not r.samples:
            verdict = f"[dim]no samples: {escape(r.no_samples_reason)}[/dim]"
        else:
            verdict = "[green]ok[/green]"
        table.add_row(
            r.event_id,
            f"{matched}/{r.count(should_match=True)}",
            f"{missed}/{r.count(should_match=False)}",
            verdict,
        )
    console.print(table)
    for r in report.failed:
        for s in r.failures:
            expected = (
                f"exclusions.rules.{s.excluded_by} describes it but it still matched"
                if s.excluded_by
                else "should match but did not"
                if s.should_match
                else "matched but should not"
            )
            console.print(f"[red]{r.event_id}[/red]: {expected}: {s.note}")
    proven = len(report.events) - len(report.failed)
    console.print(f"{proven} of {len(report.events)} events proven")
    return code
