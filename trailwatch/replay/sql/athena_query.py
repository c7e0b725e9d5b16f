"""The replay as one Athena (Trino) query over the CloudTrail table that `athena-ddl` creates.

The query has the DuckDB engine's shape and answers with the same rows, so the same Python
code (`duckdb_engine.outcome`) turns them into matches and ALARM periods: per record, every
selector's value once (`AthenaSchema`), then one list of the events it matches unnested, then a
GROUP BY on (event, period start). ev -1 counts the records (with how many are incomplete and
their first and last eventTime), ev i the matches of event i per period start (CloudTrail's
times) or per other eventTime string.

The `Window` prunes partitions: the projected `account`, `region` and `timestamp` (the day folder
a file was delivered into) and, exactly, `eventtime`. A record reaches S3 some minutes after its
eventTime, so the last day folder read is the day after `until`.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from trailwatch.errors import InputError
from trailwatch.replay.sql.athena_schema import AthenaSchema
from trailwatch.replay.sql.compiler import compile_condition
from trailwatch.replay.sql.dialects import TRINO, quote
from trailwatch.spec.alarms import Alarm

# CloudTrail delivers a file about 5 minutes after its records on average (AWS's CloudTrail FAQ),
# with no bound promised: a day's margin on the day folder costs at most a day more scanned.
DELIVERY_MARGIN = timedelta(days=1)
_CLOUDTRAIL_TIME = r"[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9]{2}:[0-5][0-9]:[0-5][0-9]Z"
_ACCOUNT = re.compile(r"[0-9]{12}")
_REGION = re.compile(r"[a-z]{2}(-[a-z]+)+-[0-9]+")
_NAME = re.compile(r"[A-Za-z0-9_][A-Za-z0-9_-]{0,254}")


def parse_moment(option: str, text: str) -> datetime:
    """`2024-01-01` or `2024-01-01T00:05:00Z` as an aware UTC datetime."""
    try:
        moment = datetime.fromisoformat(text)
    except ValueError:
        raise InputError(
            f"{option}: {text!r} is not a date or time (2024-01-01 or 2024-01-01T00:05:00Z)"
        ) from None
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=UTC)
    return moment.astimezone(UTC)


@dataclass(frozen=True)
class Window:
    """What the query reads: `since` inclusive, `until` exclusive, accounts and regions."""

    since: datetime | None = None
    until: datetime | None = None
    accounts: tuple[str, ...] = ()
    regions: tuple[str, ...] = ()

    def __post_init__(self) -> None:
        bad = [a for a in self.accounts if not _ACCOUNT.fullmatch(a)]
        if bad:
            raise InputError(f"--accounts: {bad[0]!r} is not a 12-digit account id")
        bad = [r for r in self.regions if not _REGION.fullmatch(r)]
        if bad:
            raise InputError(f"--regions: {bad[0]!r} is not a region name such as us-east-1")
        if self.since and self.until and self.since >= self.until:
            raise InputError("--since must be before --until")

    def where(self) -> str:
        """The WHERE clause (`true` when nothing is pruned)."""
        terms = []
        if self.accounts:
            terms.append(f"account IN ({', '.join(map(quote, self.accounts))})")
        if self.regions:
            terms.append(f"region IN ({', '.join(map(quote, self.regions))})")
        if self.since:
            terms.append(f'"timestamp" >= {quote(self.since.strftime("%Y/%m/%d"))}')
            terms.append(f"eventtime >= {quote(self.since.strftime('%Y-%m-%dT%H:%M:%SZ'))}")
        if self.until:
            last_day = self.until + DELIVERY_MARGIN
            terms.append(f'"timestamp" <= {quote(last_day.strftime("%Y/%m/%d"))}')
            terms.append(f"eventtime < {quote(self.until.strftime('%Y-%m-%dT%H:%M:%SZ'))}")
        return " AND ".join(terms) or "true"


def table_name(database: str, table: str) -> str:
    """`"database"."table"`, each checked to be a Glue name."""
    for option, name in (("--database", database), ("--table", table)):
        if not _NAME.fullmatch(name):
            raise InputError(f"{option}: {name!r} is not a name (letters, digits, _ and -)")
    return f'"{database}"."{table}"'


def compile_athena(alarms: Sequence[Alarm]) -> tuple[AthenaSchema, list[str]]:
    """Every alarm's condition over the table; `SqlUnsupported` for the first that cannot be."""
    schema = AthenaSchema()
    return schema, [compile_condition(a.id, a.pattern, schema) for a in alarms]


def athena_query(alarms: Sequence[Alarm], table: str, window: Window) -> str:
    """The whole replay as one Trino query over `table` (a quoted `"database"."table"`), with
    rows (ev, start, odd_time, n, incomplete, first_time, last_time)."""
    schema, conditions = compile_athena(alarms)
    time_v, name_v, source_v = (
        schema.value((n,)) for n in ("eventTime", "eventName", "eventSource")
    )
    periods = "ARRAY[" + ", ".join(str(a.settings.period) for a in alarms) + "]"
    # Trino's element_at fails on index 0, which the records' row (ev -1) would reach.
    period = f"element_at({periods}, greatest(ev, 0) + 1)" if alarms else "1"
    hits = "".join(f", CASE WHEN {c} THEN {i} END" for i, c in enumerate(conditions))
    t, s = time_v.type, time_v.text
    is_cloudtrail_time = TRINO.full_match(s, _CLOUDTRAIL_TIME)
    return f"""WITH cols AS (
  SELECT
    {schema.select_list()}
  FROM {table}
  WHERE {window.where()}),
timed AS (
  SELECT *,
    CASE WHEN {t} = 'VARCHAR' AND {is_cloudtrail_time}
      THEN date_diff('second', TIMESTAMP '1970-01-01 00:00:00',
        try(date_parse({s}, '%Y-%m-%dT%H:%i:%sZ'))) END AS epoch_s,
    CASE WHEN {t} = 'VARCHAR' THEN {s} END AS time_text,
    ({name_v.type} IS NULL OR {source_v.type} IS NULL) AS incomplete
  FROM cols),
hits AS (
  SELECT ev, epoch_s, time_text, incomplete FROM timed
  CROSS JOIN UNNEST(filter(ARRAY[-1{hits}], x -> x IS NOT NULL)) AS u(ev))
SELECT ev,
  CASE WHEN ev >= 0 AND epoch_s IS NOT NULL
    THEN epoch_s - mod(mod(epoch_s, {period}) + {period}, {period}) END AS start,
  CASE WHEN ev >= 0 AND epoch_s IS NULL THEN time_text END AS odd_time,
  count(*) AS n,
  count_if(incomplete) AS incomplete,
  min(time_text) AS first_time,
  max(time_text) AS last_time
FROM hits
GROUP BY 1, 2, 3
"""
