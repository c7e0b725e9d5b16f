"""The CloudWatch Logs filter-pattern language: parse, validate and evaluate patterns.

One engine for validation, tests, replay and drill; pure Python, never imports cdktf.

    p = compile_pattern('{ $.eventName = "ConsoleLogin" }')   # parsed and compiled once, cached
    p.kind                                                     # "json" | "term" | "space"
    p.matches(record)           # record: a decoded JSON object (dict) or a raw log line (str)
    parse_pattern(text)         # the syntax tree (frozen dataclasses in `syntax`)
    match = compile_many({"root-account-usage": "...", ...})
    match(record)               # ["root-account-usage", ...]: names that match, in mapping order

Every input to `parse_pattern` returns a tree or raises `PatternSyntaxError` (a
`TrailwatchError`) with `.pattern`, `.position` (0-based column, also shown as "column N") and
`.reason`. `matches` never raises.

Semantics follow ../shared/reference/filter-patterns.md. Where AWS documents nothing, these are
the choices made here (each is pinned by a test in tests/test_pattern_eval.py or
tests/test_pattern_parser.py):

Kinds and records
- The first non-blank character decides the kind: `{` JSON, `[` space-delimited, else terms.
- JSON patterns decode a str record; anything that is not a JSON object matches no JSON pattern.
  Term and space-delimited patterns read a str record as is, and a dict as compact JSON text
  (`json.dumps(record, separators=(",", ":"), ensure_ascii=False)`).
- Limits: at most 1,024 characters, at most two regexes, parentheses at most 100 deep.

JSON patterns
- Comparisons only apply between matching types, otherwise neither `=` nor `!=` matches: a
  string literal (quoted, unquoted, wildcard) against JSON strings; an unquoted number against
  JSON numbers (booleans are not numbers). So `$.code = 400` does not match `"400"`,
  `$.code = "400"` does not match `400`, and `$.flag = true` does not match JSON `true` (use
  `IS TRUE`). Numbers compare by value: `1e3` equals `1000`, `1.0` equals `1`.
- An unquoted value that reads as a number (`1.05`, `-2`, `+1e3`) is a number; `+` anywhere else
  in an unquoted value is a syntax error. Booleans and null are never matched by `=`/`!=`.
- `= *` (or `= **`) matches any string (even empty), number or boolean; `!= *` matches nothing.
  `*` inside quotes is a wildcard too; there is no way to match a literal leading `*`.
- In quoted values a backslash before any character other than `"` or `\\` is kept as written.
- `IS NULL` needs the field present with JSON null; `NOT EXISTS` holds when the path leads
  nowhere (including through a string or a too-short array); a null field exists.
- Keywords `IS`, `NULL`, `TRUE`, `FALSE`, `NOT`, `EXISTS` are upper-case only.
- `%regex%` values take AWS's character whitelist (ASCII letters, digits, `: _ # = @ / ; , -` and
  `^ $ ? [ ] { } | \\ * + .`), so no spaces or parentheses; they match JSON strings only, by
  search (anywhere in the value, anchor with `^`/`$`); `\\d`, `\\w`, `\\s` are ASCII-only as in
  Java. `!=` with a regex means "a string the regex does not find". `"%x%"` in quotes is a plain
  string.
- Selectors are `$.name` followed by `.name` and `[index]` steps; no spaces inside a selector.

Term patterns
- Plain terms must all appear, `-` terms must not appear, and when there are `?` terms at least
  one of them must appear. Blank quoted terms (`""`, `" "`) are dropped, whatever their prefix.
- Unquoted terms are ASCII letters, digits and `_`; terms are separated by whitespace.
- `%regex%` terms search the line.

Space-delimited patterns
- Fields are separated by runs of whitespace; `"..."` and `[...]` at the start of a field make one
  field and are given without their quotes or brackets; inside a field they are ordinary
  characters; an unclosed one runs to the end of the line; brackets do not nest.
- Without `...` the line must have exactly as many fields as the pattern; `...` stands for zero
  or more fields and may appear several times. `[]` is a syntax error.
- Field names are letters, digits and `_` (not starting with a digit). A number literal compares
  the field read as a number (a non-number field matches no numeric test, `!=` included); a
  string literal compares the text with the same wildcard rules as JSON, and `= *` matches any
  field. Joined conditions may repeat the field name (`status = 4* || status = 5*`) or omit it
  (`status = 4* || = 5*`); naming another field is a syntax error. `&&` binds tighter than `||`.

Performance
- Patterns compile to closures; `$.x = A || $.x = B || ...` chains become one frozenset lookup
  with the same semantics (strings only). A selector used in several places is resolved once per
  record. `compile_many` shares selector resolution across patterns.
"""

from trailwatch.patterns.compiler import CompiledPattern, compile_pattern
from trailwatch.patterns.errors import PatternSyntaxError
from trailwatch.patterns.match_set import MatchSet, compile_many
from trailwatch.patterns.parser import MAX_PATTERN_LENGTH, parse_pattern
from trailwatch.patterns.syntax import Pattern, PatternKind

__all__ = [
    "MAX_PATTERN_LENGTH",
    "CompiledPattern",
    "MatchSet",
    "Pattern",
    "PatternKind",
    "PatternSyntaxError",
    "compile_many",
    "compile_pattern",
    "parse_pattern",
]
