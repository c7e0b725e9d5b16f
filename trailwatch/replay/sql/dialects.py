"""How each SQL engine spells what the compiler needs: string literals, the few functions that
differ between DuckDB and Trino (Athena engine version 3), regexes for their libraries (RE2 in
DuckDB, Joni in Trino), and DuckDB's spelling of Java's `Double.toString`."""

from __future__ import annotations


def quote(text: str) -> str:
    """A SQL string literal."""
    return "'" + text.replace("'", "''") + "'"


class Dialect:
    """How an engine's SQL spells the few functions that differ: DuckDB's (`TrinoDialect`
    overrides them)."""

    # Integers are compared exactly in this type; beyond the limit every one is on one side.
    integer_type = "HUGEINT"
    integer_limit = 2**127

    def full_match(self, subject: str, regex: str) -> str:
        return f"regexp_full_match({subject}, {quote(regex)})"

    def prefix(self, subject: str, needle: str) -> str:
        return f"starts_with({subject}, {quote(needle)})"

    def suffix(self, subject: str, needle: str) -> str:
        return f"ends_with({subject}, {quote(needle)})"

    def contains(self, subject: str, needle: str) -> str:
        return f"contains({subject}, {quote(needle)})"


DUCKDB = Dialect()


class TrinoDialect(Dialect):
    """Trino's (Athena engine version 3) spellings: no `ends_with`, no string `contains`, no
    full-match function, DECIMAL(38) the widest integer."""

    integer_type = "DECIMAL(38, 0)"
    integer_limit = 10**38

    def full_match(self, subject: str, regex: str) -> str:
        return f"regexp_like({subject}, {quote(chr(92) + 'A(?:' + regex + ')' + chr(92) + 'z')})"

    def suffix(self, subject: str, needle: str) -> str:
        if not needle:
            return f"({subject} IS NOT NULL)"
        # A negative start counts from the end; a needle longer than the text never equals it.
        return f"(substr({subject}, -{len(needle)}) = {quote(needle)})"

    def contains(self, subject: str, needle: str) -> str:
        return f"(strpos({subject}, {quote(needle)}) > 0)"


TRINO = TrinoDialect()


def trino_regex(source: str) -> str:
    """The pattern's regex for Trino's regex library (Joni, Ruby's syntax), where `^` holds at
    every line's start: it becomes `\\A`; the rest as for RE2 (`re2_source`)."""
    out: list[str] = []
    translated = re2_source(source)
    i, in_class = 0, False
    while i < len(translated):
        char = translated[i]
        if char == "\\" and i + 1 < len(translated):
            out.append(translated[i : i + 2])
            i += 2
            continue
        if char == "[" and not in_class:
            in_class = True
            if translated[i + 1 : i + 2] in ("^", "]"):
                out.append(translated[i : i + 2])
                i += 2
                continue
        elif char == "]" and in_class:
            in_class = False
        elif char == "^" and not in_class:
            char = r"\A"
        out.append(char)
        i += 1
    return "".join(out)


# --- regexes and numbers' text --------------------------------------------------------------------


def re2_source(source: str) -> str:
    """The pattern's regex for RE2, meaning what Python's `re` (and Java) make of it.

    `$` outside a class also holds before a final newline in Python and Java, at the very end
    only in RE2: it becomes `(?:\\n?\\z)`. Escapes and classes mean the same in both for the
    characters AWS allows (no parentheses, nothing multi-byte).
    """
    out: list[str] = []
    i, in_class = 0, False
    while i < len(source):
        char = source[i]
        if char == "\\" and i + 1 < len(source):
            out.append(source[i : i + 2])
            i += 2
            continue
        if in_class:
            if char == "]" and not (out and out[-1] in ("[", "[^")):
                in_class = False
            out.append(char)
        elif char == "[":
            in_class = True
            if source[i + 1 : i + 2] == "^":
                out.append("[^")
                i += 2
                continue
            out.append(char)
        elif char == "$":
            out.append(r"(?:\n?\z)")
        else:
            out.append(char)
        i += 1
    return "".join(out)


def duckdb_double_text(x: str) -> str:
    """DuckDB SQL for the Java `Double.toString` of the DOUBLE `x` (finite, as JSON holds)."""
    a = f"abs({x})"
    r = f"CAST({a} AS VARCHAR)"
    # Mantissa digits without the point and without leading or trailing zeros, and the decimal
    # exponent of the first of them.
    mantissa = f"regexp_extract({r}, '^([0-9.]+)', 1)"
    exp_part = f"coalesce(TRY_CAST(regexp_extract({r}, 'e([-+]?[0-9]+)$', 1) AS INTEGER), 0)"
    int_part = f"split_part({mantissa}, '.', 1)"
    all_digits = f"replace({mantissa}, '.', '')"
    lead = f"(length({all_digits}) - length(ltrim({all_digits}, '0')))"
    digits = f"rtrim(ltrim({all_digits}, '0'), '0')"
    exponent = f"CAST({exp_part} + length({int_part}) - 1 - {lead} AS INTEGER)"
    plain = (
        f"CASE WHEN {exponent} >= 0 THEN "
        f"rpad(substr({digits}, 1, {exponent} + 1), {exponent} + 1, '0') || '.' || "
        f"coalesce(nullif(substr({digits}, {exponent} + 2), ''), '0') "
        f"ELSE '0.' || repeat('0', CAST(-{exponent} - 1 AS BIGINT)) || {digits} END"
    )
    scientific = (
        f"substr({digits}, 1, 1) || '.' || coalesce(nullif(substr({digits}, 2), ''), '0') || "
        f"'E' || CAST({exponent} AS VARCHAR)"
    )
    body = (
        f"CASE WHEN {a} = 0 THEN '0.0' WHEN {a} >= 0.001 AND {a} < 10000000 THEN {plain} "
        f"ELSE {scientific} END"
    )
    return f"(CASE WHEN signbit({x}) THEN '-' ELSE '' END || {body})"
