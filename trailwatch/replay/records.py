"""Stream CloudTrail records out of files and directories, skipping (and counting) what is broken.

Formats are told apart by the file name without `.gz`; gzip itself is recognised by its magic
bytes, so a misnamed file still reads:
- `*.jsonl`, `*.ndjson`: JSON Lines, one record a line, read line by line (memory stays flat).
- `*.json`: one JSON document, loaded a file at a time: CloudTrail's S3 delivery files
  (`{"Records": [...]}`, a few MB at most), `aws cloudtrail lookup-events` output
  (`{"Events": [{"CloudTrailEvent": "<json>"}, ...]}`) or a bare array of records.

`ReadStats.skipped` counts units of input that gave no record: a line, one record of a document,
or a whole file (unreadable, unknown format, not valid JSON). Blank lines are not counted.
"""

from __future__ import annotations

import gzip
import io
import json
import os
import zlib
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO, Any

from trailwatch.errors import InputError

# Enough reasons to see what went wrong without flooding a terminal.
MAX_REASONS = 5
GZIP_MAGIC = b"\x1f\x8b"
LINE_SUFFIXES = (".jsonl", ".ndjson")
DOCUMENT_SUFFIXES = (".json",)
# Progress is reported every 4096 lines of a JSON Lines file: often enough for a bar, rarely
# enough to cost nothing.
_PROGRESS_MASK = 0xFFF
# A truncated or corrupt gzip stream fails with one of these, at whatever line it breaks.
_STREAM_ERRORS = (OSError, EOFError, zlib.error)

Record = dict[str, Any]
# Called with how many more bytes of the input files (as stored, compressed or not) were read.
ProgressCallback = Callable[[int], None]


@dataclass
class ReadStats:
    """What reading saw besides records: files opened, input skipped and the first reasons why."""

    files: int = 0
    skipped: int = 0
    reasons: list[str] = field(default_factory=list)

    def skip(self, where: str, reason: str) -> None:
        """Count one unit of input that gave no record, keeping the first few reasons."""
        self.skipped += 1
        if len(self.reasons) < MAX_REASONS:
            self.reasons.append(f"{where}: {reason}")


def check_paths(paths: Iterable[Path]) -> list[Path]:
    """The paths, or `InputError` naming the first one that does not exist."""
    checked = list(paths)
    for path in checked:
        if not path.exists():
            raise InputError(f"{path}: no such file or directory")
    return checked


def input_files(paths: Iterable[Path]) -> Iterator[Path]:
    """Every file the paths name, directories walked recursively in sorted order.

    Lazy, so that a bucket synced with millions of files costs no memory up front.
    """
    for path in paths:
        if not path.is_dir():
            yield path
            continue
        for root, dirs, files in os.walk(path):
            dirs.sort()  # os.walk descends in this list's order
            for name in sorted(files):
                yield Path(root, name)


def input_size(paths: Iterable[Path]) -> tuple[int, int]:
    """How many files the paths name and their total size in bytes (a progress bar's total)."""
    count = total = 0
    for path in input_files(paths):
        count += 1
        total += _size(path)
    return count, total


def read_records(
    paths: Iterable[Path], stats: ReadStats, progress: ProgressCallback | None = None
) -> Iterator[Record]:
    """Every record of every input file, in order; what cannot be read is counted in `stats`."""
    for path in input_files(paths):
        stats.files += 1
        tracker = _FileProgress(path, progress)
        yield from _read_file(path, stats, tracker)
        tracker.finish()


class _FileProgress:
    """Turns positions in one file into the increments a progress bar adds up."""

    __slots__ = ("_callback", "_path", "_reported")

    def __init__(self, path: Path, callback: ProgressCallback | None) -> None:
        self._path = path
        self._callback = callback
        self._reported = 0

    @property
    def wanted(self) -> bool:
        return self._callback is not None

    def at(self, position: int) -> None:
        if self._callback is not None and position > self._reported:
            self._callback(position - self._reported)
            self._reported = position

    def finish(self) -> None:
        # The bar's total is the files' sizes: a finished file counts in full, however it ended.
        self.at(_size(self._path))


def _size(path: Path) -> int:
    try:
        return path.stat().st_size
    except OSError:
        return 0  # reading it reports the problem


def _read_file(path: Path, stats: ReadStats, progress: _FileProgress) -> Iterator[Record]:
    name = path.name.lower().removesuffix(".gz")
    if name.endswith(LINE_SUFFIXES):
        lines = True
    elif name.endswith(DOCUMENT_SUFFIXES):
        lines = False
    else:
        stats.skip(str(path), "unknown format (expected .json, .jsonl or .ndjson, maybe .gz)")
        return
    try:
        with open(path, "rb") as raw:
            compressed = raw.peek(len(GZIP_MAGIC))[: len(GZIP_MAGIC)] == GZIP_MAGIC
            # Invalid UTF-8 becomes U+FFFD rather than ending the file: the JSON around it reads.
            text = io.TextIOWrapper(
                gzip.GzipFile(fileobj=raw, mode="rb") if compressed else raw,
                encoding="utf-8",
                errors="replace",
                newline="\n",
            )
            if lines:
                yield from _read_lines(path, text, raw, stats, progress)
            else:
                yield from _read_document(path, text, stats)
    except OSError as err:
        # Opening failed (permissions, a dangling link, a directory entry that is no file).
        stats.skip(str(path), f"cannot read: {err.strerror or err}")


def _read_lines(
    path: Path, text: IO[str], raw: IO[bytes], stats: ReadStats, progress: _FileProgress
) -> Iterator[Record]:
    loads = json.loads
    number = 0
    track = progress.wanted
    try:
        for number, line in enumerate(text, 1):
            try:
                record = loads(line)
            except ValueError as err:
                # Blank lines fail to decode too; checking only here keeps the common path short.
                if line.strip():
                    stats.skip(f"{path}:{number}", f"not valid JSON ({_json_problem(err)})")
                continue
            if type(record) is dict:
                yield record
            else:
                stats.skip(f"{path}:{number}", _not_an_object(record))
            if track and not number & _PROGRESS_MASK:
                progress.at(raw.tell())
    except _STREAM_ERRORS as err:
        stats.skip(f"{path}:{number + 1}", f"truncated or corrupt file ({_stream_problem(err)})")


def _read_document(path: Path, text: IO[str], stats: ReadStats) -> Iterator[Record]:
    try:
        document = json.loads(text.read())
    except ValueError as err:
        where = f"{path}:{err.lineno}" if isinstance(err, json.JSONDecodeError) else str(path)
        stats.skip(where, f"not valid JSON ({_json_problem(err)})")
        return
    except _STREAM_ERRORS as err:
        stats.skip(str(path), f"truncated or corrupt file ({_stream_problem(err)})")
        return
    if isinstance(document, dict) and isinstance(document.get("Records"), list):
        yield from _records_of(path, "Records", document["Records"], stats)
    elif isinstance(document, dict) and isinstance(document.get("Events"), list):
        yield from _lookup_events(path, document["Events"], stats)
    elif isinstance(document, list):
        yield from _records_of(path, "", document, stats)
    else:
        stats.skip(
            str(path),
            'unknown format (expected {"Records": [...]}, {"Events": [...]} or an array)',
        )


def _records_of(path: Path, key: str, items: list[Any], stats: ReadStats) -> Iterator[Record]:
    for index, item in enumerate(items):
        if type(item) is dict:
            yield item
        else:
            stats.skip(f"{path}: {key}[{index}]", _not_an_object(item))


def _lookup_events(path: Path, events: list[Any], stats: ReadStats) -> Iterator[Record]:
    # lookup-events gives each record as a JSON string inside the event's summary.
    for index, event in enumerate(events):
        where = f"{path}: Events[{index}]"
        embedded = event.get("CloudTrailEvent") if isinstance(event, dict) else None
        if not isinstance(embedded, str):
            stats.skip(where, "no CloudTrailEvent string")
            continue
        try:
            record = json.loads(embedded)
        except ValueError as err:
            stats.skip(where, f"CloudTrailEvent is not valid JSON ({_json_problem(err)})")
            continue
        if type(record) is dict:
            yield record
        else:
            stats.skip(where, "CloudTrailEvent " + _not_an_object(record))


def _not_an_object(value: Any) -> str:
    kind = {list: "an array", str: "a string", bool: "a boolean", type(None): "null"}.get(
        type(value), "a number"
    )
    return f"a record must be a JSON object, not {kind}"


def _json_problem(err: ValueError) -> str:
    if isinstance(err, json.JSONDecodeError):
        return f"{err.msg} at column {err.colno}"
    return str(err)


def _stream_problem(err: BaseException) -> str:
    return str(err) or type(err).__name__
