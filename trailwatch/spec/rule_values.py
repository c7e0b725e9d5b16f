"""An exclusion rule's `match` values: text in which `*` stands for any text, anywhere.

CloudWatch reads `*` as a wildcard only at the ends of a value (`json.wildcard-middle` in
`trailwatch/patterns/rules.py`): `"arn:aws:sts::*:assumed-role/Plan/*"` would match only a
literal star. A value with a `*` inside is therefore written as a `%regex%` (searching, so its
ends are anchored unless they are wildcards), with `.*` for each `*` and every other character
escaped; a value with no inner `*` stays a quoted string, which CloudWatch compares whole with
its own end wildcards. `glob_of_value` reads a written value back (plan review recovers rules from
a filter's pattern with it), and `covers` decides whether one value matches everything another
does (a widened rule).
"""

from __future__ import annotations

import re
import string

# Characters a regex may hold as themselves (AWS's list: letters, digits and `:_#=@/;,-`).
_PLAIN = frozenset(string.ascii_letters + string.digits + ":_#=@/;,-")
# Regex operators AWS accepts: written with a backslash when the value means the character.
_OPERATORS = frozenset("^$?[]{}|\\+.")
_HEX_ESCAPE = re.compile(r"\\x([0-9a-f]{2})")


def normalized(value: str) -> str:
    """The value with each run of `*` as one `*`: the same set of texts."""
    return re.sub(r"\*+", "*", value)


def _inner(value: str) -> str:
    """The value without one leading and one trailing `*`."""
    value = normalized(value)
    start = 1 if value.startswith("*") else 0
    end = len(value) - 1 if len(value) > start and value.endswith("*") else len(value)
    return value[start:end]


def needs_regex(value: str) -> bool:
    """A `*` inside the value, which only a regex can say."""
    return "*" in _inner(value)


def value_problem(value: str) -> str | None:
    """Why a `match` value cannot be compiled exactly, or None."""
    if not _inner(value):
        return "a value of only * matches any text; leave the key out instead"
    if needs_regex(value) and not value.isascii():
        return (
            "a value with * inside becomes a regular expression, which CloudWatch allows no "
            "multi-byte characters in; move the * to the ends or give ASCII text"
        )
    return None


def _regex_char(char: str) -> str:
    if char in _PLAIN:
        return char
    if char in _OPERATORS:
        return "\\" + char
    # Spaces, parentheses, `%` and the rest AWS does not accept as they are.
    return f"\\x{ord(char):02x}"


def pattern_value(value: str) -> str:
    """The value as a filter pattern writes it: `"text"` or `%regex%`."""
    value = normalized(value)
    if not needs_regex(value):
        return f'"{value}"'
    body = "".join(".*" if char == "*" else _regex_char(char) for char in _inner(value))
    head = "" if value.startswith("*") else "^"
    tail = "" if value.endswith("*") else "$"
    return f"%{head}{body}{tail}%"


def glob_of_value(written: str) -> str | None:
    """The `match` value `pattern_value` wrote as `written`; None for any other text."""
    if len(written) >= 2 and written[0] == written[-1] == '"':
        value = written[1:-1]
    elif len(written) >= 2 and written[0] == written[-1] == "%":
        value = _glob_of_regex(written[1:-1])
    else:
        return None
    return value if value and pattern_value(value) == written else None


def _glob_of_regex(body: str) -> str:
    """Read a body `pattern_value` wrote; what it did not write comes back unequal to it."""
    out = [] if body.startswith("^") else ["*"]
    i = 1 if body.startswith("^") else 0
    while i < len(body):
        if body.startswith(".*", i):
            out.append("*")
            i += 2
        elif body[i] == "$" and i == len(body) - 1:
            return "".join(out)
        elif _HEX_ESCAPE.match(body, i):
            out.append(chr(int(body[i + 2 : i + 4], 16)))
            i += 4
        elif body[i] == "\\" and i + 1 < len(body):
            out.append(body[i + 1])
            i += 2
        else:
            out.append(body[i])
            i += 1
    return "".join(out) + "*"


def matches(value: str, text: str) -> bool:
    """Whether `text` is one of the texts the `match` value stands for."""
    return _as_regex(value).fullmatch(text) is not None


def covers(wide: str, narrow: str) -> bool:
    """Every text `narrow` stands for, `wide` stands for too.

    `narrow`'s stars are read as one character no literal of `wide` can be: a text with that
    character in place of each star is matched by `wide` exactly when `wide`'s stars can span
    `narrow`'s, which is what containment needs.
    """
    marker = next(c for c in ("\x00", "\x01", "\x02") if c not in wide)
    return matches(wide, normalized(narrow).replace("*", marker))


def _as_regex(value: str) -> re.Pattern[str]:
    return re.compile(".*".join(re.escape(part) for part in value.split("*")), re.DOTALL)
