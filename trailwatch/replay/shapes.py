"""What a decoded JSON value holds: records, wrappers of records, or a problem to report.

A line's value (`line_value`) and a whole document's (`document_value`) are unwrapped wherever
a wrapper appears: a delivery document (`{"Records": [...]}`), a lookup-events page
(`{"Events": [...]}`) or item (`{"CloudTrailEvent": "<json>"}`), an array of records or items,
or one record. What is not a record is counted in `ReadStats`, with the texts that say why
(`json_problem`, `decode_problem`, and a value that is not an object).
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any

from trailwatch.replay.decoding import loads
from trailwatch.replay.read_stats import ReadStats, Record

# A lone JSON object with any of these keys is taken as one CloudTrail record.
_RECORD_KEYS = frozenset(
    {"eventVersion", "eventTime", "eventName", "eventSource", "eventID", "userIdentity"}
)


def line_value(value: Any, where: str, stats: ReadStats) -> Iterator[Record]:
    """A line's value other than a plain record: unwrapped, a record anyway, or skipped."""
    if type(value) is not dict:
        stats.skip(where, _not_an_object(value))
        return
    if "eventName" in value and "eventSource" in value:
        yield value
        return
    wrapped = _unwrap(value, where, stats) if "eventName" not in value else None
    if wrapped is None:
        # A record without eventName or eventSource: still a record, counted as incomplete.
        stats.incomplete += 1
        yield value
    else:
        yield from wrapped


def _unwrap(value: Record, where: str, stats: ReadStats) -> Iterator[Record] | None:
    """The records of a delivery document, a lookup-events page or item; None for neither."""
    records, events, embedded = (
        value.get("Records"),
        value.get("Events"),
        value.get("CloudTrailEvent"),
    )
    if type(records) is list:
        return _records_of(where, "Records", records, stats)
    if type(events) is list:
        return _lookup_events(where, events, stats)
    if type(embedded) is str:
        return _embedded(where, embedded, stats)
    return None


def document_value(
    document: Any, where: str, named_json: bool, stats: ReadStats
) -> Iterator[Record]:
    """The records of a file that is one JSON value."""
    stats.line = 0
    wrapped = None
    if isinstance(document, list):
        wrapped = _records_of(where, "", document, stats)
    elif isinstance(document, dict):
        wrapped = _unwrap(document, where, stats)
        if wrapped is None and "digestStartTime" in document:
            stats.ignore(where, "a CloudTrail digest file, no records")
            return
        if wrapped is None and not _RECORD_KEYS.isdisjoint(document):
            wrapped = _records_of(where, "", [document], stats, whole=True)
    if wrapped is None and not named_json:
        stats.ignore(where, "not CloudTrail (JSON, but no records)")
        return
    stats.files += 1
    if wrapped is None:
        stats.skip(
            where,
            'unknown format (expected {"Records": [...]}, {"Events": [...]}, an array or a record)',
        )
        return
    yield from wrapped


def _records_of(
    where: str, key: str, items: list[Any], stats: ReadStats, *, whole: bool = False
) -> Iterator[Record]:
    """The records of an array (`whole`: one record that is the whole document)."""
    for index, item in enumerate(items):
        if type(item) is dict:
            if not whole:
                stats.key, stats.item = key, index
            if "eventName" in item and "eventSource" in item:
                yield item
                continue
            embedded = item.get("CloudTrailEvent")
            if type(embedded) is str and not whole:
                # An array of lookup-events items (`jq '.Events'`).
                yield from _embedded(f"{where}: {key}[{index}]", embedded, stats)
            else:
                stats.incomplete += 1
                yield item
        else:
            stats.skip(f"{where}: {key}[{index}]", _not_an_object(item))
    stats.key = None


def _lookup_events(where: str, events: list[Any], stats: ReadStats) -> Iterator[Record]:
    # lookup-events gives each record as a JSON string inside the event's summary.
    for index, event in enumerate(events):
        at = f"{where}: Events[{index}]"
        embedded = event.get("CloudTrailEvent") if isinstance(event, dict) else None
        if not isinstance(embedded, str):
            stats.skip(at, "no CloudTrailEvent string")
            continue
        stats.key, stats.item = "Events", index
        yield from _embedded(at, embedded, stats)
    stats.key = None


def _embedded(where: str, embedded: str, stats: ReadStats) -> Iterator[Record]:
    try:
        record = loads(embedded)
    except (ValueError, RecursionError) as err:
        stats.skip(where, f"CloudTrailEvent is not valid JSON ({json_problem(err)})")
        return
    if type(record) is dict:
        if "eventName" not in record or "eventSource" not in record:
            stats.incomplete += 1
        yield record
    else:
        stats.skip(where, "CloudTrailEvent " + _not_an_object(record))


def _not_an_object(value: Any) -> str:
    kind = {list: "an array", str: "a string", bool: "a boolean", type(None): "null"}.get(
        type(value), "a number"
    )
    return f"a record must be a JSON object, not {kind}"


def decode_problem(text: str) -> str:
    try:
        json.loads(text)
    except (ValueError, RecursionError) as err:
        return json_problem(err)
    return "not an object or array"


def json_problem(err: BaseException) -> str:
    if isinstance(err, RecursionError):
        return "nested too deeply to decode"
    if isinstance(err, json.JSONDecodeError):
        # One of json's messages ends in "at" already ("Invalid control character at").
        return f"{err.msg.removesuffix(' at')} at column {err.colno}"
    return str(err)
