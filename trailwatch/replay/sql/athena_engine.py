"""`trailwatch replay --engine athena`: the replay as one Athena query over the CloudTrail table.

The query (`athena_query`) is compiled before anything is sent, so a pattern SQL cannot express
is refused without a cent spent; Athena answers with the DuckDB engine's rows, as strings, and
the same `replay_result` simulates the alarms from them.
"""

from __future__ import annotations

import time
from typing import Any

from trailwatch.replay.records import ReadStats
from trailwatch.replay.replayer import ReplayResult
from trailwatch.replay.sql.athena_client import AthenaRunner, QueryRun
from trailwatch.replay.sql.athena_query import Window, athena_query, table_name
from trailwatch.replay.sql.duckdb_engine import replay_result
from trailwatch.spec.model import Deployment


def _number(cell: str | None) -> int | None:
    return None if cell is None else int(cell)


def typed_rows(rows: list[tuple[str | None, ...]]) -> list[tuple[Any, ...]]:
    """Athena's cells (strings) as `replay_result` reads DuckDB's rows."""
    return [
        (int(ev or 0), _number(start), odd, int(n or 0), int(incomplete or 0), first, last)
        for ev, start, odd, n, incomplete, first, last in rows
    ]


def athena_sql(deployment: Deployment, database: str, table: str, window: Window) -> str:
    """The query `replay_athena` sends; `SqlUnsupported` for a pattern SQL cannot express."""
    return athena_query(deployment.alarms, table_name(database, table), window)


def replay_athena(
    deployment: Deployment, runner: AthenaRunner, table: str, window: Window
) -> tuple[ReplayResult, QueryRun]:
    """Replay the table's records in the window through the deployment's alarms in Athena."""
    started = time.perf_counter()
    sql = athena_sql(deployment, runner.database, table, window)
    run = runner.run(sql)
    result = replay_result(
        deployment.alarms,
        typed_rows(run.rows),
        ReadStats(),
        time.perf_counter() - started,
        engine="athena",
    )
    return result, run
