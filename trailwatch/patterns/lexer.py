"""Tokens of JSON (`{...}`) and space-delimited (`[...]`) patterns.

Term patterns have their own, simpler reading in `parser.py`: there, whitespace separates terms
rather than being free.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal, TypeAlias

from trailwatch.patterns.errors import PatternSyntaxError
from trailwatch.patterns.syntax import WILDCARD, PathStep

TokenKind: TypeAlias = Literal[
    "{",
    "}",
    "(",
    ")",
    "[",
    "]",
    ",",
    "&&",
    "||",
    "op",
    "selector",
    "string",
    "regex",
    "word",
    "end",
]

WHITESPACE = frozenset(" \t\r\n")
_ASCII_LETTERS = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz"
_DIGITS = "0123456789"
# Characters of a selector's names: `$.user-name`, `$.a_1`.
NAME_CHARS = frozenset(_ASCII_LETTERS + _DIGITS + "-_")
# Unquoted values (`kms.amazonaws.com`, `*.8xlarge`, `arn:aws:iam::1:root`, numbers with `+`).
WORD_CHARS = frozenset(_ASCII_LETTERS + _DIGITS + ".-_:/*+")
_PUNCTUATION: dict[str, TokenKind] = {
    "{": "{",
    "}": "}",
    "(": "(",
    ")": ")",
    "[": "[",
    "]": "]",
    ",": ",",
}


@dataclass(frozen=True, slots=True)
class Token:
    """One token; `value` is the decoded string, selector path or regex source."""

    kind: TokenKind
    text: str
    position: int
    value: object = None


def tokenize(pattern: str, start: int, end: int) -> list[Token]:
    """Read `pattern[start:end]` into tokens ending with an `end` token at `end`."""
    tokens: list[Token] = []
    i = start
    while i < end:
        char = pattern[i]
        if char in WHITESPACE:
            i += 1
        elif char in _PUNCTUATION:
            tokens.append(Token(_PUNCTUATION[char], char, i))
            i += 1
        elif char in "&|":
            if pattern.startswith(char * 2, i) and i + 1 < end:
                tokens.append(Token("&&" if char == "&" else "||", char * 2, i))
                i += 2
            else:
                raise PatternSyntaxError(
                    pattern, i, f"expected '{char * 2}', found a lone '{char}'"
                )
        elif char in "=!<>":
            i = _operator(pattern, i, end, tokens)
        elif char == '"':
            i = _quoted(pattern, i, end, tokens)
        elif char == "%":
            close = pattern.find("%", i + 1, end)
            if close < 0:
                raise PatternSyntaxError(pattern, i, "regular expression has no closing '%'")
            tokens.append(Token("regex", pattern[i : close + 1], i, pattern[i + 1 : close]))
            i = close + 1
        elif char == "$":
            i = _selector(pattern, i, end, tokens)
        elif char in WORD_CHARS:
            j = i
            while j < end and pattern[j] in WORD_CHARS:
                j += 1
            tokens.append(Token("word", pattern[i:j], i))
            i = j
        else:
            raise PatternSyntaxError(
                pattern, i, f"unexpected character {char!r} (quote values that contain it)"
            )
    tokens.append(Token("end", "", end))
    return tokens


def _operator(pattern: str, i: int, end: int, tokens: list[Token]) -> int:
    char = pattern[i]
    two = pattern[i : min(i + 2, end)]
    if two in ("!=", "<=", ">="):
        tokens.append(Token("op", two, i))
        return i + 2
    if char == "!":
        raise PatternSyntaxError(pattern, i, "expected '!=', found a lone '!'")
    tokens.append(Token("op", char, i))
    return i + 1


def _quoted(pattern: str, i: int, end: int, tokens: list[Token]) -> int:
    text, after = read_quoted(pattern, i, end)
    tokens.append(Token("string", pattern[i:after], i, text))
    return after


def read_quoted(pattern: str, i: int, end: int) -> tuple[str, int]:
    """Decode the quoted string opening at `i`; return its text and the index after it.

    `\\"` and `\\\\` are the documented escapes; a backslash before any other character is kept
    with that character, as written.
    """
    out: list[str] = []
    j = i + 1
    while j < end:
        char = pattern[j]
        if char == '"':
            return "".join(out), j + 1
        if char == "\\" and j + 1 < end and pattern[j + 1] in '"\\':
            out.append(pattern[j + 1])
            j += 2
            continue
        out.append(char)
        j += 1
    raise PatternSyntaxError(pattern, i, "string has no closing '\"'")


def _selector(pattern: str, i: int, end: int, tokens: list[Token]) -> int:
    """`$.` then steps: `.name`, `.*`, `[N]`, `[*]`, `['name']` (or `["name"]`), also after a dot
    (`$.['cluster.name']`). `$..` (recursive descent), negative indexes, slices, unions and
    filters are not part of the language."""
    if not pattern.startswith("$.", i) or i + 1 >= end:
        raise PatternSyntaxError(pattern, i, "a selector starts with '$.' (as in $.eventName)")
    path: list[PathStep] = []
    j = i + 1
    while j < end and pattern[j] in ".[":
        if pattern[j] == ".":
            k = j + 1
            if k < end and pattern[k] == ".":
                raise PatternSyntaxError(
                    pattern, j, "'..' (recursive descent) is not supported in selectors"
                )
            if k < end and pattern[k] == "*":
                path.append(WILDCARD)
                j = k + 1
                continue
            if k < end and pattern[k] == "[":
                j = k
                continue
            while k < end and pattern[k] in NAME_CHARS:
                k += 1
            if k == j + 1:
                raise PatternSyntaxError(
                    pattern, k, "expected a field name (letters, digits, '-', '_') after '.'"
                )
            path.append(pattern[j + 1 : k])
            j = k
        else:
            step, j = _bracket_step(pattern, j, end)
            path.append(step)
    tokens.append(Token("selector", pattern[i:j], i, tuple(path)))
    return j


def _bracket_step(pattern: str, j: int, end: int) -> tuple[PathStep, int]:
    # `pattern[j]` is '['; return the step and the index after its ']'.
    k = j + 1
    name: PathStep
    if k < end and pattern[k] in "'\"":
        name, k = _bracket_name(pattern, k, end)
    elif k < end and pattern[k] == "*":
        name, k = WILDCARD, k + 1
    else:
        while k < end and pattern[k] in _DIGITS:
            k += 1
        if k == j + 1:
            raise PatternSyntaxError(
                pattern, j, "expected an array index such as [0], [*] or a name such as ['a.b']"
            )
        name = int(pattern[j + 1 : k])
    if k >= end or pattern[k] != "]":
        raise PatternSyntaxError(pattern, j, "expected ']' to close the selector's '['")
    return name, k + 1


def _bracket_name(pattern: str, k: int, end: int) -> tuple[str, int]:
    # A quoted member name inside brackets; a backslash escapes the quote or a backslash.
    quote = pattern[k]
    out: list[str] = []
    m = k + 1
    while m < end:
        char = pattern[m]
        if char == quote:
            return "".join(out), m + 1
        if char == "\\" and m + 1 < end and pattern[m + 1] in (quote, "\\"):
            out.append(pattern[m + 1])
            m += 2
            continue
        out.append(char)
        m += 1
    raise PatternSyntaxError(pattern, k, f"member name has no closing {quote}")
