"""The semantics table: every rule the engine follows, with its evidence, as data.

Each rule has an id, the rule in one line, and its evidence: answers AWS itself gave
(`cases`: ids `aws-N`, N the 0-based index of the case in
../shared/reference/aws-observed-filter-results.json), a sentence of AWS's documentation
(`docs`), or, where neither decides, the choice made here (`choice`). Recorded answers win over
the documentation where the two disagree (`disagrees` says how the documentation reads).

tests/semantics/*.json pin every rule with at least one case naming it; the package docstring
and README.md ("Filter-pattern semantics") show this table as `docstring_table()` and
`markdown_table()` render it (`python -m trailwatch.patterns.rules` prints both), and a test
checks that they agree.
"""

from __future__ import annotations

import textwrap
from dataclasses import dataclass


@dataclass(frozen=True, slots=True)
class Rule:
    """One rule of the language and why the engine follows it."""

    id: str
    rule: str
    cases: tuple[str, ...] = ()
    docs: str = ""
    choice: str = ""
    disagrees: str = ""

    def evidence(self) -> str:
        """The evidence in one paragraph."""
        parts = []
        if self.cases:
            answers = "answer" if len(self.cases) == 1 else "answers"
            parts.append(f"AWS recorded {answers} " + ", ".join(self.cases))
        if self.docs:
            parts.append(f'AWS documentation: "{self.docs}"')
        if self.choice:
            parts.append(f"our choice: {self.choice}")
        if self.disagrees:
            parts.append(f"the documentation disagrees: {self.disagrees}")
        return "; ".join(parts)


RULES: tuple[Rule, ...] = (
    # --- kinds, records, limits ---------------------------------------------------------------
    Rule(
        "kind.first-character",
        "First non-blank character decides the kind: `{` JSON, `[` space-delimited, else terms.",
        cases=("aws-000", "aws-147", "aws-675"),
        choice="blanks before the `{` or `[` are ignored",
    ),
    Rule(
        "kind.json-needs-object",
        "A JSON pattern matches only events that are JSON objects; any other line matches nothing.",
        cases=("aws-176", "aws-177", "aws-178", "aws-467"),
    ),
    Rule(
        "kind.record-as-text",
        "Term and space-delimited patterns read a decoded record as its compact JSON text.",
        choice="a caller that already decoded a record gets the answer its one-line JSON would get",
    ),
    Rule(
        "limit.length",
        "A pattern has at most 1,024 characters.",
        docs="filterPattern ... Length Constraints: Minimum length of 0. Maximum length of 1024.",
    ),
    Rule(
        "limit.regexes",
        "A pattern holds at most two regular expressions.",
        cases=("aws-718",),
        docs="There is a limit of 2 regex for each filter pattern",
    ),
    Rule(
        "limit.nesting",
        "Parentheses nest at most 100 deep.",
        choice="deeper than any real pattern; keeps the parser's recursion bounded",
    ),
    # --- term patterns ------------------------------------------------------------------------
    Rule(
        "term.substring",
        "A term matches as a case-sensitive substring anywhere in the event.",
        cases=("aws-008", "aws-004", "aws-058", "aws-010"),
    ),
    Rule(
        "term.all-plain",
        "Every plain term must appear, in any order.",
        docs="You can specify multiple terms in a metric filter pattern, but all terms must appear "
        "in a log event for there to be a match.",
    ),
    Rule(
        "term.exclude",
        "A `-` term must not appear.",
        cases=("aws-073", "aws-072"),
    ),
    Rule(
        "term.optional",
        "With no plain terms, at least one `?` term must appear.",
        cases=("aws-020", "aws-021", "aws-026"),
    ),
    Rule(
        "term.optional-beside-plain",
        "Next to plain terms, `?` terms change nothing: the plain and `-` terms decide.",
        cases=("aws-039", "aws-041", "aws-049"),
        disagrees="the AWS CDK writes anyTermGroup([ERROR, MainThread], [WARN, Deadlock]) as "
        '`?"ERROR" "MainThread" ?"WARN" "Deadlock"` and documents it as (ERROR and MainThread) '
        "or (WARN and Deadlock); AWS's answers make that pattern need MainThread and Deadlock",
    ),
    Rule(
        "term.quoted-phrase",
        'A quoted term is one phrase, spaces included; `\\"` and `\\\\` escape inside it.',
        cases=("aws-073", "aws-072"),
        choice="the escapes",
    ),
    Rule(
        "term.unquoted-characters",
        "Unquoted terms are letters, digits and `_`; a term with anything else must be quoted.",
        cases=("aws-090",),
        docs="Metric filter terms that include characters other than alphanumeric or underscore "
        'must be placed inside double quotes ("").',
    ),
    Rule(
        "term.unclosed-quote",
        "A quote that is not closed is a syntax error.",
        cases=("aws-091",),
    ),
    Rule(
        "term.blank-matches-all",
        'An empty pattern, or one of blank quoted terms (`""`, `" "`), matches every event.',
        docs='To return all log events, specify a filter pattern of "".',
        choice="blank quoted terms constrain nothing, so they are dropped",
    ),
    Rule(
        "term.regex",
        "A `%regex%` term matches when the regex finds a match anywhere in the event.",
        cases=("aws-103", "aws-109", "aws-113"),
    ),
    # --- regular expressions ------------------------------------------------------------------
    Rule(
        "regex.characters",
        "A regex takes only ASCII letters, digits, `:_#=@/;,-` and `^$?[]{}|\\*+.`.",
        cases=("aws-143", "aws-144", "aws-145"),
        docs="The ( and ) operators are not supported. You cannot use parentheses to define a "
        "subpattern. Multi-byte characters are not supported.",
    ),
    Rule(
        "regex.escapes",
        "Backslash escapes work in a regex: `\\x21` finds a `!` that cannot be written.",
        cases=("aws-103", "aws-104"),
    ),
    Rule(
        "regex.must-compile",
        "A regex that does not compile is a syntax error.",
        cases=("aws-146",),
    ),
    Rule(
        "regex.search",
        "A regex searches: it matches anywhere unless `^`/`$` anchor it.",
        cases=("aws-103", "aws-140", "aws-141"),
    ),
    Rule(
        "regex.java-flavour",
        "`\\d`, `\\w`, `\\s` are ASCII-only and `^`/`$` anchor the whole text, not its lines.",
        choice="Java's defaults, which AWS's engine is assumed to use",
    ),
    # --- JSON patterns: string values -----------------------------------------------------------
    Rule(
        "json.string-exact",
        "A string value matches case-sensitively and the whole value.",
        cases=("aws-357", "aws-358", "aws-359", "aws-319"),
    ),
    Rule(
        "json.string-vs-number",
        'A string value also compares with a JSON number, through its text: `= "1"` matches 1.',
        cases=("aws-315", "aws-347", "aws-335"),
    ),
    Rule(
        "json.number-text",
        "A number's text is its digits if integral, else Java's Double.toString (1.0, 1e0: `1.0`).",
        cases=("aws-316", "aws-317"),
        choice="beyond what aws-316/aws-317 show (1.0 and 1e0 are not `1`), the canonical Java "
        "form rather than the text as written, so a decoded record and its line agree",
    ),
    Rule(
        "json.string-not-boolean",
        "A string value never matches a boolean or null: `= true` matches only the string `true`.",
        cases=("aws-534", "aws-536", "aws-342", "aws-340"),
    ),
    Rule(
        "json.not-equal",
        "`!=` with a string value holds for a string or number whose text differs, nothing else.",
        cases=("aws-346", "aws-356", "aws-360", "aws-339", "aws-343"),
    ),
    Rule(
        "json.missing",
        "A missing field matches neither `=` nor `!=`.",
        cases=("aws-339", "aws-307", "aws-147"),
    ),
    Rule(
        "json.container",
        "A selector at an object or an array matches no comparison, `= *` and `!=` included.",
        cases=("aws-361", "aws-362", "aws-363", "aws-585", "aws-203"),
        docs="The SELECTOR must point to a value node (string or number) in the JSON. If it "
        "points to an array or object, the filter will not be applied",
    ),
    Rule(
        "json.present",
        "`= *` matches any string (even empty) or number; not booleans, null, objects, arrays.",
        cases=("aws-566", "aws-567", "aws-584", "aws-570", "aws-564", "aws-563"),
    ),
    Rule(
        "json.not-present",
        "`!= *` matches nothing.",
        choice="the negation of `= *` restricted to value nodes is empty",
    ),
    Rule(
        "json.wildcard-ends",
        "`*` at the start and/or end of a value matches any text there, none included.",
        docs="*Event will match PutEvent and GetEvent. Event* will match EventId and EventName.",
        choice="`*X` also matches exactly `X` (the catalog relies on it)",
    ),
    Rule(
        "json.wildcard-middle",
        "A `*` elsewhere in a value is a literal character.",
        docs="Ev*ent will only match the actual string Ev*ent.",
    ),
    Rule(
        "json.question-mark-literal",
        "`?` in a value is a literal character, not a wildcard.",
        cases=("aws-397", "aws-396"),
    ),
    Rule(
        "json.empty-string",
        '`= ""` matches only the empty string.',
        cases=("aws-424", "aws-403", "aws-410", "aws-404"),
    ),
    Rule(
        "json.unquoted-values",
        "Unquoted values of letters, digits, `.-_:/*` are strings unless they read as numbers.",
        cases=("aws-536",),
        docs="Strings that consist entirely of alphanumeric characters do not need to be quoted.",
        choice="dots, dashes, colons and slashes too, as AWS's own CloudTrail patterns use them",
    ),
    Rule(
        "json.quoted-escapes",
        'In quoted values `\\"` and `\\\\` are escapes; any other backslash stays as written.',
        choice="the documented escapes only",
    ),
    # --- JSON patterns: numbers ---------------------------------------------------------------
    Rule(
        "json.number-equality",
        "`=` with a number holds for JSON numbers of that value and strings spelled like it.",
        cases=("aws-251", "aws-252", "aws-253", "aws-254"),
        docs="Strings that consist entirely of alphanumeric characters do not need to be quoted.",
        choice="an unquoted number is also the unquoted string it spells, compared by that text "
        '(aws-254: `= 1e+0` does not match `"1"`), so `= 123456789012` matches an account ID',
    ),
    Rule(
        "json.number-not-equal",
        "`!=` with a number holds for JSON numbers of another value and strings spelled otherwise.",
        choice="the negation of `=` over the same values, as `!=` with a string value (aws-346)",
    ),
    Rule(
        "json.number-ordering",
        "`<`, `>`, `<=`, `>=` need a number value and hold only for JSON numbers.",
        cases=("aws-154", "aws-158", "aws-715", "aws-190"),
    ),
    Rule(
        "json.number-syntax",
        "Number values take a sign, decimals and an exponent: `-1`, `1.5`, `1e+0`, `+1000`.",
        cases=("aws-251", "aws-288"),
        docs="An integer with an optional + or - sign, a decimal with an optional + or - sign, or "
        "a number in scientific notation",
    ),
    Rule(
        "json.booleans-not-numbers",
        "Booleans are not numbers: `true`/`false` match no numeric test.",
        cases=("aws-151", "aws-246", "aws-182"),
    ),
    Rule(
        "json.duplicate-keys",
        "When a member name repeats in an event, its last value counts.",
        cases=("aws-335", "aws-334", "aws-239", "aws-238"),
    ),
    Rule(
        "json.regex-value",
        "A `%regex%` value searches strings and numbers' text; `!=` holds where it finds nothing.",
        cases=("aws-452", "aws-454", "aws-455", "aws-453"),
        choice="numbers through their text, as string values; `!=` as for string values",
    ),
    # --- JSON patterns: special tests, structure ------------------------------------------------
    Rule(
        "json.is-null",
        "`IS NULL` holds when the field is present and JSON null.",
        docs="This will only be true is the specified object is set to null.",
    ),
    Rule(
        "json.is-true-false",
        "`IS TRUE`/`IS FALSE` hold for JSON booleans only, not strings or numbers.",
        cases=("aws-502", "aws-503", "aws-504", "aws-507"),
    ),
    Rule(
        "json.not-exists",
        "`NOT EXISTS` holds only when the selector leads nowhere; a null field exists.",
        cases=("aws-467", "aws-468", "aws-667", "aws-669", "aws-488"),
    ),
    Rule(
        "json.no-other-keywords",
        "`EXISTS`, `IS NOT` and `AND` are not part of the language.",
        cases=("aws-711", "aws-712", "aws-713"),
    ),
    Rule(
        "json.keywords-upper-case",
        "The keywords `IS`, `NULL`, `TRUE`, `FALSE`, `NOT`, `EXISTS` are upper-case only.",
        choice="as AWS documents them",
    ),
    Rule(
        "json.precedence",
        "`&&` binds tighter than `||`; parentheses group.",
        cases=("aws-656", "aws-658", "aws-655"),
        docs="Parenthesis are allowed and the syntax follows standard order of operations () > && "
        "> ||.",
    ),
    Rule(
        "json.grammar",
        "`{ }` holds conditions joined by `&&`, `||` and parentheses; spacing is free.",
        cases=("aws-713", "aws-645"),
        docs="The metric filter must be enclosed in curly braces { }, to indicate this is a JSON "
        "expression.",
    ),
    Rule(
        "json.needs-selector",
        'Every condition starts with a `$.` selector: `{ "v": [1] }` is a syntax error.',
        cases=("aws-714",),
    ),
    # --- JSON patterns: selectors -------------------------------------------------------------
    Rule(
        "selector.names",
        "`$.a.b` walks member names (letters, digits, `-`, `_`); a dot always separates two names.",
        cases=("aws-606", "aws-605", "aws-611"),
    ),
    Rule(
        "selector.index",
        "`[N]` selects element N of an array; on anything else, or past the end, it leads nowhere.",
        docs="If arrayKey is not an array this will be false.",
        choice="an index on an object with digit keys leads nowhere too",
    ),
    Rule(
        "selector.not-jsonpath",
        "`$..` (recursive descent) and negative indexes are syntax errors.",
        cases=("aws-716", "aws-717"),
        choice="slices, unions and filters likewise",
    ),
    Rule(
        "selector.bracket-name",
        "`['name']` selects a member by any name, dots included: `$.['cluster.name']`.",
        cases=("aws-595", "aws-596", "aws-604"),
        choice='`["name"]` too, with `\\` escaping the quote',
    ),
    Rule(
        "selector.wildcard-index",
        "`[*]` selects every element of an array or member value of an object; none of a scalar.",
        cases=("aws-615", "aws-618", "aws-619", "aws-621", "aws-623"),
    ),
    Rule(
        "selector.wildcard-member",
        "`.*` selects like `[*]`: every member value or element, without flattening arrays.",
        cases=("aws-629", "aws-630", "aws-625", "aws-632"),
    ),
    Rule(
        "selector.wildcard-any",
        "A condition on a wildcard selector holds when it holds for one selected value.",
        cases=("aws-616", "aws-622", "aws-617"),
    ),
    Rule(
        "selector.wildcard-each-condition",
        "Each condition picks its own value: `$.i[*].a = 1 && $.i[*].b = 2` may use two elements.",
        cases=("aws-635", "aws-642", "aws-636"),
    ),
    Rule(
        "selector.wildcard-not-exists",
        "On a wildcard selector `NOT EXISTS` holds when it selects nothing.",
        choice="the reading of `NOT EXISTS` that agrees with `selector.wildcard-any`",
    ),
    Rule(
        "selector.no-flattening",
        "A name step on an array, a string or null leads nowhere: arrays are not searched.",
        cases=("aws-673", "aws-667", "aws-672"),
    ),
    # --- space-delimited patterns -------------------------------------------------------------
    Rule(
        "space.whitespace",
        "Fields are separated by runs of spaces or tabs.",
        cases=("aws-679", "aws-680"),
    ),
    Rule(
        "space.grouping",
        '`"..."` and `[...]` make one field each, given without their quotes or brackets.',
        cases=("aws-675", "aws-709"),
        docs='The characters between a pair of square brackets [] or two double quotes ("") are '
        "treated as a single field.",
    ),
    Rule(
        "space.unclosed",
        "An unclosed quote or bracket runs to the end of the line.",
        cases=("aws-710",),
        choice="the field's text is the rest of the line without the opening quote",
    ),
    Rule(
        "space.too-few-fields",
        "A line with fewer fields than the pattern names does not match.",
        cases=("aws-684", "aws-708", "aws-681"),
    ),
    Rule(
        "space.last-field-takes-rest",
        "The last field takes the rest of the line, as written, when more fields follow.",
        cases=("aws-679", "aws-705"),
        choice="its text then keeps the quotes and spaces of the line",
        disagrees="[w1=ERROR, w2] is said to match `ERROR message` but not `ERROR WARN message`",
    ),
    Rule(
        "space.ellipsis",
        "`...` stands for any number of fields (none included) between the fields around it.",
        docs="In cases where you don't know the number of fields, you can use shorthand "
        "notification using an ellipsis (…).",
        choice="fields before it test the first fields of the line, fields after it the last",
    ),
    Rule(
        "space.one-ellipsis",
        "A pattern holds at most one `...`.",
        cases=("aws-719",),
    ),
    Rule(
        "space.string-test",
        "A string value tests the field's text with the JSON wildcards; `= *` matches any field.",
        docs="For string fields, you can use = or != operators with an asterisk (*).",
    ),
    Rule(
        "space.number-test",
        "A number value tests the field read as a number; a non-number field fails every one.",
        docs="For numeric fields, you can use the >, <, >=, <=, =, and != operators.",
        choice="a field that is not a number matches no numeric test, `!=` included",
    ),
    Rule(
        "space.regex-test",
        "A `%regex%` value searches the field's text.",
        cases=("aws-687", "aws-690", "aws-692"),
    ),
    Rule(
        "space.joined-conditions",
        "`&&` and `||` join tests on one field, `&&` first; the name may be repeated or left out.",
        docs="[ip, user, username, timestamp, request, status_code = 4* && status_code != 403, "
        "bytes]",
        choice="leaving the name out; naming another field is a syntax error",
    ),
    Rule(
        "space.field-names",
        "Field names are letters, digits and `_`, not starting with a digit; `[]` is invalid.",
        choice="the names AWS's examples use",
    ),
)

RULE_IDS: frozenset[str] = frozenset(rule.id for rule in RULES)


def docstring_table(width: int = 96) -> str:
    """The table as the package docstring shows it: one rule per entry, evidence below."""
    lines: list[str] = []
    for rule in RULES:
        lines.append(f"- {rule.id}")
        lines.append(f"  {rule.rule}")
        lines.extend(
            textwrap.wrap(
                "Evidence: " + rule.evidence(),
                width=width,
                initial_indent="  ",
                subsequent_indent="  ",
                break_long_words=False,
                break_on_hyphens=False,
            )
        )
    return "\n".join(lines)


def markdown_table() -> str:
    """The table as README.md shows it."""
    rows = ["| id | rule | evidence |", "|---|---|---|"]
    for rule in RULES:
        cells = (f"`{rule.id}`", rule.rule, rule.evidence())
        rows.append("| " + " | ".join(cell.replace("|", "\\|") for cell in cells) + " |")
    return "\n".join(rows)


if __name__ == "__main__":
    print(docstring_table())
    print()
    print(markdown_table())
