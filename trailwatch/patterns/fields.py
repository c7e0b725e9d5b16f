"""Split a log line into the fields a space-delimited pattern names."""

from __future__ import annotations

_SEPARATORS = " \t\r\n"
_CLOSERS = {'"': '"', "[": "]"}


def split_fields(line: str, limit: int = 0) -> list[str]:
    """Fields separated by runs of whitespace; `"..."` and `[...]` at a field's start are one
    field, given without their quotes or brackets.

    A quote or bracket inside a field is an ordinary character; an unclosed one runs to the end
    of the line; brackets do not nest. With `limit` > 0 there are at most `limit` fields: when
    more text follows the last one, that field is instead the rest of the line from its start,
    as written (trailing whitespace dropped).
    """
    fields: list[str] = []
    i, end = 0, len(line)
    while i < end:
        char = line[i]
        if char in _SEPARATORS:
            i += 1
            continue
        start = i
        if char in _CLOSERS:
            close = line.find(_CLOSERS[char], i + 1)
            if close < 0:
                field, i = line[i + 1 :], end
            else:
                field, i = line[i + 1 : close], close + 1
        else:
            j = i + 1
            while j < end and line[j] not in _SEPARATORS:
                j += 1
            field, i = line[i:j], j
        if limit and len(fields) == limit - 1:
            rest = line[start:].rstrip(_SEPARATORS)
            if len(rest) > i - start:
                # More text follows this field: the last field takes the rest of the line.
                field = rest
            fields.append(field)
            break
        fields.append(field)
    return fields
