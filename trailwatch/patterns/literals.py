"""Values written in patterns: numbers, strings with `*` wildcards, and `%regex%` bodies.

Shared by the parser (to read a pattern) and the compiler (to read a space-delimited field as a
number the same way a pattern's number is read).
"""

from __future__ import annotations

import math
import re
from decimal import Decimal

from trailwatch.patterns.syntax import NumberValue, StringValue

# Integers, decimals, an optional sign and an optional exponent: `1`, `-2.5`, `+1000`, `1e-3`,
# `.5`. Python's `float()` also takes `inf`, `nan` and `1_000`; the pattern language does not.
NUMBER = re.compile(r"[+-]?(?:[0-9]+(?:\.[0-9]*)?|\.[0-9]+)(?:[eE][+-]?[0-9]+)?")
_INTEGER = re.compile(r"[+-]?[0-9]+")
# Longest number text we convert; longer digit runs cannot come from a 1,024-character pattern
# and would trip Python's int-conversion limit if a log field held one.
_MAX_NUMBER_TEXT = 1000

# AWS's regex whitelist: ASCII letters and digits, the symbols `: _ # = @ / ; , -`, and the
# operators `^ $ ? [ ] { } | \ * + .`. No parentheses, no spaces, nothing multi-byte.
_REGEX_CHARS = frozenset(
    "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789:_#=@/;,-^$?[]{}|\\*+."
)


def parse_number(text: str) -> int | float | None:
    """The number `text` spells in the pattern language, or None if it is not one."""
    if len(text) > _MAX_NUMBER_TEXT or NUMBER.fullmatch(text) is None:
        return None
    if _INTEGER.fullmatch(text):
        return int(text)
    return float(text)


# What `number_text` can give: `-12`, `0.001`, `1.5E10`, `-1.0E-5`, `Infinity`, `NaN`. A string
# that does not fit can never equal the text of a number.
_NUMBER_TEXT = re.compile(r"-?(?:[0-9]+(?:\.[0-9]+(?:E-?[0-9]+)?)?|Infinity)|NaN")


# Every character a `number_text` can hold.
_NUMBER_TEXT_CHARS = frozenset("0123456789.-EInfityNa")


def could_be_number_text(text: str) -> bool:
    """Whether some JSON number has `text` as its `number_text`."""
    return _NUMBER_TEXT.fullmatch(text) is not None


def could_be_in_number_text(text: str) -> bool:
    """Whether `text` can start, end or occur in a `number_text`: all its characters can."""
    return _NUMBER_TEXT_CHARS.issuperset(text)


def number_text(number: int | float) -> str:
    """The text a JSON number has when a string literal or a regex compares with it.

    Integers are their decimal digits (`10`); other numbers are written the way Java's
    `Double.toString` writes them, which is what AWS compares: `1.0` and `1e0` are "1.0", `1.5`
    is "1.5", `1e10` is "1.0E10", `1e-5` is "1.0E-5" (plain notation from 10^-3 up to 10^7).
    """
    if type(number) is int:
        try:
            return str(number)
        except ValueError:  # beyond Python's int-to-text limit; no pattern can spell it
            return ""
    return _java_double_text(float(number))


def _java_double_text(x: float) -> str:
    if x != x:
        return "NaN"
    if x in (math.inf, -math.inf):
        return "Infinity" if x > 0 else "-Infinity"
    sign = "-" if math.copysign(1.0, x) < 0 else ""
    x = abs(x)
    if x == 0:
        return sign + "0.0"
    # Python's repr and Java's Double.toString both take the shortest digits that round-trip.
    _, digit_tuple, exp = Decimal(repr(x)).as_tuple()
    assert isinstance(exp, int)
    exponent = len(digit_tuple) + exp - 1  # decimal exponent of the first digit
    digits = "".join(map(str, digit_tuple)).rstrip("0")
    if 1e-3 <= x < 1e7:
        if exponent >= 0:
            integer = digits[: exponent + 1].ljust(exponent + 1, "0")
            fraction = digits[exponent + 1 :] or "0"
        else:
            integer, fraction = "0", "0" * (-exponent - 1) + digits
        return f"{sign}{integer}.{fraction}"
    return f"{sign}{digits[0]}.{digits[1:] or '0'}E{exponent}"


def number_value(text: str) -> NumberValue | None:
    """`text` as a number literal, or None."""
    number = parse_number(text)
    return None if number is None else NumberValue(number, text)


def string_value(text: str, *, quoted: bool) -> StringValue:
    """A string literal with its leading/trailing `*` read as wildcards.

    A lone `*` (or `**`) means "exists with a value"; `*` elsewhere is a literal character.
    """
    if text and set(text) == {"*"} and len(text) <= 2:
        return StringValue(text, "present", "", quoted)
    leading = text.startswith("*")
    trailing = len(text) > 1 and text.endswith("*")
    needle = text[1 if leading else 0 : len(text) - 1 if trailing else len(text)]
    if leading and trailing:
        return StringValue(text, "contains", needle, quoted)
    if leading:
        return StringValue(text, "suffix", needle, quoted)
    if trailing:
        return StringValue(text, "prefix", needle, quoted)
    return StringValue(text, "exact", text, quoted)


def regex_problem(source: str) -> tuple[int, str] | None:
    """Why AWS would reject this regex body, as (offset into `source`, reason), or None."""
    if not source:
        return 0, "a regular expression between '%' signs cannot be empty"
    for offset, char in enumerate(source):
        if char in "()":
            return offset, "regular expressions cannot use parentheses (groups are not supported)"
        if ord(char) > 127:
            return offset, f"regular expressions cannot contain multi-byte characters ({char!r})"
        if char not in _REGEX_CHARS:
            return offset, f"regular expressions cannot contain {char!r}"
    try:
        compile_regex(source)
    except (re.error, OverflowError, RecursionError, ValueError) as err:
        where = getattr(err, "pos", None)
        return (where if isinstance(where, int) else 0), f"invalid regular expression: {err}"
    return None


def compile_regex(source: str) -> re.Pattern[str]:
    """The Python regex for an accepted body; `\\d`, `\\w`, `\\s` are ASCII-only, as in Java."""
    return re.compile(source, re.ASCII)
