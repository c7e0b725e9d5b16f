"""`trailwatch replay --engine duckdb`: the replay as one DuckDB query over the files.

DuckDB reads the files itself (gzip or not): JSON Lines with `read_ndjson_objects`, and
documents (CloudTrail's delivery files, `{"Records": [...]}`, one line or pretty-printed; a bare
array of records) with `read_json_objects`. Each enabled event's pattern becomes a condition
(`compiler`, over the values of its selectors, extracted once per record), and the alarm
simulation's input a GROUP BY: matches per event and period start. The periods in ALARM are
then worked out by the same `AlarmSimulation` as the Python engine's, from those counts.

`eventTime` in CloudTrail's format (`2024-01-01T00:05:00Z`) is turned into epoch seconds in SQL;
any other string is grouped as it is and read by Python's `parse_event_time`, so odd times get
the Python engine's answer too.

What this engine reads less well than the Python one, said in its skip reasons: lookup-events
output (use `--engine python`), a line that is not JSON or not an object (skipped, counted,
without its line number), a record holding a member name twice (DuckDB's JSON reader takes the
first value where AWS and the Python engine take the last: CloudTrail never writes one).
"""

from __future__ import annotations

import gzip
import json
import time
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from trailwatch.patterns.selectors import Path as Selector
from trailwatch.replay.alarm_simulation import AlarmSimulation, parse_event_time
from trailwatch.replay.records import (
    GZIP_MAGIC,
    ReadLimits,
    ReadStats,
    check_paths,
    input_files,
)
from trailwatch.replay.replayer import EventOutcome, ReplayResult
from trailwatch.replay.sql.compiler import Unsupported, Value, compile_condition
from trailwatch.replay.sql.dialects import duckdb_double_text, quote, re2_source
from trailwatch.spec.alarms import Alarm
from trailwatch.spec.model import Deployment

_HEAD = 64 * 1024
# A lone JSON object with any of these keys is one record (as `records` reads documents).
_RECORD_KEYS = ("eventVersion", "eventTime", "eventName", "eventSource", "eventID", "userIdentity")
_CLOUDTRAIL_TIME = r"'^[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9]{2}:[0-5][0-9]:[0-5][0-9]Z$'"


def json_path(path: Selector) -> str:
    """DuckDB's JSON path for a selector without wildcards: `$."a"."b"[0]`."""
    out = "$"
    for step in path:
        if isinstance(step, int):
            out += f"[{step}]"
        elif isinstance(step, str):
            if not step or '"' in step or "\\" in step:
                raise ValueError(step)
            out += f'."{step}"'
        else:
            raise ValueError(step)
    return out


class JsonSchema:
    """Selector values read from each record's JSON: one `json_extract` of every path, then a
    type and a text column per path (`t<k>`, `s<k>`)."""

    def __init__(self) -> None:
        self.paths: dict[Selector, int] = {}

    def value(self, path: Selector) -> Value:
        try:
            json_path(path)
        except ValueError:
            raise Unsupported(
                f"the selector name {path!r} (empty, or with a quote or backslash)"
            ) from None
        if path not in self.paths:
            self.paths[path] = len(self.paths)
        k = self.paths[path]
        return Value(type=f"t{k}", text=f"s{k}")

    def double_text(self, value: Value) -> str:
        return duckdb_double_text(f"TRY_CAST({value.text} AS DOUBLE)")

    def regex(self, subject: str, source: str) -> str:
        return f"regexp_matches({subject}, {quote(re2_source(source))})"


def compile_events(alarms: Sequence[Alarm]) -> tuple[JsonSchema, list[str]]:
    """Every alarm's condition over one schema; `SqlUnsupported` for the first that cannot be."""
    schema = JsonSchema()
    conditions = []
    for alarm in alarms:
        conditions.append(compile_condition(alarm.id, alarm.pattern, schema))
    return schema, conditions


def replay_query(
    alarms: Sequence[Alarm], files: dict[str, list[str]], limits: ReadLimits | None = None
) -> str:
    """The whole replay over `source`, a relation of records `r` (JSON objects) and of what
    gave none (`bad`), as rows of (ev, start, odd_time, n, incomplete, first_time, last_time):
    ev -2 counts what gave no record, ev -1 the records (with how many are incomplete and their
    first and last eventTime), ev i the matches of alarm i per period start (CloudTrail's times)
    or per other eventTime string (NULL: no string)."""
    schema, conditions = compile_events(alarms)
    for name in ("eventTime", "eventName", "eventSource"):
        schema.value((name,))
    paths = sorted(schema.paths, key=schema.paths.__getitem__)
    source = _source(files, limits or ReadLimits(), [json_path(p) for p in paths])
    columns = ", ".join(
        f"json_type(v[{k + 1}]) AS t{k}, json_extract_string(v[{k + 1}], '$') AS s{k}"
        for k in range(len(paths))
    )
    time_k, name_k, source_k = (
        schema.paths[(n,)] for n in ("eventTime", "eventName", "eventSource")
    )
    periods = "[" + ", ".join(str(a.settings.period) for a in alarms) + "]"
    hits = ", ".join(f"CASE WHEN {c} THEN {i} END" for i, c in enumerate(conditions))
    hits = f"[-1{', ' + hits if hits else ''}]"
    t, s = f"t{time_k}", f"s{time_k}"
    return f"""
WITH vals AS ({source}),
cols AS (SELECT bad, {columns} FROM vals),
timed AS (
  SELECT *,
    CASE WHEN {t} = 'VARCHAR' AND regexp_full_match({s}, {_CLOUDTRAIL_TIME})
      THEN CAST(epoch(try_strptime({s}, '%Y-%m-%dT%H:%M:%SZ')) AS BIGINT) END AS epoch_s,
    CASE WHEN {t} = 'VARCHAR' THEN {s} END AS time_text,
    (t{name_k} IS NULL OR t{source_k} IS NULL) AS incomplete
  FROM cols),
hits AS (SELECT unnest(CASE WHEN bad THEN [-2]
  ELSE list_filter({hits}, lambda x: x IS NOT NULL) END) AS ev, epoch_s, time_text,
  incomplete FROM timed)
SELECT ev,
  CASE WHEN ev >= 0 AND epoch_s IS NOT NULL
    THEN epoch_s - ((epoch_s % {periods}[ev + 1]) + {periods}[ev + 1]) % {periods}[ev + 1] END
    AS start,
  CASE WHEN ev >= 0 AND epoch_s IS NULL THEN time_text END AS odd_time,
  count(*) AS n,
  count(*) FILTER (WHERE incomplete) AS incomplete,
  min(time_text) AS first_time,
  max(time_text) AS last_time
FROM hits WHERE ev IS NOT NULL
GROUP BY ALL
"""


# --- reading files ------------------------------------------------------------------------


def _head(path: Path) -> bytes:
    with path.open("rb") as f:
        head = f.read(_HEAD)
        if head[:2] == GZIP_MAGIC:
            f.seek(0)
            try:
                with gzip.GzipFile(fileobj=f) as unzipped:
                    return unzipped.read(_HEAD)
            except (OSError, EOFError):
                return b""
        return head


def classify(path: Path) -> str | None:
    """`lines`, `document`, `array`, or None (not CloudTrail JSON as this engine reads it)."""
    head = _head(path)
    if head.startswith((b"\xef\xbb\xbf", b"\xff\xfe", b"\xfe\xff")):
        return "unsupported: a byte-order mark"
    text = head.decode("utf-8", errors="replace").lstrip()
    if text.startswith("["):
        return "array"
    if not text.startswith("{"):
        return None
    if text.startswith('{"Records"'):
        return "document"
    first, newline, rest = text.partition("\n")
    if newline:
        try:
            json.loads(first)
        except ValueError:
            return "document"
        return "lines" if rest.strip() else "document"
    return "document"


def _reader(function: str, files: list[str], options: str, whole: bool) -> str:
    names = ", ".join(map(quote, files))
    return (
        f"SELECT json AS doc, {str(whole).lower()} AS whole FROM {function}([{names}], "
        f"ignore_errors=true, compression='auto_detect', {options})"
    )


def _source(files: dict[str, list[str]], limits: ReadLimits, paths: list[str]) -> str:
    """SQL for the relation of records as the values of `paths` (column v, a JSON list), and
    of what gave no record (`bad`)."""
    parts = []
    size = limits.max_document_bytes
    if files.get("lines"):
        options = f"maximum_object_size={limits.max_record_bytes}"
        parts.append(_reader("read_ndjson_objects", files["lines"], options, False))
    if files.get("document"):
        options = f"format='unstructured', maximum_object_size={size}"
        parts.append(_reader("read_json_objects", files["document"], options, True))
    if files.get("array"):
        options = f"format='array', maximum_object_size={size}"
        parts.append(_reader("read_json_objects", files["array"], options, False))
    wanted = ", ".join(quote(p) for p in paths)
    if not parts:
        return f"SELECT json_extract(NULL::JSON, [{wanted}]) AS v, false AS bad WHERE false"
    docs = " UNION ALL ".join(parts)
    lead = ("eventName", "Records", *_RECORD_KEYS)
    keys = ", ".join(quote(f'$."{k}"') for k in lead)
    has_keys = " OR ".join(f"k[{i}] IS NOT NULL" for i in range(3, 1 + len(lead)))
    first = len(lead) + 1
    object_text = "coalesce(starts_with(ltrim(CAST({} AS VARCHAR)), '{{'), false)"
    # One parse of each line or document for what decides how it is read and for the values
    # the patterns test; a delivery document's records are unnested and parsed once each.
    # Anything that is not an object is `bad` (skipped).
    return f"""
WITH docs AS ({docs}),
keyed AS (SELECT doc, whole, {object_text.format("doc")} AS is_object,
  json_extract(doc, [{keys}, {wanted}]) AS k FROM docs),
flags AS (SELECT doc, k, is_object, is_object AND k[1] IS NULL AND
  coalesce(json_type(k[2]) = 'ARRAY', false) AS wrapped, whole, ({has_keys}) AS has_keys
  FROM keyed),
items AS (SELECT unnest(CASE WHEN wrapped THEN json_extract(doc, '$.Records[*]')
  ELSE [NULL::JSON] END) AS r, k, is_object, wrapped FROM flags
  WHERE wrapped OR NOT is_object OR NOT whole OR has_keys)
SELECT CASE WHEN NOT wrapped THEN CASE WHEN is_object THEN k[{first}:] END
  ELSE json_extract(r, [{wanted}]) END AS v,
  CASE WHEN wrapped THEN NOT {object_text.format("r")} ELSE NOT is_object END AS bad
FROM items
"""


def replay_duckdb(
    paths: list[Path],
    deployment: Deployment,
    limits: ReadLimits | None = None,
    connection: Any = None,
) -> ReplayResult:
    """Replay the files under the paths through the deployment's alarms in DuckDB."""
    import duckdb

    started = time.perf_counter()
    limits = limits or ReadLimits()
    alarms = deployment.alarms
    compile_events(alarms)  # refuse a pattern SQL cannot say before reading anything
    checked = check_paths(paths)
    stats = ReadStats()
    files: dict[str, list[str]] = {}
    for path in input_files(checked, stats):
        try:
            kind = classify(path)
        except OSError as err:
            stats.files += 1
            stats.skip(str(path), f"cannot read: {err.strerror or err}")
            continue
        if kind is None:
            stats.ignore(str(path), "not CloudTrail (no JSON)")
            continue
        stats.files += 1
        if kind.startswith("unsupported"):
            stats.skip(str(path), f"{kind.split(': ', 1)[1]}: use --engine python")
            continue
        files.setdefault(kind, []).append(str(path))
    con = connection or duckdb.connect()
    rows: list[tuple[Any, ...]] = []
    if files:
        rows = con.execute(replay_query(alarms, files, limits)).fetchall()
    return replay_result(alarms, rows, stats, time.perf_counter() - started)


def replay_result(
    alarms: Sequence[Alarm],
    rows: list[tuple[Any, ...]],
    stats: ReadStats,
    elapsed: float,
    engine: str = "duckdb",
) -> ReplayResult:
    """The replay's result from the rows of `replay_query` (or `athena_query`, same shape)."""
    simulations = [AlarmSimulation(alarm.settings) for alarm in alarms]
    untimed = [0] * len(alarms)
    records = incomplete = 0
    first: str | None = None
    last: str | None = None
    for ev, start, odd_time, n, incomplete_n, first_time, last_time in rows:
        if ev == -2:
            stats.skip("(duckdb)", f"{n:,} line(s) or Records item(s): not a JSON object")
            stats.skipped += int(n) - 1
            continue
        if ev == -1:
            records += n
            incomplete += incomplete_n
            if first_time is not None and (first is None or first_time < first):
                first = first_time
            if last_time is not None and (last is None or last_time > last):
                last = last_time
            continue
        if start is not None:
            simulations[ev].add_counts({int(start): int(n)})
            continue
        epoch = parse_event_time(odd_time)
        if epoch is None:
            untimed[ev] += n
        else:
            period = simulations[ev].settings.period
            simulations[ev].add_counts({epoch - epoch % period: int(n)})
    span = None
    if any(a.settings.treat_missing_data == "breaching" for a in alarms):
        a, b = parse_event_time(first), parse_event_time(last)
        span = (a, b) if a is not None and b is not None else None
    events = tuple(
        EventOutcome(
            event_id=alarm.id,
            matches=sim.matches + untimed[i],
            alarms=tuple(sim.alarm_periods(span)),
            untimed=untimed[i],
        )
        for i, (alarm, sim) in enumerate(zip(alarms, simulations, strict=True))
    )
    stats.incomplete += incomplete
    return ReplayResult(
        records=records,
        skipped=stats.skipped,
        files=stats.files,
        skip_reasons=tuple(stats.reasons),
        events=events,
        incomplete=stats.incomplete,
        ignored=stats.ignored,
        ignore_reasons=tuple(stats.ignored_reasons),
        engine=engine,
        elapsed_s=elapsed,
    )
