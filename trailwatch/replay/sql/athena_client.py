"""Running one query in Athena with boto3: start it, poll it, page its rows, stop it on Ctrl-C.

`AthenaRunner.run` starts the query (`start_query_execution`, in a workgroup, results to an S3
location), polls `get_query_execution` until it ends, reporting its state and the bytes scanned
so far, and reads every page of `get_query_results` (the first row of the first page is the
header). FAILED and CANCELLED end it with an `AthenaError` (one line, exit 2); an API error or a
missing credential likewise. Ctrl-C stops the query (`stop_query_execution`), so that it does
not go on scanning and billing, and is passed on.
"""

from __future__ import annotations

import math
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import Any

from trailwatch.errors import AthenaError

# Athena's SQL queries cost USD 5.00 per TB scanned in most regions, each query rounded up to
# the megabyte with a 10 MB minimum; failed queries are free (aws.amazon.com/athena/pricing,
# "SQL queries", as of 2026-12).
PRICE_PER_TB_USD = 5.0
BILLED_UNIT_BYTES = 10**6
MINIMUM_BILLED_BYTES = 10 * 10**6
TB = 10**12
POLL_SECONDS = 1.0
_ENDED = ("SUCCEEDED", "FAILED", "CANCELLED")


def query_cost_usd(bytes_scanned: int) -> float:
    """What a query that scanned this many bytes costs (0 for none: nothing was read)."""
    if bytes_scanned <= 0:
        return 0.0
    billed = max(
        math.ceil(bytes_scanned / BILLED_UNIT_BYTES) * BILLED_UNIT_BYTES, MINIMUM_BILLED_BYTES
    )
    return billed / TB * PRICE_PER_TB_USD


@dataclass(frozen=True)
class QueryStatus:
    """One answer of `get_query_execution`."""

    query_id: str
    state: str
    bytes_scanned: int
    reason: str

    @classmethod
    def from_response(cls, response: dict[str, Any]) -> QueryStatus:
        execution = response["QueryExecution"]
        status = execution.get("Status", {})
        reason = status.get("StateChangeReason") or status.get("AthenaError", {}).get(
            "ErrorMessage", ""
        )
        return cls(
            query_id=execution["QueryExecutionId"],
            state=status.get("State", "QUEUED"),
            bytes_scanned=int(execution.get("Statistics", {}).get("DataScannedInBytes", 0)),
            reason=reason,
        )

    def check(self) -> None:
        """An `AthenaError` if the query ended any other way than SUCCEEDED."""
        if self.state == "FAILED":
            raise AthenaError(f"athena: query {self.query_id} FAILED: {self.reason or 'no reason'}")
        if self.state == "CANCELLED":
            raise AthenaError(
                f"athena: query {self.query_id} was CANCELLED (stopped in the console or by "
                "stop-query-execution)"
            )


@dataclass(frozen=True)
class QueryRun:
    """A query that SUCCEEDED: its rows (strings, None for SQL NULL) and what it scanned."""

    query_id: str
    rows: list[tuple[str | None, ...]]
    bytes_scanned: int

    @property
    def cost_usd(self) -> float:
        return query_cost_usd(self.bytes_scanned)


def check_output(output: str | None) -> None:
    """An `AthenaError` unless the results location is an S3 URL (or left to the workgroup)."""
    if output is not None and not output.startswith("s3://"):
        raise AthenaError(f"--output: {output!r} is not an S3 location (s3://bucket/prefix/)")


def _error(operation: str, err: Exception) -> AthenaError:
    """One line for a failed API call (botocore's ClientError or another BotoCoreError)."""
    response = getattr(err, "response", None)
    if isinstance(response, dict):
        error = response.get("Error", {})
        return AthenaError(
            f"athena: {operation}: {error.get('Code', 'error')}: {error.get('Message', err)}"
        )
    return AthenaError(f"athena: {err}")


def _api(call: Callable[..., Any], **kwargs: Any) -> Any:
    from botocore.exceptions import BotoCoreError, ClientError  # type: ignore[import-untyped]

    try:
        return call(**kwargs)
    except ClientError as err:
        raise _error(err.operation_name, err) from None
    except BotoCoreError as err:
        raise _error("", err) from None


class AthenaRunner:
    """Runs queries with one boto3 Athena client; `on_status` hears every poll."""

    def __init__(
        self,
        client: Any,
        *,
        database: str,
        workgroup: str | None = None,
        output: str | None = None,
        poll_seconds: float = POLL_SECONDS,
        on_status: Callable[[QueryStatus], None] | None = None,
    ) -> None:
        check_output(output)
        self.client = client
        self.database = database
        self.workgroup = workgroup
        self.output = output
        self.poll_seconds = poll_seconds
        self.on_status = on_status or (lambda status: None)

    def start(self, sql: str) -> str:
        kwargs: dict[str, Any] = {
            "QueryString": sql,
            "QueryExecutionContext": {"Database": self.database},
        }
        if self.workgroup:
            kwargs["WorkGroup"] = self.workgroup
        if self.output:
            kwargs["ResultConfiguration"] = {"OutputLocation": self.output}
        query_id: str = _api(self.client.start_query_execution, **kwargs)["QueryExecutionId"]
        return query_id

    def wait(self, query_id: str) -> QueryStatus:
        """Poll until the query ends; Ctrl-C stops it first."""
        try:
            while True:
                response = _api(self.client.get_query_execution, QueryExecutionId=query_id)
                status = QueryStatus.from_response(response)
                self.on_status(status)
                if status.state in _ENDED:
                    return status
                time.sleep(self.poll_seconds)
        except KeyboardInterrupt:
            _api(self.client.stop_query_execution, QueryExecutionId=query_id)
            raise

    def rows(self, query_id: str) -> Iterator[tuple[str | None, ...]]:
        """Every row of the results, the header left out."""
        paginator = self.client.get_paginator("get_query_results")
        pages = paginator.paginate(QueryExecutionId=query_id)
        first = True
        for page in _pages(pages):
            rows = page["ResultSet"]["Rows"]
            if first:
                rows, first = rows[1:], False
            for row in rows:
                yield tuple(cell.get("VarCharValue") for cell in row["Data"])

    def run(self, sql: str) -> QueryRun:
        query_id = self.start(sql)
        status = self.wait(query_id)
        status.check()
        return QueryRun(query_id, list(self.rows(query_id)), status.bytes_scanned)


def _pages(pages: Any) -> Iterator[dict[str, Any]]:
    from botocore.exceptions import BotoCoreError, ClientError

    try:
        yield from pages
    except (BotoCoreError, ClientError) as err:
        raise _error("GetQueryResults", err) from None
