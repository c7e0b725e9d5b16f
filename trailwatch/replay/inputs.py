"""Which files the input paths name, and which of them are safe to open.

`check_paths` fails on a path that does not exist; `input_files` walks folders recursively in
sorted order, following symlinked folders but reading each folder once (a loop, or a second
link to one folder, is counted as ignored); `input_size` totals the files for a progress bar.
`special_kind` tells FIFOs, devices, sockets and folders from regular files, and
`open_nonblocking` opens without blocking should a FIFO replace a file after that check.
"""

from __future__ import annotations

import os
import stat
from collections.abc import Iterable, Iterator
from pathlib import Path

from trailwatch.errors import InputError
from trailwatch.replay.read_stats import ReadStats

_SPECIAL_KINDS = (
    (stat.S_ISFIFO, "a FIFO"),
    (stat.S_ISCHR, "a character device"),
    (stat.S_ISBLK, "a block device"),
    (stat.S_ISSOCK, "a socket"),
    (stat.S_ISDIR, "a folder"),
)


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
        total += file_size(path)
    return count, total


def file_size(path: Path) -> int:
    try:
        return path.stat().st_size
    except OSError:
        return 0  # reading it reports the problem


def open_nonblocking(path: str, flags: int) -> int:
    # Should a FIFO replace the file between the check and the open, opening does not block.
    return os.open(path, flags | getattr(os, "O_NONBLOCK", 0) | getattr(os, "O_NOCTTY", 0))


def special_kind(mode: int) -> str | None:
    if stat.S_ISREG(mode):
        return None
    return next((kind for test, kind in _SPECIAL_KINDS if test(mode)), "not a regular file")
