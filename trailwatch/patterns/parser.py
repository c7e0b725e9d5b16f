"""Read a filter pattern into its syntax tree, or say at which column and why it is invalid."""

from __future__ import annotations

import re
from functools import lru_cache

from trailwatch.patterns.errors import PatternSyntaxError
from trailwatch.patterns.lexer import WHITESPACE, Token, TokenKind, read_quoted, tokenize
from trailwatch.patterns.literals import number_value, regex_problem, string_value
from trailwatch.patterns.syntax import (
    And,
    AnyFields,
    Check,
    CheckKind,
    Comparison,
    Field,
    FieldAnd,
    FieldExpr,
    FieldOr,
    FieldTest,
    JsonExpr,
    JsonPattern,
    Operator,
    Or,
    Pattern,
    RegexValue,
    Selector,
    SpacePattern,
    Term,
    TermMode,
    TermPattern,
    Value,
)

# AWS's limit on `filterPattern` (PutMetricFilter).
MAX_PATTERN_LENGTH = 1024
# Deeper parentheses than any real pattern needs; the limit keeps recursion far from Python's.
MAX_NESTING = 100
# AWS allows at most two regular expressions in one pattern.
MAX_REGEXES = 2

_FIELD_NAME = re.compile(r"[A-Za-z_][A-Za-z0-9_]*")
_TERM_WORD_CHARS = frozenset("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789_")
_NUMERIC_ONLY: frozenset[str] = frozenset({"<", ">", "<=", ">="})
_OPERATORS: dict[str, Operator] = {"=": "=", "!=": "!=", "<": "<", ">": ">", "<=": "<=", ">=": ">="}
_CHECKS: dict[str, CheckKind] = {"NULL": "IS NULL", "TRUE": "IS TRUE", "FALSE": "IS FALSE"}


def parse_pattern(text: str) -> Pattern:
    """Parse a filter pattern into its syntax tree; raise `PatternSyntaxError` if AWS would not.

    Any input either parses or raises `PatternSyntaxError`, never another exception.
    """
    if not isinstance(text, str):
        raise PatternSyntaxError(repr(text), 0, f"a pattern is text, not {type(text).__name__}")
    return _parse_cached(text)


@lru_cache(maxsize=1024)
def _parse_cached(text: str) -> Pattern:
    if len(text) > MAX_PATTERN_LENGTH:
        raise PatternSyntaxError(
            text,
            MAX_PATTERN_LENGTH,
            f"a pattern can be at most {MAX_PATTERN_LENGTH:,} characters (this one has "
            f"{len(text):,})",
        )
    start = 0
    while start < len(text) and text[start] in WHITESPACE:
        start += 1
    if start < len(text) and text[start] == "{":
        return _TokenParser(text, tokenize(text, start, len(text))).json_pattern()
    if start < len(text) and text[start] == "[":
        return _TokenParser(text, tokenize(text, start, len(text))).space_pattern()
    return _parse_terms(text)


class _TokenParser:
    """Recursive descent over the tokens of a `{...}` or `[...]` pattern."""

    def __init__(self, pattern: str, tokens: list[Token]) -> None:
        self.pattern = pattern
        self.tokens = tokens
        self.index = 0
        self.regexes = 0
        self.ellipses = 0

    # --- helpers --------------------------------------------------------------------------

    def peek(self, ahead: int = 0) -> Token:
        return self.tokens[min(self.index + ahead, len(self.tokens) - 1)]

    def take(self) -> Token:
        token = self.peek()
        if token.kind != "end":
            self.index += 1
        return token

    def fail(self, token: Token, reason: str) -> PatternSyntaxError:
        return PatternSyntaxError(self.pattern, token.position, reason)

    def expect(self, kind: TokenKind, reason: str) -> Token:
        token = self.peek()
        if token.kind != kind:
            raise self.fail(token, f"{reason}, found {_describe(token)}")
        return self.take()

    # --- JSON patterns --------------------------------------------------------------------

    def json_pattern(self) -> JsonPattern:
        self.expect("{", "expected '{'")
        if self.peek().kind == "}":
            raise self.fail(self.peek(), "expected a condition inside '{ }'")
        expr = self.or_expr(0)
        self.expect("}", "expected '&&', '||' or '}'")
        self.expect("end", "expected nothing after the closing '}'")
        return JsonPattern(expr)

    def or_expr(self, depth: int) -> JsonExpr:
        operands = [self.and_expr(depth)]
        while self.peek().kind == "||":
            self.take()
            operands.append(self.and_expr(depth))
        return operands[0] if len(operands) == 1 else Or(_flatten(Or, operands))

    def and_expr(self, depth: int) -> JsonExpr:
        operands = [self.primary(depth)]
        while self.peek().kind == "&&":
            self.take()
            operands.append(self.primary(depth))
        return operands[0] if len(operands) == 1 else And(_flatten(And, operands))

    def primary(self, depth: int) -> JsonExpr:
        token = self.peek()
        if token.kind == "(":
            if depth >= MAX_NESTING:
                raise self.fail(token, f"parentheses nest deeper than {MAX_NESTING} levels")
            self.take()
            expr = self.or_expr(depth + 1)
            self.expect(")", "expected '&&', '||' or ')'")
            return expr
        if token.kind == "selector":
            return self.condition()
        raise self.fail(
            token, f"expected a selector such as $.eventName or '(', found {_describe(token)}"
        )

    def condition(self) -> Comparison | Check:
        token = self.take()
        assert isinstance(token.value, tuple)
        selector = Selector(token.value, token.text)
        after = self.peek()
        if after.kind == "op":
            self.take()
            op = _operator(after.text)
            return Comparison(selector, op, self.value(op, after), token.position)
        if after.kind == "word" and after.text == "IS":
            self.take()
            word = self.peek()
            if word.kind != "word" or word.text not in _CHECKS:
                raise self.fail(
                    word, f"expected NULL, TRUE or FALSE after IS, found {_describe(word)}"
                )
            self.take()
            return Check(selector, _CHECKS[word.text], token.position)
        if after.kind == "word" and after.text == "NOT":
            self.take()
            word = self.peek()
            if word.kind != "word" or word.text != "EXISTS":
                raise self.fail(word, f"expected EXISTS after NOT, found {_describe(word)}")
            self.take()
            return Check(selector, "NOT EXISTS", token.position)
        raise self.fail(
            after,
            f"expected an operator (=, !=, <, <=, >, >=), IS or NOT EXISTS after "
            f"{token.text}, found {_describe(after)}",
        )

    # --- values (JSON and space-delimited) ------------------------------------------------

    def value(self, op: Operator, op_token: Token) -> Value:
        token = self.peek()
        numeric_only = op in _NUMERIC_ONLY
        if token.kind == "word":
            number = number_value(token.text)
            if number is not None:
                self.take()
                return number
            if numeric_only:
                raise self.fail(token, f"expected a number after '{op}', found {token.text!r}")
            if "+" in token.text:
                raise self.fail(token, f"quote values that contain '+' ({token.text!r})")
            self.take()
            return string_value(token.text, quoted=False)
        if token.kind == "string":
            if numeric_only:
                raise self.fail(token, f"expected a number after '{op}', found a quoted string")
            self.take()
            assert isinstance(token.value, str)
            return string_value(token.value, quoted=True)
        if token.kind == "regex":
            if numeric_only:
                raise self.fail(token, f"expected a number after '{op}', found a regex")
            assert isinstance(token.value, str)
            problem = regex_problem(token.value)
            if problem is not None:
                offset, reason = problem
                raise PatternSyntaxError(self.pattern, token.position + 1 + offset, reason)
            self.regexes += 1
            if self.regexes > MAX_REGEXES:
                raise self.fail(
                    token, f"a pattern can hold at most {MAX_REGEXES} regular expressions"
                )
            self.take()
            return RegexValue(token.value)
        raise self.fail(
            token, f"expected a value after '{op_token.text}', found {_describe(token)}"
        )

    # --- space-delimited patterns ---------------------------------------------------------

    def space_pattern(self) -> SpacePattern:
        self.expect("[", "expected '['")
        if self.peek().kind == "]":
            raise self.fail(self.peek(), "expected at least one field name inside '[ ]'")
        fields: list[Field | AnyFields] = [self.space_field()]
        while self.peek().kind == ",":
            self.take()
            fields.append(self.space_field())
        self.expect("]", "expected ',' or ']'")
        self.expect("end", "expected nothing after the closing ']'")
        return SpacePattern(tuple(fields))

    def space_field(self) -> Field | AnyFields:
        token = self.peek()
        if token.kind == "word" and token.text == "...":
            if self.ellipses:
                raise self.fail(token, "a space-delimited pattern can hold only one '...'")
            self.ellipses += 1
            self.take()
            return AnyFields()
        if token.kind != "word" or not _FIELD_NAME.fullmatch(token.text):
            raise self.fail(
                token,
                f"expected a field name (letters, digits, '_') or '...', found {_describe(token)}",
            )
        self.take()
        if self.peek().kind != "op":
            return Field(token.text)
        return Field(token.text, self.field_condition(token.text))

    def field_condition(self, name: str) -> FieldExpr:
        # `&&` binds tighter than `||`: collect `||`-separated groups of `&&`-joined tests.
        groups: list[list[FieldExpr]] = [[self.field_test()]]
        while self.peek().kind in ("&&", "||"):
            joiner = self.take().kind
            token = self.peek()
            if token.kind == "word" and self.peek(1).kind == "op":
                if token.text != name:
                    raise self.fail(
                        token, f"conditions joined by {joiner} must test the same field ({name!r})"
                    )
                self.take()
            test = self.field_test()
            if joiner == "&&":
                groups[-1].append(test)
            else:
                groups.append([test])
        ands: list[FieldExpr] = [g[0] if len(g) == 1 else FieldAnd(tuple(g)) for g in groups]
        return ands[0] if len(ands) == 1 else FieldOr(tuple(ands))

    def field_test(self) -> FieldTest:
        token = self.expect("op", "expected an operator (=, !=, <, <=, >, >=)")
        op = _operator(token.text)
        return FieldTest(op, self.value(op, token))


def _operator(text: str) -> Operator:
    # The lexer only makes operator tokens of these texts.
    return _OPERATORS[text]


def _flatten(kind: type[And] | type[Or], operands: list[JsonExpr]) -> tuple[JsonExpr, ...]:
    # `(a || b) || c` is one chain: flattening keeps trees equal however a pattern is
    # parenthesised and lets the compiler merge the whole chain.
    flat: list[JsonExpr] = []
    for operand in operands:
        if isinstance(operand, kind):
            flat.extend(operand.operands)
        else:
            flat.append(operand)
    return tuple(flat)


def _describe(token: Token) -> str:
    if token.kind == "end":
        return "the end of the pattern"
    shown = token.text if len(token.text) <= 40 else token.text[:37] + "..."
    return repr(shown)


# --- term patterns ------------------------------------------------------------------------


def _parse_terms(pattern: str) -> TermPattern:
    terms: list[Term] = []
    regexes = 0
    i, end = 0, len(pattern)
    while True:
        while i < end and pattern[i] in WHITESPACE:
            i += 1
        if i >= end:
            return TermPattern(tuple(terms))
        mode: TermMode = "require"
        if pattern[i] in "-?":
            mode = "exclude" if pattern[i] == "-" else "optional"
            i += 1
            if i >= end or pattern[i] in WHITESPACE:
                raise PatternSyntaxError(pattern, i, f"expected a term after '{pattern[i - 1]}'")
        start = i
        char = pattern[i]
        if char == '"':
            text, i = read_quoted(pattern, i, end)
            # `""` and `" "` match every event: a blank phrase constrains nothing.
            term: Term | None = Term(text, mode) if text.strip() else None
        elif char == "%":
            close = pattern.find("%", i + 1)
            if close < 0:
                raise PatternSyntaxError(pattern, i, "regular expression has no closing '%'")
            source = pattern[i + 1 : close]
            problem = regex_problem(source)
            if problem is not None:
                raise PatternSyntaxError(pattern, i + 1 + problem[0], problem[1])
            regexes += 1
            if regexes > MAX_REGEXES:
                raise PatternSyntaxError(
                    pattern, i, f"a pattern can hold at most {MAX_REGEXES} regular expressions"
                )
            term = Term(source, mode, regex=True)
            i = close + 1
        else:
            while i < end and pattern[i] in _TERM_WORD_CHARS:
                i += 1
            if i == start or (i < end and pattern[i] not in WHITESPACE):
                bad = i if i < end else start
                raise PatternSyntaxError(
                    pattern,
                    bad,
                    f"unexpected {pattern[bad]!r}: quote terms that contain characters other "
                    "than letters, digits and '_'",
                )
            term = Term(pattern[start:i], mode)
        if i < end and pattern[i] not in WHITESPACE:
            raise PatternSyntaxError(pattern, i, "expected a space between terms")
        if term is not None:
            terms.append(term)
