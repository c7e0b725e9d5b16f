"""Split a log line into the fields a space-delimited pattern names."""

from __future__ import annotations

_SEPARATORS = " \t\r\n"
_CLOSERS = {'"': '"', "[": "]"}


def split_fields(line: str) -> list[str]:
    """Fields separated by runs of whitespace; `"..."` and `[...]` at a field's start are one
    field, given without their quotes or brackets.

    A quote or bracket inside a field is an ordinary character; an unclosed one runs to the end
    of the line; brackets do not nest.
    """
    fields: list[str] = []
    i, end = 0, len(line)
    while i < end:
        char = line[i]
        if char in _SEPARATORS:
            i += 1
        elif char in _CLOSERS:
            close = line.find(_CLOSERS[char], i + 1)
            if close < 0:
                fields.append(line[i + 1 :])
                break
            fields.append(line[i + 1 : close])
            i = close + 1
        else:
            j = i + 1
            while j < end and line[j] not in _SEPARATORS:
                j += 1
            fields.append(line[i:j])
            i = j
    return fields
