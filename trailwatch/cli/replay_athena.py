"""`trailwatch replay --engine athena`'s options and run: one query over the table of
`trailwatch athena-ddl`, its state and bytes scanned on stderr while it runs, and after it the
bytes scanned and what they cost."""

from __future__ import annotations

import argparse
import sys
import time
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from rich.console import Console

    from trailwatch.replay import ReplayResult
    from trailwatch.spec.model import Deployment

# The options only the athena engine reads, to refuse them with another engine. Each defaults
# to None, so that "given" is told from "not given" whatever value was given.
ATHENA_ONLY = (
    "database",
    "table",
    "workgroup",
    "output",
    "since",
    "until",
    "accounts",
    "regions",
)
DEFAULT_TABLE = "cloudtrail_logs"


def add_arguments(parser: argparse.ArgumentParser) -> None:
    group = parser.add_argument_group("--engine athena (no PATH: the table is the input)")
    group.add_argument("--database", help="the Glue database holding the table")
    group.add_argument("--table", help=f"the table `athena-ddl` created (default: {DEFAULT_TABLE})")
    group.add_argument("--workgroup", help="Athena workgroup (default: the account's primary)")
    group.add_argument(
        "--output",
        metavar="S3_URL",
        help="where Athena writes the results (s3://...; default: the workgroup's)",
    )
    group.add_argument(
        "--since", metavar="TIME", help="first eventTime read, inclusive (2024-01-01[T00:00:00Z])"
    )
    group.add_argument("--until", metavar="TIME", help="eventTime read up to, exclusive")
    group.add_argument("--accounts", metavar="ID,...", help="only these accounts' partitions")
    group.add_argument("--regions", metavar="REGION,...", help="only these regions' partitions")


def _split(text: str | None) -> tuple[str, ...]:
    return tuple(part.strip() for part in (text or "").split(",") if part.strip())


def athena_client(endpoint_url: str | None) -> Any:
    """A boto3 Athena client: the emulator's with dummy keys, else the default session's."""
    import boto3  # type: ignore[import-untyped]

    from trailwatch.errors import AthenaError

    if endpoint_url:
        session = boto3.Session(
            aws_access_key_id="test", aws_secret_access_key="test", region_name="us-east-1"
        )
        return session.client("athena", endpoint_url=endpoint_url)
    session = boto3.Session()
    if session.region_name is None:
        # botocore reads AWS_DEFAULT_REGION or the profile's region, never AWS_REGION.
        raise AthenaError(
            "athena: no AWS region: set AWS_DEFAULT_REGION (or the AWS profile's region) "
            "to the region of the table"
        )
    if session.get_credentials() is None:
        raise AthenaError("athena: no AWS credentials (AWS_PROFILE or AWS_ACCESS_KEY_ID)")
    return session.client("athena")


def replay(args: argparse.Namespace, deployment: Deployment, stderr: Console) -> ReplayResult:
    """Run the replay in Athena and say on stderr what it scanned and cost."""
    from trailwatch.errors import InputError
    from trailwatch.replay.sql.athena_client import (
        PRICE_PER_TB_USD,
        AthenaRunner,
        QueryStatus,
        check_output,
    )
    from trailwatch.replay.sql.athena_engine import athena_sql, replay_athena
    from trailwatch.replay.sql.athena_query import Window, parse_moment

    if args.paths:
        raise InputError("--engine athena reads the table, not files: drop the PATHs")
    if not args.database:
        raise InputError("--engine athena needs --database (the Glue database of the table)")
    if not _split(args.accounts):
        # athena-ddl's table injects the account partition: Athena refuses a query on it that
        # does not name its accounts, after the round trip; say so before connecting.
        raise InputError(
            "--engine athena needs --accounts (ID,...): the table of athena-ddl injects the "
            "account partition, so each query must name its accounts"
        )
    window = Window(
        since=parse_moment("--since", args.since) if args.since else None,
        until=parse_moment("--until", args.until) if args.until else None,
        accounts=_split(args.accounts),
        regions=_split(args.regions),
    )
    # Refuse what can be refused before connecting.
    check_output(args.output)
    table = DEFAULT_TABLE if args.table is None else args.table
    athena_sql(deployment, args.database, table, window)
    started = time.perf_counter()
    seen: list[str] = []

    def on_status(status: QueryStatus) -> None:
        line = (
            f"athena: query {status.query_id} {status.state}, "
            f"{time.perf_counter() - started:,.1f} s, {status.bytes_scanned:,} bytes scanned"
        )
        if stderr.is_terminal:
            stderr.print(line, markup=False, end="\r")
        elif status.state not in seen:
            seen.append(status.state)
            print(line, file=sys.stderr)

    runner = AthenaRunner(
        athena_client(deployment.endpoint_url),
        database=args.database,
        workgroup=args.workgroup,
        output=args.output,
        on_status=on_status,
    )
    result, run = replay_athena(deployment, runner, table, window)
    print(
        f"athena: query {run.query_id} scanned {run.bytes_scanned:,} bytes: about "
        f"USD {run.cost_usd:.4f} (USD {PRICE_PER_TB_USD:g} per TB, 10 MB minimum per query)",
        file=sys.stderr,
    )
    return result
