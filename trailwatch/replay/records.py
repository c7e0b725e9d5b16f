"""Stream CloudTrail records out of files and folders, skipping (and counting) what is broken.

What a file holds is told from its content; its name only breaks ties. Gzip is recognised by its
magic bytes, a UTF-8 or UTF-16 byte-order mark by itself, then the first non-blank line decides:
- JSON Lines: the first line is a complete JSON value and more lines follow (`.jsonl`,
  `.ndjson`, or `.json` as log shippers write them). Read line by line, each line bounded, so
  memory stays flat however long the file.
- One JSON document: anything else that starts with `{` or `[`, and a file of one line.
  CloudTrail's S3 delivery files (`{"Records": [...]}`, one line of up to tens of MB),
  `aws cloudtrail lookup-events` output (`{"Events": [{"CloudTrailEvent": "<json>"}, ...]}`),
  a bare array of records, or one record. Read whole, up to a bound on its size.
- Anything else is not JSON: read by its name when that says JSON (`.jsonl`/`.ndjson` line by
  line, each bad line counted; `.json` skipped whole), otherwise ignored.
Wrappers are unwrapped wherever they appear: a line may hold a delivery document, a lookup-events
page or one lookup-events item (`{"CloudTrailEvent": "<json>", ...}`, as `jq -c '.Events[]'`
writes them); an array may hold lookup-events items.

Besides records, `ReadStats` counts:
- `skipped`: a unit of input meant as CloudTrail that gave no record: a line, one record of a
  document, or a whole file (unreadable, truncated, not valid JSON, over a size limit, nested too
  deep for the decoder, not a regular file). The first reasons are kept, with file and line.
- `ignored`: files that are plainly not CloudTrail (no JSON in a file whose name does not say
  JSON: a README, notes; empty ones too; CloudTrail's digest files) and folders reached again
  through a symlink. Not counted as broken input, and not in `files`.
Blank lines and files that are empty (after decompression) give nothing and are not counted.

Limits (`ReadLimits`) are counted in characters of the decoded text, one byte each for ASCII,
which CloudTrail's JSON nearly always is. A longer line is skipped without being held in memory
(the rest of it is read in bounded pieces and dropped); a larger document is skipped as soon as
reading passes the bound. FIFOs, devices and sockets are never opened: opening a FIFO blocks
until someone writes to it, and a device such as `/dev/zero` never ends. Symlinked folders are
followed, each folder read once (a symlink loop is reported as ignored, not followed).
"""

from __future__ import annotations

import contextlib
import gzip
import io
import json
import os
import stat
import zlib
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO, Any

from trailwatch.errors import InputError
from trailwatch.replay.decoding import loads

# Enough reasons to see what went wrong without flooding a terminal.
MAX_REASONS = 5
GZIP_MAGIC = b"\x1f\x8b"
LINE_SUFFIXES = (".jsonl", ".ndjson")
DOCUMENT_SUFFIXES = (".json",)
MIB = 2**20
# CloudTrail's largest record is a few hundred KB (CloudWatch Logs takes events up to 1 MB):
# 4 MiB a line is far above any real record. Delivery files are one document of many records,
# rarely over 100 MB uncompressed: 256 MiB leaves room and still bounds memory.
DEFAULT_MAX_RECORD_BYTES = 4 * MIB
DEFAULT_MAX_DOCUMENT_BYTES = 256 * MIB
# Progress is reported every 4096 lines of a JSON Lines file: often enough for a bar, rarely
# enough to cost nothing.
_PROGRESS_MASK = 0xFFF
# A truncated or corrupt gzip stream fails with one of these, at whatever line it breaks.
_STREAM_ERRORS = (OSError, EOFError, zlib.error)
# A document is read in pieces of this many characters, so a bound is noticed as it is passed.
_DOCUMENT_CHUNK = MIB
# A lone JSON object with any of these keys is taken as one CloudTrail record.
_RECORD_KEYS = frozenset(
    {"eventVersion", "eventTime", "eventName", "eventSource", "eventID", "userIdentity"}
)
_SPECIAL_KINDS = (
    (stat.S_ISFIFO, "a FIFO"),
    (stat.S_ISCHR, "a character device"),
    (stat.S_ISBLK, "a block device"),
    (stat.S_ISSOCK, "a socket"),
    (stat.S_ISDIR, "a folder"),
)

Record = dict[str, Any]
# Called with how many more bytes of the input files (as stored, compressed or not) were read.
ProgressCallback = Callable[[int], None]


@dataclass(frozen=True)
class ReadLimits:
    """The largest line and the largest document read; anything larger is skipped unread."""

    max_record_bytes: int = DEFAULT_MAX_RECORD_BYTES
    max_document_bytes: int = DEFAULT_MAX_DOCUMENT_BYTES

    def __post_init__(self) -> None:
        if self.max_record_bytes < 1 or self.max_document_bytes < 1:
            raise InputError("size limits must be at least 1 byte")


@dataclass
class ReadStats:
    """What reading saw besides records: files read, input skipped or ignored, and why.

    `incomplete` counts the records handed out that lack `eventName` or `eventSource`.

    `path`, `line`, `key` and `item` say where the record last handed out came from, for a
    problem found after reading it (`where()`); the reader keeps them current.
    """

    files: int = 0
    skipped: int = 0
    reasons: list[str] = field(default_factory=list)
    ignored: int = 0
    ignored_reasons: list[str] = field(default_factory=list)
    incomplete: int = 0
    path: str = ""
    line: int = 0
    key: str | None = None
    item: int = 0

    def skip(self, where: str, reason: str) -> None:
        """Count one unit of input that gave no record, keeping the first few reasons."""
        self.skipped += 1
        if len(self.reasons) < MAX_REASONS:
            self.reasons.append(f"{where}: {reason}")

    def ignore(self, where: str, reason: str) -> None:
        """Count one file or folder left alone on purpose, keeping the first few."""
        self.ignored += 1
        if len(self.ignored_reasons) < MAX_REASONS:
            self.ignored_reasons.append(f"{where}: {reason}")

    def add(self, other: ReadStats) -> None:
        """Count what `other` saw after what this saw, as if one reader had read both."""
        self.files += other.files
        self.skipped += other.skipped
        self.reasons.extend(other.reasons[: MAX_REASONS - len(self.reasons)])
        self.ignored += other.ignored
        self.ignored_reasons.extend(
            other.ignored_reasons[: MAX_REASONS - len(self.ignored_reasons)]
        )
        self.incomplete += other.incomplete

    def where(self) -> str:
        """The file, line and index of the record last handed out, as reasons name them."""
        place = f"{self.path}:{self.line}" if self.line else self.path
        if self.key is not None:
            place += f": {self.key}[{self.item}]"
        return place


def check_paths(paths: Iterable[Path]) -> list[Path]:
    """The paths, or `InputError` naming the first one that does not exist."""
    checked = list(paths)
    for path in checked:
        if not path.exists():
            raise InputError(f"{path}: no such file or directory")
    return checked


def input_files(paths: Iterable[Path], stats: ReadStats | None = None) -> Iterator[Path]:
    """Every file the paths name, folders walked recursively in sorted order.

    Symlinked folders are followed; a folder already walked (a symlink loop, or two links to one
    folder) is not walked again, and is counted as ignored in `stats` when given. A folder that
    cannot be listed is counted as skipped. Lazy, so that a bucket synced with millions of files
    costs no memory up front.
    """
    seen: set[tuple[int, int]] = set()
    for path in paths:
        if path.is_dir():
            yield from _walk(path, seen, stats)
        else:
            yield path


def _walk(top: Path, seen: set[tuple[int, int]], stats: ReadStats | None) -> Iterator[Path]:
    if not _first_visit(top, seen, stats):
        return

    def unreadable(err: OSError) -> None:
        if stats is not None:
            stats.skip(str(err.filename or top), f"cannot read folder: {err.strerror or err}")

    for root, dirs, files in os.walk(top, onerror=unreadable, followlinks=True):
        # os.walk descends in this list's order; a folder seen before is dropped from it.
        dirs[:] = [d for d in sorted(dirs) if _first_visit(Path(root, d), seen, stats)]
        for name in sorted(files):
            yield Path(root, name)


def _first_visit(folder: Path, seen: set[tuple[int, int]], stats: ReadStats | None) -> bool:
    try:
        info = folder.stat()
    except OSError:
        return True  # os.walk reports what cannot be listed
    key = (info.st_dev, info.st_ino)
    if key in seen:
        if stats is not None:
            stats.ignore(str(folder), "folder already read (a symlink loop or a second link)")
        return False
    seen.add(key)
    return True


def input_size(paths: Iterable[Path]) -> tuple[int, int]:
    """How many files the paths name and their total size in bytes (a progress bar's total)."""
    count = total = 0
    for path in input_files(paths):
        count += 1
        total += _size(path)
    return count, total


def read_records(
    paths: Iterable[Path],
    stats: ReadStats,
    progress: ProgressCallback | None = None,
    limits: ReadLimits | None = None,
) -> Iterator[Record]:
    """Every record of every input file, in order; what cannot be read is counted in `stats`."""
    limits = limits or ReadLimits()
    for path in input_files(paths, stats):
        tracker = _FileProgress(path, progress)
        stats.path, stats.line, stats.key = str(path), 0, None
        yield from _read_file(path, stats, tracker, limits)
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


def _open_nonblocking(path: str, flags: int) -> int:
    # Should a FIFO replace the file between the check and the open, opening does not block.
    return os.open(path, flags | getattr(os, "O_NONBLOCK", 0) | getattr(os, "O_NOCTTY", 0))


def _special_kind(mode: int) -> str | None:
    if stat.S_ISREG(mode):
        return None
    return next((kind for test, kind in _SPECIAL_KINDS if test(mode)), "not a regular file")


def _read_file(
    path: Path, stats: ReadStats, progress: _FileProgress, limits: ReadLimits
) -> Iterator[Record]:
    where = str(path)
    try:
        kind = _special_kind(os.stat(path).st_mode)
        if kind is not None:
            stats.skip(where, f"{kind}, not a regular file: not opened")
            return
        # Opened apart from `with` to tell an open that fails from a read that fails.
        raw = open(path, "rb", opener=_open_nonblocking)  # noqa: SIM115
    except OSError as err:
        # A dangling link, permissions, a name that vanished: the file was meant as input.
        stats.files += 1
        stats.skip(where, f"cannot read: {err.strerror or err}")
        return
    with raw:
        kind = _special_kind(os.fstat(raw.fileno()).st_mode)
        if kind is not None:
            stats.skip(where, f"{kind}, not a regular file: not read")
            return
        try:
            text, compressed = _decoded(raw)
        except _STREAM_ERRORS as err:
            stats.files += 1
            stats.skip(where, f"truncated or corrupt file ({_stream_problem(err)})")
            return
        yield from _read_text(path, text, raw, compressed, stats, progress, limits)


def _decoded(raw: io.BufferedReader) -> tuple[IO[str], bool]:
    """The file as text, decompressed when gzip; whether it was."""
    compressed = raw.peek(len(GZIP_MAGIC))[: len(GZIP_MAGIC)] == GZIP_MAGIC
    binary: io.BufferedReader | gzip.GzipFile = (
        gzip.GzipFile(fileobj=raw, mode="rb") if compressed else raw
    )
    # PowerShell's `>` writes UTF-16 with a byte-order mark; utf-8-sig drops a UTF-8 one.
    head = binary.peek(2)[:2]
    encoding = "utf-16" if head in (b"\xff\xfe", b"\xfe\xff") else "utf-8-sig"
    # Invalid UTF-8 becomes U+FFFD rather than ending the file: the JSON around it reads.
    text = io.TextIOWrapper(binary, encoding=encoding, errors="replace", newline="\n")
    return text, compressed


def _read_text(
    path: Path,
    text: IO[str],
    raw: IO[bytes],
    compressed: bool,
    stats: ReadStats,
    progress: _FileProgress,
    limits: ReadLimits,
) -> Iterator[Record]:
    """Tell what the text holds from its first lines, then read it that way."""
    where = str(path)
    name = path.name.lower().removesuffix(".gz")
    as_lines = name.endswith(LINE_SUFFIXES)
    named_json = as_lines or name.endswith(DOCUMENT_SUFFIXES)
    limit = limits.max_record_bytes
    readline = text.readline
    number = 1
    try:
        first = readline(limit + 1)
        while first.isspace() and not _over(first, limit):
            number += 1
            first = readline(limit + 1)
        if not first:
            if named_json or compressed:
                stats.files += 1  # valid and empty: input, with nothing in it
            else:
                stats.ignore(where, "empty, not CloudTrail")
            return
        starts_json = first.lstrip()[:1] in ("{", "[")
        value: Any = None
        if not _over(first, limit) and starts_json:
            # Not a whole value on one line: a document over lines, or a bad first line.
            with contextlib.suppress(ValueError, RecursionError):
                value = loads(first)
        if value is None:
            if as_lines:
                lines = True
            elif starts_json or (named_json and _over(first, limit)):
                # CloudTrail writes each delivery file as one line: a long first line is usual.
                yield from _read_document(path, text, first, number, named_json, stats, limits)
                return
            elif named_json:
                stats.files += 1
                stats.skip(f"{where}:{number}", f"not valid JSON ({_decode_problem(first)})")
                return
            else:
                stats.ignore(where, "not CloudTrail (no JSON)")
                return
        else:
            # A complete value on the first line: JSON Lines if anything follows, else the
            # document. Looking ahead reads one more line, bounded as every line is.
            following, after = number + 1, readline(limit + 1)
            while after.isspace() and not _over(after, limit):
                following, after = following + 1, readline(limit + 1)
            lines = bool(after)
    except _STREAM_ERRORS as err:
        stats.files += 1
        stats.skip(where, f"truncated or corrupt file ({_stream_problem(err)})")
        return
    if not lines:
        yield from _document_value(value, where, named_json, stats)
        return
    stats.files += 1
    if value is None:
        yield from _read_lines(path, text, raw, stats, progress, limit, number, first)
        return
    stats.line = number
    yield from _line_value(value, f"{where}:{number}", stats)
    yield from _read_lines(path, text, raw, stats, progress, limit, following, after)


def _over(line: str, limit: int) -> bool:
    """Whether `readline(limit + 1)` stopped inside a line longer than the limit."""
    return len(line) > limit and line[-1] != "\n"


def _read_lines(
    path: Path,
    text: IO[str],
    raw: IO[bytes],
    stats: ReadStats,
    progress: _FileProgress,
    limit: int,
    number: int,
    line: str,
) -> Iterator[Record]:
    """JSON Lines from line `number`, whose text `line` the caller has read already."""
    decode = loads
    readline = text.readline
    track = progress.wanted
    where = str(path)
    size = limit + 1
    try:
        while line:
            if len(line) > limit and line[-1] != "\n":
                # Drop the rest of the line in bounded pieces: it is never held whole.
                rest = readline(size)
                while rest and rest[-1] != "\n":
                    rest = readline(size)
                stats.skip(
                    f"{where}:{number}",
                    f"line longer than {_size_text(limit)}: not read (--max-record-bytes)",
                )
            else:
                try:
                    record = decode(line)
                except (ValueError, RecursionError) as err:
                    # Blank lines fail to decode too; checking here keeps the common path short.
                    if line.strip():
                        stats.skip(f"{where}:{number}", f"not valid JSON ({_json_problem(err)})")
                else:
                    stats.line = number
                    if type(record) is dict and "eventName" in record and "eventSource" in record:
                        yield record
                    else:
                        yield from _line_value(record, f"{where}:{number}", stats)
            if track and not number & _PROGRESS_MASK:
                progress.at(raw.tell())
            number += 1
            line = readline(size)
    except _STREAM_ERRORS as err:
        stats.skip(f"{where}:{number}", f"truncated or corrupt file ({_stream_problem(err)})")


def _line_value(value: Any, where: str, stats: ReadStats) -> Iterator[Record]:
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


def _read_document(
    path: Path,
    text: IO[str],
    first: str,
    number: int,
    named_json: bool,
    stats: ReadStats,
    limits: ReadLimits,
) -> Iterator[Record]:
    """One JSON document, of which `first` (line `number`) is read; at most the limit of it."""
    where = str(path)
    budget = limits.max_document_bytes
    parts, size = [first], len(first)
    try:
        while size <= budget:
            chunk = text.read(min(_DOCUMENT_CHUNK, budget + 1 - size))
            if not chunk:
                break
            parts.append(chunk)
            size += len(chunk)
    except _STREAM_ERRORS as err:
        stats.files += 1
        stats.skip(where, f"truncated or corrupt file ({_stream_problem(err)})")
        return
    if size > budget:
        stats.files += 1
        stats.skip(
            where, f"document larger than {_size_text(budget)}: not read (--max-document-bytes)"
        )
        return
    content = "".join(parts)
    del parts, first  # the document is held once while it decodes
    try:
        document = loads(content)
    except (ValueError, RecursionError) as err:
        if not named_json:
            stats.ignore(where, "not CloudTrail (not valid JSON)")
            return
        stats.files += 1
        line = number - 1 + err.lineno if isinstance(err, json.JSONDecodeError) else 0
        stats.skip(f"{where}:{line}" if line else where, f"not valid JSON ({_json_problem(err)})")
        return
    del content
    yield from _document_value(document, where, named_json, stats)


def _document_value(
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
        stats.skip(where, f"CloudTrailEvent is not valid JSON ({_json_problem(err)})")
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


def _decode_problem(text: str) -> str:
    try:
        json.loads(text)
    except (ValueError, RecursionError) as err:
        return _json_problem(err)
    return "not an object or array"


def _json_problem(err: BaseException) -> str:
    if isinstance(err, RecursionError):
        return "nested too deeply to decode"
    if isinstance(err, json.JSONDecodeError):
        # One of json's messages ends in "at" already ("Invalid control character at").
        return f"{err.msg.removesuffix(' at')} at column {err.colno}"
    return str(err)


def _stream_problem(err: BaseException) -> str:
    return str(err) or type(err).__name__


def _size_text(size: int) -> str:
    for unit, factor in (("GiB", 2**30), ("MiB", MIB), ("KiB", 2**10)):
        if size >= factor and size % factor == 0:
            return f"{size // factor:,} {unit}"
    return f"{size:,} characters"
