"""`trailwatch test`: every enabled event's sample records against its deployed pattern."""

from __future__ import annotations

import argparse
import json

from trailwatch.cli import options


def add_arguments(parser: argparse.ArgumentParser) -> None:
    options.add_config(parser)
    options.add_json(parser)


def run(args: argparse.Namespace) -> int:
    from rich.console import Console
    from rich.table import Table

    from trailwatch.replay.evidence import MIN_SAMPLES, check_evidence
    from trailwatch.spec.model import load_deployment

    deployment = load_deployment(args.config)
    results = check_evidence(deployment)
    failed = [r for r in results if not r.ok]
    if args.json:
        print(
            json.dumps(
                {
                    "profile": deployment.profile,
                    "ok": not failed,
                    "events": {
                        r.event_id: {
                            "ok": r.ok,
                            "match": r.count(should_match=True),
                            "no_match": r.count(should_match=False),
                            "failures": [s.note for s in r.failures],
                        }
                        for r in results
                    },
                },
                indent=2,
            )
        )
        return 1 if failed else 0

    console = Console()
    table = Table(title=f"Event samples, profile {deployment.profile}")
    for column in ("event", "must match", "must not match", "result"):
        table.add_column(column)
    for r in results:
        matched = sum(1 for s in r.samples if s.should_match and s.ok)
        missed = sum(1 for s in r.samples if not s.should_match and s.ok)
        if r.failures:
            verdict = f"[red]FAIL ({len(r.failures)})[/red]"
        elif not r.enough:
            verdict = f"[yellow]needs {MIN_SAMPLES}+{MIN_SAMPLES} samples[/yellow]"
        else:
            verdict = "[green]ok[/green]"
        table.add_row(
            r.event_id,
            f"{matched}/{r.count(should_match=True)}",
            f"{missed}/{r.count(should_match=False)}",
            verdict,
        )
    console.print(table)
    for r in results:
        for s in r.failures:
            expected = "should match but did not" if s.should_match else "matched but should not"
            console.print(f"[red]{r.event_id}[/red]: {expected}: {s.note}")
    console.print(f"{len(results) - len(failed)} of {len(results)} events proven")
    return 1 if failed else 0
