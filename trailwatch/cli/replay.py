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

from trailwatch.cli import exit_codes, options, replay_athena

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


ENGINES = ("python", "duckdb", "athena")
# The engines each engine-specific option applies to (every option defaults to None, so that
# one given explicitly is refused even with its default value).
OPTION_ENGINES: dict[str, tuple[str, ...]] = {
    "jobs": ("python",),
    "max_record_bytes": ("python", "duckdb"),
    "max_document_bytes": ("python", "duckdb"),
    **{name: ("athena",) for name in replay_athena.ATHENA_ONLY},
}


def add_arguments(parser: argparse.ArgumentParser) -> None:
    options.add_config(parser)
    options.add_json(parser)
    parser.add_argument(
        "--engine",
        choices=ENGINES,
        default="python",
        help="python: trailwatch's own engine (default); duckdb: one DuckDB query over the "
        "files, every pattern compiled to SQL (a pattern SQL cannot express is an error); "
        "athena: the same in Athena, over the table of `trailwatch athena-ddl` (no PATH)",
    )
    parser.add_argument(
        "--jobs",
        metavar="N",
        type=parse_jobs,
        help="python engine: replay files in N processes (default: the number of CPUs)",
    )
    parser.add_argument(
        "paths",
        metavar="PATH",
        nargs="*",
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
    replay_athena.add_arguments(parser)


def parse_size(text: str) -> int:
    """`4MiB`, `512k`, `1GiB` or plain bytes as bytes; units are powers of 1024."""
    found = re.fullmatch(r"\s*(\d+)\s*([a-zA-Z]*)\s*", text)
    unit = found and _UNITS.get(found.group(2).lower())
    if not found or unit is None or int(found.group(1)) < 1:
        raise argparse.ArgumentTypeError(
            f"{text!r} is not a size: a positive number of bytes, or with KiB, MiB or GiB"
        )
    return int(found.group(1)) * unit


def parse_jobs(text: str) -> int:
    """A positive number of processes."""
    if not text.isdigit() or int(text) < 1:
        raise argparse.ArgumentTypeError(f"{text!r} is not a number of processes (1 or more)")
    return int(text)


def check_engine_options(args: argparse.Namespace) -> None:
    """An `InputError` for the first option given that the chosen engine does not read."""
    from trailwatch.errors import InputError

    for name, engines in OPTION_ENGINES.items():
        if args.engine not in engines and getattr(args, name) is not None:
            option = "--" + name.replace("_", "-")
            wanted = " or ".join(f"--engine {e}" for e in engines)
            raise InputError(f"{option} is for {wanted} (here: --engine {args.engine})")


def run(args: argparse.Namespace) -> int:
    from trailwatch.cli.console import console as make_console
    from trailwatch.replay import replay
    from trailwatch.replay.records import ReadLimits, check_paths
    from trailwatch.spec.model import load_deployment

    check_engine_options(args)
    deployment = load_deployment(args.config)
    stderr = make_console(stderr=True)
    if args.engine == "athena":
        result = replay_athena.replay(args, deployment, stderr)
        return _report(args, result)
    from trailwatch.errors import InputError

    if not args.paths:
        raise InputError("replay needs at least one PATH (files or folders of CloudTrail records)")
    paths = check_paths(args.paths)
    # Unset options take ReadLimits' defaults (importing them here keeps the CLI's start fast).
    sizes = {
        "max_record_bytes": args.max_record_bytes,
        "max_document_bytes": args.max_document_bytes,
    }
    limits = ReadLimits(**{name: size for name, size in sizes.items() if size is not None})
    if args.engine == "duckdb":
        from trailwatch.replay.sql.duckdb_engine import replay_duckdb

        if stderr.is_terminal:
            with stderr.status("replaying with DuckDB"):
                result = replay_duckdb(paths, deployment, limits)
        else:
            result = replay_duckdb(paths, deployment, limits)
    else:
        if args.jobs is None:
            from trailwatch.replay.parallel import default_jobs

            jobs = default_jobs()
        else:
            jobs = args.jobs
        if stderr.is_terminal:
            result = _replay_with_progress(paths, deployment, stderr, limits=limits, jobs=jobs)
        else:
            result = replay(paths, deployment, limits=limits, jobs=jobs)
    return _report(args, result)


def _report(args: argparse.Namespace, result: ReplayResult) -> int:
    from trailwatch.cli.console import console as make_console

    if args.json:
        print(json.dumps(result.to_json(), indent=2))
    else:
        _print_report(result, make_console())
    if result.records == 0 and result.engine == "athena":
        print(
            "trailwatch: the Athena query returned no records in the window (--since, --until, "
            "--accounts, --regions)",
            file=sys.stderr,
        )
        return exit_codes.FINDINGS
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
    jobs: int = 1,
) -> ReplayResult:
    """Replay with a transient progress bar over the input's bytes, when the input is large:
    files, bytes, records read and records per second."""
    import time

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
        return replay(paths, deployment, limits=limits, jobs=jobs)
    workers = f", {min(jobs, files)} processes" if jobs > 1 and files > 1 else ""
    columns = (
        TextColumn(f"replaying {files:,} file{'s' if files != 1 else ''}{workers}"),
        BarColumn(),
        DownloadColumn(),
        TextColumn("{task.fields[records]:,} records, {task.fields[rate]:,.0f}/s"),
        TimeRemainingColumn(),
    )
    started = time.perf_counter()
    read = 0

    with Progress(*columns, console=console, transient=True) as progress:
        task = progress.add_task("replay", total=total, records=0, rate=0.0)

        def on_records(more: int) -> None:
            nonlocal read
            read += more
            rate = read / max(time.perf_counter() - started, 1e-6)
            progress.update(task, records=read, rate=rate)

        return replay(
            paths,
            deployment,
            lambda done: progress.advance(task, done),
            limits,
            jobs=jobs,
            on_records=on_records,
        )


def _print_report(result: ReplayResult, console: Console) -> None:
    from rich.table import Table

    source = (
        "the Athena table"
        if result.engine == "athena"
        else f"{result.files:,} file{'s' if result.files != 1 else ''}"
    )
    table = Table(
        title=f"{result.records:,} records from {source}: what would have fired "
        f"({result.engine}, {result.elapsed_s:,.1f} s)"
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
