"""The syntax tree of a filter pattern: immutable values that `parse_pattern` returns.

Positions are kept for messages but left out of equality, so two spellings of one pattern that
differ only in spacing or redundant parentheses give equal trees.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Final, Literal, TypeAlias

PatternKind: TypeAlias = Literal["json", "term", "space"]
Operator: TypeAlias = Literal["=", "!=", "<", ">", "<=", ">="]
# How a string value is compared once its leading/trailing `*` are taken off.
StringMatch: TypeAlias = Literal["exact", "prefix", "suffix", "contains", "present"]
CheckKind: TypeAlias = Literal["IS NULL", "IS TRUE", "IS FALSE", "NOT EXISTS"]
TermMode: TypeAlias = Literal["require", "exclude", "optional"]


# --- values -------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class StringValue:
    """A string to compare with: `needle` is the text without its wildcard stars.

    `present` is the lone `*` (the field exists with a value); `prefix` is `X*`, `suffix` is
    `*X`, `contains` is `*X*`; a `*` anywhere else is part of `needle`.
    """

    text: str
    match: StringMatch
    needle: str
    quoted: bool = field(default=False, compare=False)


@dataclass(frozen=True, slots=True)
class NumberValue:
    """An unquoted number: integers stay `int`, anything with a point or exponent is `float`."""

    value: int | float
    text: str = field(compare=False)


@dataclass(frozen=True, slots=True)
class RegexValue:
    """A `%...%` value; `source` is the text between the percent signs."""

    source: str


Value: TypeAlias = StringValue | NumberValue | RegexValue


# --- JSON patterns ------------------------------------------------------------------------


class Wildcard:
    """The `*` step of a selector (`$.a[*]`, `$.a.*`): every element of an array or every member
    value of an object. There is one, `WILDCARD`; a member literally named `*` (`$.['*']`) is the
    string "*" instead."""

    __slots__ = ()

    def __repr__(self) -> str:
        return "WILDCARD"

    def __reduce__(self) -> str:
        # Pickled by name, so that it unpickles as the one `WILDCARD`.
        return "WILDCARD"


WILDCARD: Final = Wildcard()
# One step of a selector: a member name, an array index, or the wildcard.
PathStep: TypeAlias = str | int | Wildcard


@dataclass(frozen=True, slots=True)
class Selector:
    """`$.a.b[0]` as the path ("a", "b", 0): names are `str`, array indexes `int`, `[*]` and `.*`
    are `WILDCARD`; `$.['a.b']` is the one name "a.b"."""

    path: tuple[PathStep, ...]
    text: str = field(compare=False)

    @property
    def multi(self) -> bool:
        """Whether the selector can select several values (it has a wildcard step)."""
        return WILDCARD in self.path


@dataclass(frozen=True, slots=True)
class Comparison:
    """`SELECTOR OP VALUE`."""

    selector: Selector
    op: Operator
    value: Value
    position: int = field(default=0, compare=False)


@dataclass(frozen=True, slots=True)
class Check:
    """`SELECTOR IS NULL|TRUE|FALSE` or `SELECTOR NOT EXISTS`."""

    selector: Selector
    kind: CheckKind
    position: int = field(default=0, compare=False)


@dataclass(frozen=True, slots=True)
class And:
    """All operands hold; chains are flattened (`a && b && c` has three operands)."""

    operands: tuple[JsonExpr, ...]


@dataclass(frozen=True, slots=True)
class Or:
    """At least one operand holds; chains are flattened like `And`."""

    operands: tuple[JsonExpr, ...]


JsonExpr: TypeAlias = Comparison | Check | And | Or


@dataclass(frozen=True, slots=True)
class JsonPattern:
    """`{ EXPR }`."""

    expr: JsonExpr
    kind: PatternKind = field(default="json", init=False)


# --- term patterns ------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Term:
    """One term of a term pattern: a word, a quoted phrase or a `%regex%`."""

    text: str
    mode: TermMode
    regex: bool = False


@dataclass(frozen=True, slots=True)
class TermPattern:
    """Terms over the raw text of an event; no terms at all matches every event."""

    terms: tuple[Term, ...]
    kind: PatternKind = field(default="term", init=False)


# --- space-delimited patterns -------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class FieldTest:
    """`OP VALUE` on one field of a space-delimited line."""

    op: Operator
    value: Value


@dataclass(frozen=True, slots=True)
class FieldAnd:
    """All tests hold on the field."""

    operands: tuple[FieldExpr, ...]


@dataclass(frozen=True, slots=True)
class FieldOr:
    """At least one test holds on the field."""

    operands: tuple[FieldExpr, ...]


FieldExpr: TypeAlias = FieldTest | FieldAnd | FieldOr


@dataclass(frozen=True, slots=True)
class Field:
    """A named field, with the condition its text must meet (None: any text)."""

    name: str
    condition: FieldExpr | None = None


@dataclass(frozen=True, slots=True)
class AnyFields:
    """`...`: any number of fields, including none."""


@dataclass(frozen=True, slots=True)
class SpacePattern:
    """`[f1, f2, ..., fn]` over the space-delimited fields of a line."""

    fields: tuple[Field | AnyFields, ...]
    kind: PatternKind = field(default="space", init=False)


Pattern: TypeAlias = JsonPattern | TermPattern | SpacePattern
