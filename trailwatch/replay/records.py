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

import contextlib
import gzip
import io
import json
import os
import zlib
from collections.abc import Callable, Iterable, Iterator
from pathlib import Path
from typing import IO, Any

from trailwatch.errors import InputError
from trailwatch.replay.decoding import loads
from trailwatch.replay.inputs import (
    check_paths,
    file_size,
    input_files,
    input_size,
    open_nonblocking,
    special_kind,
)
from trailwatch.replay.read_stats import (
    DEFAULT_MAX_DOCUMENT_BYTES,
    DEFAULT_MAX_RECORD_BYTES,
    MAX_REASONS,
    MIB,
    ReadLimits,
    ReadStats,
    Record,
)
from trailwatch.replay.shapes import decode_problem, document_value, json_problem, line_value

__all__ = [
    "DEFAULT_MAX_DOCUMENT_BYTES",
    "DEFAULT_MAX_RECORD_BYTES",
    "DOCUMENT_SUFFIXES",
    "GZIP_MAGIC",
    "LINE_SUFFIXES",
    "MAX_REASONS",
    "MIB",
    "InputError",
    "ProgressCallback",
    "ReadLimits",
    "ReadStats",
    "Record",
    "check_paths",
    "input_files",
    "input_size",
    "read_records",
]

GZIP_MAGIC = b"\x1f\x8b"
LINE_SUFFIXES = (".jsonl", ".ndjson")
DOCUMENT_SUFFIXES = (".json",)
# Progress is reported every 4096 lines of a JSON Lines file: often enough for a bar, rarely
# enough to cost nothing.
_PROGRESS_MASK = 0xFFF
# A truncated or corrupt gzip stream fails with one of these, at whatever line it breaks.
_STREAM_ERRORS = (OSError, EOFError, zlib.error)
# A document is read in pieces of this many characters, so a bound is noticed as it is passed.
_DOCUMENT_CHUNK = MIB

# Called with how many more bytes of the input files (as stored, compressed or not) were read.
ProgressCallback = Callable[[int], None]


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
        self.at(file_size(self._path))


def _read_file(
    path: Path, stats: ReadStats, progress: _FileProgress, limits: ReadLimits
) -> Iterator[Record]:
    where = str(path)
    try:
        kind = special_kind(os.stat(path).st_mode)
        if kind is not None:
            stats.skip(where, f"{kind}, not a regular file: not opened")
            return
        # Opened apart from `with` to tell an open that fails from a read that fails.
        raw = open(path, "rb", opener=open_nonblocking)  # noqa: SIM115
    except OSError as err:
        # A dangling link, permissions, a name that vanished: the file was meant as input.
        stats.files += 1
        stats.skip(where, f"cannot read: {err.strerror or err}")
        return
    with raw:
        kind = special_kind(os.fstat(raw.fileno()).st_mode)
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
    try:
        number, first = _next_line(readline, limit, 1)
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
            if not as_lines:
                yield from _read_unlined(
                    path, text, first, number, starts_json, named_json, stats, limits
                )
                return
            lines = True
        else:
            # A complete value on the first line: JSON Lines if anything follows, else the
            # document. Looking ahead reads one more line, bounded as every line is.
            following, after = _next_line(readline, limit, number + 1)
            lines = bool(after)
    except _STREAM_ERRORS as err:
        stats.files += 1
        stats.skip(where, f"truncated or corrupt file ({_stream_problem(err)})")
        return
    if not lines:
        yield from document_value(value, where, named_json, stats)
        return
    stats.files += 1
    if value is None:
        yield from _read_lines(path, text, raw, stats, progress, limit, number, first)
        return
    stats.line = number
    yield from line_value(value, f"{where}:{number}", stats)
    yield from _read_lines(path, text, raw, stats, progress, limit, following, after)


def _next_line(readline: Callable[[int], str], limit: int, number: int) -> tuple[int, str]:
    """The first line from line `number` on that is not blank, and its number ("" at the end)."""
    line = readline(limit + 1)
    while line.isspace() and not _over(line, limit):
        number += 1
        line = readline(limit + 1)
    return number, line


def _read_unlined(
    path: Path,
    text: IO[str],
    first: str,
    number: int,
    starts_json: bool,
    named_json: bool,
    stats: ReadStats,
    limits: ReadLimits,
) -> Iterator[Record]:
    """A file not named JSON Lines whose first line (`first`, line `number`) is not a whole
    JSON value: one document over lines, a bad first line, or not JSON at all."""
    where = str(path)
    limit = limits.max_record_bytes
    if starts_json or (named_json and _over(first, limit)):
        # CloudTrail writes each delivery file as one line: a long first line is usual.
        yield from _read_document(path, text, first, number, named_json, stats, limits)
    elif named_json:
        stats.files += 1
        stats.skip(f"{where}:{number}", f"not valid JSON ({decode_problem(first)})")
    else:
        stats.ignore(where, "not CloudTrail (no JSON)")


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
                        stats.skip(f"{where}:{number}", f"not valid JSON ({json_problem(err)})")
                else:
                    stats.line = number
                    if type(record) is dict and "eventName" in record and "eventSource" in record:
                        yield record
                    else:
                        yield from line_value(record, f"{where}:{number}", stats)
            if track and not number & _PROGRESS_MASK:
                progress.at(raw.tell())
            number += 1
            line = readline(size)
    except _STREAM_ERRORS as err:
        stats.skip(f"{where}:{number}", f"truncated or corrupt file ({_stream_problem(err)})")


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
        stats.skip(f"{where}:{line}" if line else where, f"not valid JSON ({json_problem(err)})")
        return
    del content
    yield from document_value(document, where, named_json, stats)


def _stream_problem(err: BaseException) -> str:
    return str(err) or type(err).__name__


def _size_text(size: int) -> str:
    for unit, factor in (("GiB", 2**30), ("MiB", MIB), ("KiB", 2**10)):
        if size >= factor and size % factor == 0:
            return f"{size // factor:,} {unit}"
    return f"{size:,} characters"
