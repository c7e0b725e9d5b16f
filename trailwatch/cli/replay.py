"""`trailwatch replay`: what the enabled events would have matched and fired for CloudTrail records.

Exit status: 0 when records were read (or every input was valid and empty), 1 when nothing could
be read at all (no input files, or every input was skipped), 2 for a user error such as a path
that does not exist or a bad size.

What is read, skipped and ignored, and the size limits, are described in
`trailwatch.replay.records`; sizes take a unit (`4MiB`, `512KiB`, `1GiB`) or are bytes.
"""

from __future__ import annotations

import argparse
import json
import re
import sys
from pathlib import Path
from typing import TYPE_CHECKING

from trailwatch.cli import exit_codes, options

if TYPE_CHECKING:
    from rich.console import Console

    from trailwatch.replay import ReplayResult
    from trailwatch.replay.records import ReadLimits
    from trailwatch.spec.model import Deployment

# How many ALARM periods the table lists per event before it says "and N more".
SHOWN_PERIODS = 3
# Inputs smaller than this replay in about a second: no progress bar.
PROGRESS_MIN_BYTES = 32 * 2**20
_UNITS = {"": 1, "k": 2**10, "kib": 2**10, "m": 2**20, "mib": 2**20, "g": 2**30, "gib": 2**30}


def add_arguments(parser: argparse.ArgumentParser) -> None:
    options.add_config(parser)
    options.add_json(parser)
    parser.add_argument(
        "paths",
        metavar="PATH",
        nargs="+",
        type=Path,
        help="CloudTrail files (delivery files, JSON Lines, lookup-events output; gzip or not) "
        "or folders, walked recursively",
    )
    parser.add_argument(
        "--max-record-bytes",
        metavar="SIZE",
        type=parse_size,
        help="skip, unread, a line longer than this (default: 4MiB)",
    )
    parser.add_argument(
        "--max-document-bytes",
        metavar="SIZE",
        type=parse_size,
        help="skip, unread, a JSON document (such as a delivery file, uncompressed) larger than "
        "this (default: 256MiB)",
    )


def parse_size(text: str) -> int:
    """`4MiB`, `512k`, `1GiB` or plain bytes as bytes; units are powers of 1024."""
    found = re.fullmatch(r"\s*(\d+)\s*([a-zA-Z]*)\s*", text)
    unit = found and _UNITS.get(found.group(2).lower())
    if not found or unit is None or int(found.group(1)) < 1:
        raise argparse.ArgumentTypeError(
            f"{text!r} is not a size: a positive number of bytes, or with KiB, MiB or GiB"
        )
    return int(found.group(1)) * unit


def run(args: argparse.Namespace) -> int:
    from trailwatch.cli.console import console as make_console
    from trailwatch.replay import replay
    from trailwatch.replay.records import ReadLimits, check_paths
    from trailwatch.spec.model import load_deployment

    deployment = load_deployment(args.config)
    paths = check_paths(args.paths)
    # Unset options take ReadLimits' defaults (importing them here keeps the CLI's start fast).
    sizes = {
        "max_record_bytes": args.max_record_bytes,
        "max_document_bytes": args.max_document_bytes,
    }
    limits = ReadLimits(**{name: size for name, size in sizes.items() if size is not None})
    stderr = make_console(stderr=True)
    if stderr.is_terminal:
        result = _replay_with_progress(paths, deployment, stderr, limits=limits)
    else:
        result = replay(paths, deployment, limits=limits)
    if args.json:
        print(json.dumps(result.to_json(), indent=2))
    else:
        _print_report(result, make_console())
    if result.records == 0 and (result.skipped or not result.files):
        print("trailwatch: no CloudTrail record could be read", file=sys.stderr)
        return exit_codes.FINDINGS
    return exit_codes.OK


def _replay_with_progress(
    paths: list[Path],
    deployment: Deployment,
    console: Console,
    min_bytes: int = PROGRESS_MIN_BYTES,
    limits: ReadLimits | None = None,
) -> ReplayResult:
    """Replay with a transient progress bar over the input's bytes, when the input is large."""
    from rich.progress import (
        BarColumn,
        DownloadColumn,
        Progress,
        TextColumn,
        TimeRemainingColumn,
    )

    from trailwatch.replay import replay
    from trailwatch.replay.records import input_size

    files, total = input_size(paths)
    if total < min_bytes:
        return replay(paths, deployment, limits=limits)
    columns = (
        TextColumn(f"replaying {files} file{'s' if files != 1 else ''}"),
        BarColumn(),
        DownloadColumn(),
        TimeRemainingColumn(),
    )
    with Progress(*columns, console=console, transient=True) as progress:
        task = progress.add_task("replay", total=total)
        return replay(paths, deployment, lambda done: progress.advance(task, done), limits)


def _print_report(result: ReplayResult, console: Console) -> None:
    from rich.table import Table

    table = Table(
        title=f"{result.records:,} records from {result.files:,} file"
        f"{'s' if result.files != 1 else ''}: what would have fired"
    )
    table.add_column("event", no_wrap=True)
    table.add_column("matches", justify="right", min_width=7)
    table.add_column("periods in ALARM", justify="right", min_width=8)
    table.add_column("first ones, UTC (Sum)", no_wrap=True)
    for event in result.events:
        shown = [f"{_minute(p.start)} ({p.sum})" for p in event.alarms[:SHOWN_PERIODS]]
        if len(event.alarms) > SHOWN_PERIODS:
            shown.append(f"and {len(event.alarms) - SHOWN_PERIODS:,} more")
        matches = f"{event.matches:,}"
        if event.untimed:
            matches += f"\n({event.untimed:,} without eventTime)"
        table.add_row(event.event_id, matches, f"{len(event.alarms):,}", "\n".join(shown))
    console.print(table)
    if result.incomplete:
        console.print(
            f"{result.incomplete:,} record(s) without eventName or eventSource, evaluated as they "
            "are: CloudTrail writes both, so this input was changed on its way and may not match "
            "as AWS would",
            markup=False,
        )
    if result.skipped:
        console.print(
            f"skipped {result.skipped:,} unreadable input(s); first reasons:", markup=False
        )
        for reason in result.skip_reasons:
            console.print(f"  {reason}", markup=False, soft_wrap=True)
    else:
        console.print("skipped nothing", markup=False)
    if result.ignored:
        console.print(
            f"ignored {result.ignored:,} file(s) or folder(s) that are not CloudTrail input; "
            "first ones:",
            markup=False,
        )
        for reason in result.ignore_reasons:
            console.print(f"  {reason}", markup=False, soft_wrap=True)


def _minute(epoch: int) -> str:
    # Periods are whole minutes: `2024-01-01 00:05` reads faster than the full ISO time.
    from trailwatch.replay.alarm_simulation import iso_utc

    return iso_utc(epoch)[:16].replace("T", " ")
