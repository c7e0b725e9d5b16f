"""`trailwatch tune`: what exclusion rules remove from the alarms, over your own CloudTrail records.

Replays the records once under the current config and under a candidate (`--candidate FILE`;
by default the current config without any exclusion rule) and prints per event the matches and
periods in ALARM under each, and per rule what it removed with up to 5 example records. Alarms in
ALARM more than `--noisy N` periods (default 10) under the current config get suggested rules:
the top principals, event names and source IPs behind them, as YAML to paste (never applied).

`--from-metrics` reads instead the deployed metrics (by default the shadow alarms', or every
alarm's when none is shadow; `--event` picks) with CloudWatch GetMetricData between `--since` and
`--until`, and prints the periods each alarm would have been in ALARM.

Exit status: 0 ok; 1 findings: a rule that removed no record, an alarm over `--noisy`, nothing
readable in the input, or (`--from-metrics`) a metric that would have alarmed; 2 input errors.
"""

from __future__ import annotations

import argparse
import json
import re
import sys
import time
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING

from trailwatch.cli import exit_codes, options

if TYPE_CHECKING:
    from rich.console import Console

    from trailwatch.spec.model import Deployment
    from trailwatch.tune import TuneResult
    from trailwatch.tune.metrics import MetricsResult

# Inputs smaller than this are read in about a second: no progress bar.
PROGRESS_MIN_BYTES = 32 * 2**20
_AGO = {"m": 60, "h": 3600, "d": 86400}
DEFAULT_NOISY = 10
# The options each mode reads: given to the other one, they would be ignored, so they are refused.
_RECORDS_ONLY = {"paths": "PATH", "candidate": "--candidate", "noisy": "--noisy"}
_METRICS_ONLY = {
    "since": "--since",
    "until": "--until",
    "event": "--event",
    "endpoint_url": "--endpoint-url",
}


def add_arguments(parser: argparse.ArgumentParser) -> None:
    options.add_config(parser)
    options.add_json(parser)
    parser.add_argument(
        "--candidate",
        type=Path,
        metavar="FILE",
        help="the config to compare with (default: the current one without exclusion rules)",
    )
    parser.add_argument(
        "--noisy",
        type=_count,
        metavar="N",
        help=f"suggest rules for alarms in ALARM more than N periods (default: {DEFAULT_NOISY})",
    )
    parser.add_argument(
        "paths",
        metavar="PATH",
        nargs="*",
        type=Path,
        help="CloudTrail files (delivery files, JSON Lines, lookup-events output; gzip or not) "
        "or folders, walked recursively",
    )
    metrics = parser.add_argument_group("--from-metrics")
    metrics.add_argument(
        "--from-metrics",
        action="store_true",
        help="read the deployed metrics with GetMetricData instead of records",
    )
    metrics.add_argument("--since", type=parse_moment, help="start: ISO time or 90m/3h/7d ago")
    metrics.add_argument("--until", type=parse_moment, help="end: ISO time or 90m/3h/7d ago")
    metrics.add_argument("--event", action="append", metavar="ID", help="this event's metric")
    metrics.add_argument("--endpoint-url", help="AWS endpoint (default: TRAILWATCH_ENDPOINT_URL)")
    # Not options.add_target: over records it takes one target, whose alarms it counts.
    parser.add_argument(
        "--target",
        action="append",
        metavar="NAME",
        help="over records: count this target's alarms, with its own overrides (default: the "
        "global ones); --from-metrics: read this target's metrics (repeatable; default: every "
        "target)",
    )


def _count(text: str) -> int:
    if not text.isdigit():
        raise argparse.ArgumentTypeError(f"{text!r} is not a number of periods (0 or more)")
    return int(text)


def parse_moment(text: str, now: float | None = None) -> int:
    """`2026-12-01`, `2026-12-01T10:00:00Z` (UTC unless a zone is given), or `3h` ago."""
    ago = re.fullmatch(r"(\d+)([mhd])", text.strip())
    if ago:
        moment = time.time() if now is None else now
        return int(moment) - int(ago.group(1)) * _AGO[ago.group(2)]
    try:
        parsed = datetime.fromisoformat(text.strip())
    except ValueError:
        raise argparse.ArgumentTypeError(
            f"{text!r} is not a time: ISO 8601 (2026-12-01T10:00Z) or minutes, hours or days ago "
            "(90m, 3h, 7d)"
        ) from None
    return int((parsed if parsed.tzinfo else parsed.replace(tzinfo=UTC)).timestamp())


def run(args: argparse.Namespace) -> int:
    from trailwatch.spec.model import load_deployment

    _refuse_other_mode(args)
    deployment = load_deployment(args.config)
    _warn_expired(deployment)
    if args.from_metrics:
        return _run_metrics(args, deployment)
    if args.noisy is None:
        args.noisy = DEFAULT_NOISY
    if not args.paths:
        from trailwatch.errors import InputError

        raise InputError("tune: give the CloudTrail files or folders to replay (or --from-metrics)")
    from trailwatch.cli.tune_report import print_report

    result = _tune(args, deployment)
    if args.json:
        print(json.dumps(result.to_json(), indent=2))
    else:
        from trailwatch.cli.console import console

        print_report(result, console())
    if result.records == 0:
        print("trailwatch: no CloudTrail record could be read", file=sys.stderr)
        return exit_codes.FINDINGS
    if result.idle_rules or result.suggestions:
        return exit_codes.FINDINGS
    return exit_codes.OK


def _refuse_other_mode(args: argparse.Namespace) -> None:
    """One line naming the options the chosen mode does not read."""
    from trailwatch.errors import InputError

    other = _RECORDS_ONLY if args.from_metrics else _METRICS_ONLY
    given = [flag for name, flag in other.items() if getattr(args, name) not in (None, [])]
    if not given:
        return
    if args.from_metrics:
        raise InputError(
            f"tune --from-metrics: {', '.join(given)} only apply when replaying records; "
            "leave them out"
        )
    raise InputError(f"tune: {', '.join(given)} only apply with --from-metrics")


def _warn_expired(deployment: Deployment) -> None:
    """What validate warns of an expired rule, said here too: tune is where the noise is read."""
    from trailwatch.cli.console import console as make_console
    from trailwatch.spec.rule_checks import expired, expiry_problem

    for index, rule in expired(deployment.config.exclusions.rules, deployment.today):
        make_console(stderr=True).print(
            f"[yellow]warning:[/yellow] {deployment.config_path}: {expiry_problem(index, rule)}",
            highlight=False,
            soft_wrap=True,
        )


def _tune(args: argparse.Namespace, deployment: Deployment) -> TuneResult:
    from trailwatch.cli.console import console as make_console
    from trailwatch.errors import InputError
    from trailwatch.replay.records import check_paths, input_size
    from trailwatch.spec.model import load_deployment
    from trailwatch.tune import tune

    candidate = load_deployment(args.candidate) if args.candidate else None
    if candidate is not None:
        _warn_expired(candidate)
    paths = check_paths(args.paths)
    if args.target and len(args.target) > 1:
        raise InputError("--target: tune replays records for one target's alarms at a time")
    target = args.target[0] if args.target else None
    stderr = make_console(stderr=True)
    if not stderr.is_terminal or input_size(paths)[1] < PROGRESS_MIN_BYTES:
        return tune(paths, deployment, candidate, noisy=args.noisy, target=target)
    return _with_progress(paths, deployment, candidate, args.noisy, stderr, target)


def _with_progress(
    paths: list[Path],
    deployment: Deployment,
    candidate: Deployment | None,
    noisy: int,
    console: Console,
    target: str | None = None,
) -> TuneResult:
    """tune with a transient progress bar on stderr over the input's bytes and records."""
    from rich.progress import BarColumn, DownloadColumn, Progress, TextColumn

    from trailwatch.replay.records import input_size
    from trailwatch.tune import tune

    files, total = input_size(paths)
    columns = (
        TextColumn(f"tuning over {files:,} file{'s' if files != 1 else ''}"),
        BarColumn(),
        DownloadColumn(),
        TextColumn("{task.fields[records]:,} records"),
    )
    with Progress(*columns, console=console, transient=True) as progress:
        task = progress.add_task("tune", total=total, records=0)
        read = 0

        def on_records(more: int) -> None:
            nonlocal read
            read += more
            progress.update(task, records=read)

        return tune(
            paths,
            deployment,
            candidate,
            noisy=noisy,
            target=target,
            progress=lambda done: progress.advance(task, done),
            on_records=on_records,
        )


def _run_metrics(args: argparse.Namespace, deployment: Deployment) -> int:
    from trailwatch.cli.tune_report import print_metrics
    from trailwatch.tune.metrics import metric_periods

    until = args.until if args.until is not None else int(time.time())
    since = args.since if args.since is not None else until - 86400
    result: MetricsResult = metric_periods(
        deployment,
        deployment.select_targets(args.target),
        since,
        until,
        events=args.event,
        endpoint_url=args.endpoint_url,
    )
    if args.json:
        print(json.dumps(result.to_json(), indent=2))
    else:
        from trailwatch.cli.console import console

        print_metrics(result, console())
    return exit_codes.FINDINGS if result.alarmed else exit_codes.OK
