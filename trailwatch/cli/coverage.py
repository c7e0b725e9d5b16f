"""`trailwatch coverage`: the compliance controls the stacks meet, and why not.

By default it judges the synthesized stacks (what would be deployed); `--from-state` judges each
target's Terraform state instead (what is deployed), `--refresh` after a read-only refresh.

Exit status: 0 when every control the config claims is met (see `trailwatch.audit.coverage` for what
a config claims), 1 when one is not, 2 when the stacks or the config cannot be read.
"""

from __future__ import annotations

import argparse
import json
from pathlib import Path
from typing import TYPE_CHECKING

from trailwatch.cli import exit_codes, options

if TYPE_CHECKING:
    from trailwatch.audit.coverage import ControlResult, CoverageReport

STATUS_STYLE = {"met": "green", "not met": "bold red", "n/a": "dim"}


def add_arguments(parser: argparse.ArgumentParser) -> None:
    options.add_config(parser)
    parser.add_argument(
        "--synth-dir",
        type=Path,
        help="folder `make synth` wrote (default: CDKTF_OUTDIR or cdktf.out)",
    )
    parser.add_argument(
        "--from-state",
        action="store_true",
        help="judge what each target's Terraform state holds instead of the synthesized stacks",
    )
    parser.add_argument(
        "--refresh",
        action="store_true",
        help="with --from-state: refresh from the real infrastructure first (read-only)",
    )
    output = parser.add_mutually_exclusive_group()
    options.add_json(output)
    output.add_argument("--markdown", action="store_true", help="print one Markdown table")


def run(args: argparse.Namespace) -> int:
    from trailwatch.audit.coverage import assess_state, assess_synth
    from trailwatch.errors import TrailwatchError
    from trailwatch.spec.config import Environment
    from trailwatch.spec.model import load_deployment

    env = Environment.from_os()
    deployment = load_deployment(args.config, env)
    if args.from_state and args.synth_dir:
        raise TrailwatchError("coverage: --from-state and --synth-dir exclude each other")
    if args.refresh and not args.from_state:
        raise TrailwatchError("coverage: --refresh only goes with --from-state")
    if args.from_state:
        report = assess_state(deployment, refresh=args.refresh)
    else:
        report = assess_synth(deployment, args.synth_dir or env.outdir)
    if args.json:
        print(json.dumps(report.to_json(), indent=2))
    elif args.markdown:
        print(markdown(report))
    else:
        show(report)
    return exit_codes.OK if report.ok else exit_codes.FINDINGS


def why_not(result: ControlResult) -> str:
    """The reasons a control is not met; stack names only when the stacks differ."""
    misses = result.misses()
    texts = {f"{v.reason}: {v.detail}" if v.detail else v.reason for _, v in misses}
    if len(texts) == 1 and len(misses) == len(result.verdicts):
        return texts.pop()
    return "; ".join(
        f"{stack}: {v.reason}" + (f" ({v.detail})" if v.detail else "") for stack, v in misses
    )


def markdown(report: CoverageReport) -> str:
    """One table of every framework's controls, for the README."""
    lines = [
        "| Framework | Control | Event | Met | Path | Why not |",
        "|---|---|---|---|---|---|",
    ]
    for framework in report.frameworks:
        for result in framework.controls:
            control = result.control
            event = control.event_id or "every alarm / log group"
            lines.append(
                f"| {framework.spec.title} | {control.id} | {event} | {result.status} "
                f"| {result.path} | {why_not(result).replace('|', '/')} |"
            )
    return "\n".join(lines)


def show(report: CoverageReport) -> None:
    from rich.table import Table

    from trailwatch.cli.console import console as make_console

    console = make_console()
    for framework in report.frameworks:
        claim = f", claimed by profile {report.profile}" if framework.claimed else ""
        table = Table(
            title=f"{framework.spec.title}: {framework.met}/{len(framework.controls)} met{claim}",
            title_justify="left",
        )
        for column in ("control", "event", "status", "path", "why not"):
            table.add_column(column, overflow="fold")
        for result in framework.controls:
            table.add_row(
                result.control.id,
                result.control.event_id or "",
                f"[{STATUS_STYLE[result.status]}]{result.status}[/]",
                result.path,
                why_not(result),
            )
        console.print(table)
    claimed = ", ".join(f.spec.title for f in report.frameworks if f.claimed) or "nothing"
    stacks = ", ".join(report.stacks)
    if report.ok:
        console.print(
            f"profile {report.profile} claims {claimed}: every claimed control is met in {stacks}"
        )
    else:
        missed = ", ".join(
            f"{c.control.framework.title} {c.control.id}" for c in report.failed_claims
        )
        console.print(f"[bold red]profile {report.profile} claims {claimed}; not met:[/] {missed}")
