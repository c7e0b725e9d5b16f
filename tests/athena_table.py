"""The CloudTrail table of `athena-ddl`, built in DuckDB from records, to run Athena's SQL
without an account.

Also the helpers the Athena tests share: the rows and the answer of the query on such a table,
and the Python engine's answer on the same records.

The columns are the DDL's own (`COLUMNS`, translated from Hive's types by sqlglot); each record
becomes a row as the CloudTrail SerDe reads it: JSON names matched to columns without regard to
case, a JSON object or array in a STRING column kept as its JSON text, a boolean or a number as
its text, a null or a missing field as NULL, a struct's missing fields NULL. The partition
columns are the account, region and UTC day the record would be delivered under.
"""

from __future__ import annotations

import json
from collections.abc import Iterable
from pathlib import Path
from typing import Any

import duckdb
import sqlglot
from sqlglot import exp

from trailwatch.replay import replay, synthetic
from trailwatch.replay.records import ReadStats
from trailwatch.replay.sql.athena_ddl import COLUMNS
from trailwatch.replay.sql.athena_query import Window, athena_query
from trailwatch.replay.sql.duckdb_engine import replay_result
from trailwatch.spec.model import Deployment

DATABASE = "trailwatch"
TABLE = "cloudtrail_logs"
QUOTED_TABLE = f'"{DATABASE}"."{TABLE}"'


def ddl_columns() -> list[exp.ColumnDef]:
    """The DDL's columns as sqlglot reads them in Hive's dialect."""
    create = sqlglot.parse_one(f"CREATE TABLE t (\n{COLUMNS}\n)", read="hive")
    return [c for c in create.this.expressions if isinstance(c, exp.ColumnDef)]


def _field(value: dict[str, Any], name: str) -> Any:
    for key, item in value.items():
        if key.lower() == name:
            return item
    return None


def serde_value(value: Any, kind: exp.DataType) -> Any:
    """A JSON value as the SerDe keeps it in a column of `kind`."""
    if value is None:
        return None
    if kind.this == exp.DataType.Type.STRUCT:
        if not isinstance(value, dict):
            return None
        return {
            f.name: serde_value(_field(value, f.name), f.args["kind"]) for f in kind.expressions
        }
    if kind.this == exp.DataType.Type.ARRAY:
        if not isinstance(value, list):
            return None
        return [serde_value(item, kind.expressions[0]) for item in value]
    if kind.this == exp.DataType.Type.MAP:
        if not isinstance(value, dict):
            return None
        return {str(k): serde_value(v, kind.expressions[1]) for k, v in value.items()}
    if isinstance(value, str):
        return value
    return json.dumps(value)


def serde_row(record: dict[str, Any], columns: list[exp.ColumnDef]) -> dict[str, Any]:
    row = {c.name: serde_value(_field(record, c.name), c.args["kind"]) for c in columns}
    time = record.get("eventTime")
    day = time[:10].replace("-", "/") if isinstance(time, str) else None
    row.update(account=record.get("recipientAccountId"), region=record.get("awsRegion"))
    row["timestamp"] = day
    return row


def cloudtrail_table(records: Iterable[dict[str, Any]], workdir: Path) -> Any:
    """A DuckDB connection holding `trailwatch.cloudtrail_logs` with these records."""
    columns = ddl_columns()
    con = duckdb.connect()
    con.execute(f"CREATE SCHEMA {DATABASE}")
    defs = ", ".join(c.sql(dialect="duckdb") for c in columns)
    con.execute(
        f'CREATE TABLE {DATABASE}.{TABLE} ({defs}, account TEXT, region TEXT, "timestamp" TEXT)'
    )
    types = {
        name: kind for name, kind, *_ in con.execute(f"DESCRIBE {DATABASE}.{TABLE}").fetchall()
    }
    rows = workdir / "rows.jsonl"
    with rows.open("w", encoding="utf-8") as f:
        for record in records:
            f.write(json.dumps(serde_row(record, columns)) + "\n")
    spec = "{" + ", ".join(f"'{n}': '{t}'" for n, t in types.items()) + "}"
    con.execute(
        f"INSERT INTO {DATABASE}.{TABLE} SELECT * FROM read_json('{rows}', "
        f"format='newline_delimited', columns={spec})"
    )
    return con


def run_athena_sql(con: Any, trino_sql: str) -> list[tuple[Any, ...]]:
    """Athena's query, transpiled from Trino's dialect to DuckDB's by sqlglot, run on `con`."""
    duck_sql = sqlglot.transpile(trino_sql, read="trino", write="duckdb")[0]
    rows: list[tuple[Any, ...]] = con.execute(duck_sql).fetchall()
    return rows


def outcomes(document: dict[str, Any]) -> tuple[Any, ...]:
    """What two engines must agree on in a replay's JSON."""
    return document["records"], document["matches"], document["alarms"]


def athena_rows(
    records: list[dict[str, Any]], deployment: Deployment, workdir: Path, window: Window
) -> list[tuple[Any, ...]]:
    """The rows Athena's replay query gives on a table of these records (as DuckDB runs it)."""
    con = cloudtrail_table(records, workdir)
    return run_athena_sql(con, athena_query(deployment.alarms, QUOTED_TABLE, window))


def athena_answer(
    records: list[dict[str, Any]], deployment: Deployment, workdir: Path, window: Window
) -> dict[str, Any]:
    """The `--json` document `--engine athena` would print for these records."""
    rows = athena_rows(records, deployment, workdir, window)
    return replay_result(deployment.alarms, rows, ReadStats(), 0.0, engine="athena").to_json()


def python_answer(records: list[dict[str, Any]], deployment: Deployment, path: Path) -> Any:
    """The Python engine's `--json` document for these records, written to `path` first."""
    synthetic.write_jsonl(path, iter(records))
    return replay([path], deployment).to_json()
