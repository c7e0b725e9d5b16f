"""`trailwatch athena-ddl`: print the Athena table of a trail's S3 logs, with partition projection.

The table is the CloudTrail table AWS documents (nested `useridentity`, `requestparameters` and
the other JSON strings, `resources`), partitioned by account, region and day and projected, so
that a query names what it scans and nothing has to be crawled or loaded. Run the printed
statement in Athena (console or `aws athena start-query-execution`).
"""

from __future__ import annotations

import argparse

from trailwatch.cli import exit_codes


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--bucket", required=True, help="the trail's S3 bucket")
    parser.add_argument("--prefix", default="", help="the trail's S3 key prefix, if any")
    parser.add_argument(
        "--organization-id",
        metavar="ID",
        help="an organization trail's organization (o-...): its logs are under AWSLogs/ID/",
    )
    parser.add_argument("--table", default="cloudtrail_logs", help="table name")
    parser.add_argument(
        "--accounts",
        metavar="ID,...",
        help="enumerate these accounts (default: injected, each query names its accounts)",
    )
    parser.add_argument(
        "--regions",
        metavar="REGION,...",
        help="enumerated regions (default: every region of the aws partition botocore knows)",
    )
    parser.add_argument(
        "--since", default="2020/01/01", help="first day projected (2020-01-01 or 2020/01/01)"
    )


def _split(text: str | None) -> list[str]:
    return [part.strip() for part in (text or "").split(",") if part.strip()]


def run(args: argparse.Namespace) -> int:
    from trailwatch.replay.sql.athena_ddl import cloudtrail_ddl

    regions = _split(args.regions)
    if not regions:
        from trailwatch.spec.fields import known_regions

        # The aws partition's: China, GovCloud and the isolated partitions keep their own logs.
        other = ("cn-", "us-gov-", "us-iso", "eu-iso", "eusc-")
        regions = sorted(r for r in known_regions() if not r.startswith(other))
    print(
        cloudtrail_ddl(
            bucket=args.bucket,
            prefix=args.prefix,
            organization_id=args.organization_id,
            table=args.table,
            regions=regions,
            accounts=_split(args.accounts),
            since=args.since,
        ),
        end="",
    )
    return exit_codes.OK
