"""What reading CloudTrail input counts besides records, and the bounds it reads within.

`ReadLimits` holds the largest line and document read (with their defaults, `MIB` and the
`DEFAULT_MAX_*` constants); `ReadStats` counts the files read, the input skipped or ignored and
the first few reasons why (`MAX_REASONS`), and where the record last handed out came from.
`Record` is the type of a decoded CloudTrail record. Every module of the reader shares these.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from trailwatch.errors import InputError

# Enough reasons to see what went wrong without flooding a terminal.
MAX_REASONS = 5
MIB = 2**20
# CloudTrail's largest record is a few hundred KB (CloudWatch Logs takes events up to 1 MB):
# 4 MiB a line is far above any real record. Delivery files are one document of many records,
# rarely over 100 MB uncompressed: 256 MiB leaves room and still bounds memory.
DEFAULT_MAX_RECORD_BYTES = 4 * MIB
DEFAULT_MAX_DOCUMENT_BYTES = 256 * MIB

Record = dict[str, Any]


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
