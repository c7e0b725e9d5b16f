r"""The CloudWatch Logs filter-pattern language: parse, validate and evaluate patterns.

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

Semantics: the rules table below. Its evidence ranks AWS's own recorded answers
(../shared/reference/aws-observed-filter-results.json, cited as `aws-N`, N the 0-based index of
the case; tests/test_aws_observed.py runs them all) above AWS's documentation, and the
documentation above ../shared/reference/filter-patterns.md; where neither decides, the choice
made here is marked "our choice". The table is data in `trailwatch.patterns.rules` (`RULES`);
tests/semantics/*.json pin every rule with at least one case (tests/test_semantics.py), and
README.md ("Filter-pattern semantics") shows the same table.

Rules
- kind.first-character
  First non-blank character decides the kind: `{` JSON, `[` space-delimited, else terms.
  Evidence: AWS recorded answers aws-000, aws-147, aws-675; our choice: blanks before the `{` or
  `[` are ignored
- kind.json-needs-object
  A JSON pattern matches only events that are JSON objects; any other line matches nothing.
  Evidence: AWS recorded answers aws-176, aws-177, aws-178, aws-467
- kind.record-as-text
  Term and space-delimited patterns read a decoded record as its compact JSON text.
  Evidence: our choice: a caller that already decoded a record gets the answer its one-line JSON
  would get
- limit.length
  A pattern has at most 1,024 characters.
  Evidence: AWS documentation: "filterPattern ... Length Constraints: Minimum length of 0.
  Maximum length of 1024."
- limit.regexes
  A pattern holds at most two regular expressions.
  Evidence: AWS recorded answer aws-718; AWS documentation: "There is a limit of 2 regex for
  each filter pattern"
- limit.nesting
  Parentheses nest at most 100 deep.
  Evidence: our choice: deeper than any real pattern; keeps the parser's recursion bounded
- term.substring
  A term matches as a case-sensitive substring anywhere in the event.
  Evidence: AWS recorded answers aws-008, aws-004, aws-058, aws-010
- term.all-plain
  Every plain term must appear, in any order.
  Evidence: AWS documentation: "You can specify multiple terms in a metric filter pattern, but
  all terms must appear in a log event for there to be a match."
- term.exclude
  A `-` term must not appear.
  Evidence: AWS recorded answers aws-073, aws-072
- term.optional
  With no plain terms, at least one `?` term must appear.
  Evidence: AWS recorded answers aws-020, aws-021, aws-026
- term.optional-beside-plain
  Next to plain terms, `?` terms change nothing: the plain and `-` terms decide.
  Evidence: AWS recorded answers aws-039, aws-041, aws-049; the documentation disagrees: the AWS
  CDK writes anyTermGroup([ERROR, MainThread], [WARN, Deadlock]) as `?"ERROR" "MainThread"
  ?"WARN" "Deadlock"` and documents it as (ERROR and MainThread) or (WARN and Deadlock); AWS's
  answers make that pattern need MainThread and Deadlock
- term.quoted-phrase
  A quoted term is one phrase, spaces included; `\"` and `\\` escape inside it.
  Evidence: AWS recorded answers aws-073, aws-072; our choice: the escapes
- term.unquoted-characters
  Unquoted terms are letters, digits and `_`; a term with anything else must be quoted.
  Evidence: AWS recorded answer aws-090; AWS documentation: "Metric filter terms that include
  characters other than alphanumeric or underscore must be placed inside double quotes ("")."
- term.unclosed-quote
  A quote that is not closed is a syntax error.
  Evidence: AWS recorded answer aws-091
- term.blank-matches-all
  An empty pattern, or one of blank quoted terms (`""`, `" "`), matches every event.
  Evidence: AWS documentation: "To return all log events, specify a filter pattern of ""."; our
  choice: blank quoted terms constrain nothing, so they are dropped
- term.regex
  A `%regex%` term matches when the regex finds a match anywhere in the event.
  Evidence: AWS recorded answers aws-103, aws-109, aws-113
- regex.characters
  A regex takes only ASCII letters, digits, `:_#=@/;,-` and `^$?[]{}|\*+.`.
  Evidence: AWS recorded answers aws-143, aws-144, aws-145; AWS documentation: "The ( and )
  operators are not supported. You cannot use parentheses to define a subpattern. Multi-byte
  characters are not supported."
- regex.escapes
  Backslash escapes work in a regex: `\x21` finds a `!` that cannot be written.
  Evidence: AWS recorded answers aws-103, aws-104
- regex.must-compile
  A regex that does not compile is a syntax error.
  Evidence: AWS recorded answer aws-146
- regex.search
  A regex searches: it matches anywhere unless `^`/`$` anchor it.
  Evidence: AWS recorded answers aws-103, aws-140, aws-141
- regex.java-flavour
  `\d`, `\w`, `\s` are ASCII-only and `^`/`$` anchor the whole text, not its lines.
  Evidence: our choice: Java's defaults, which AWS's engine is assumed to use
- json.string-exact
  A string value matches case-sensitively and the whole value.
  Evidence: AWS recorded answers aws-357, aws-358, aws-359, aws-319
- json.string-vs-number
  A string value also compares with a JSON number, through its text: `= "1"` matches 1.
  Evidence: AWS recorded answers aws-315, aws-347, aws-335
- json.number-text
  A number's text is its digits if integral, else Java's Double.toString (1.0, 1e0: `1.0`).
  Evidence: AWS recorded answers aws-316, aws-317; our choice: beyond what aws-316/aws-317 show
  (1.0 and 1e0 are not `1`), the canonical Java form rather than the text as written, so a
  decoded record and its line agree
- json.string-not-boolean
  A string value never matches a boolean or null: `= true` matches only the string `true`.
  Evidence: AWS recorded answers aws-534, aws-536, aws-342, aws-340
- json.not-equal
  `!=` with a string value holds for a string or number whose text differs, nothing else.
  Evidence: AWS recorded answers aws-346, aws-356, aws-360, aws-339, aws-343
- json.missing
  A missing field matches neither `=` nor `!=`.
  Evidence: AWS recorded answers aws-339, aws-307, aws-147
- json.container
  A selector at an object or an array matches no comparison, `= *` and `!=` included.
  Evidence: AWS recorded answers aws-361, aws-362, aws-363, aws-585, aws-203; AWS documentation:
  "The SELECTOR must point to a value node (string or number) in the JSON. If it points to an
  array or object, the filter will not be applied"
- json.present
  `= *` matches any string (even empty) or number; not booleans, null, objects, arrays.
  Evidence: AWS recorded answers aws-566, aws-567, aws-584, aws-570, aws-564, aws-563
- json.not-present
  `!= *` matches nothing.
  Evidence: our choice: the negation of `= *` restricted to value nodes is empty
- json.wildcard-ends
  `*` at the start and/or end of a value matches any text there, none included.
  Evidence: AWS documentation: "*Event will match PutEvent and GetEvent. Event* will match
  EventId and EventName."; our choice: `*X` also matches exactly `X` (the catalog relies on it)
- json.wildcard-middle
  A `*` elsewhere in a value is a literal character.
  Evidence: AWS documentation: "Ev*ent will only match the actual string Ev*ent."
- json.question-mark-literal
  `?` in a value is a literal character, not a wildcard.
  Evidence: AWS recorded answers aws-397, aws-396
- json.empty-string
  `= ""` matches only the empty string.
  Evidence: AWS recorded answers aws-424, aws-403, aws-410, aws-404
- json.unquoted-values
  Unquoted values of letters, digits, `.-_:/*` are strings unless they read as numbers.
  Evidence: AWS recorded answer aws-536; AWS documentation: "Strings that consist entirely of
  alphanumeric characters do not need to be quoted."; our choice: dots, dashes, colons and
  slashes too, as AWS's own CloudTrail patterns use them
- json.quoted-escapes
  In quoted values `\"` and `\\` are escapes; any other backslash stays as written.
  Evidence: our choice: the documented escapes only
- json.number-equality
  `=` with a number holds for JSON numbers of that value and strings spelled like it.
  Evidence: AWS recorded answers aws-251, aws-252, aws-253, aws-254; AWS documentation: "Strings
  that consist entirely of alphanumeric characters do not need to be quoted."; our choice: an
  unquoted number is also the unquoted string it spells, compared by that text (aws-254: `=
  1e+0` does not match `"1"`), so `= 123456789012` matches an account ID
- json.number-not-equal
  `!=` with a number holds for JSON numbers of another value and strings spelled otherwise.
  Evidence: our choice: the negation of `=` over the same values, as `!=` with a string value
  (aws-346)
- json.number-ordering
  `<`, `>`, `<=`, `>=` need a number value and hold only for JSON numbers.
  Evidence: AWS recorded answers aws-154, aws-158, aws-715, aws-190
- json.number-syntax
  Number values take a sign, decimals and an exponent: `-1`, `1.5`, `1e+0`, `+1000`.
  Evidence: AWS recorded answers aws-251, aws-288; AWS documentation: "An integer with an
  optional + or - sign, a decimal with an optional + or - sign, or a number in scientific
  notation"
- json.booleans-not-numbers
  Booleans are not numbers: `true`/`false` match no numeric test.
  Evidence: AWS recorded answers aws-151, aws-246, aws-182
- json.duplicate-keys
  When a member name repeats in an event, its last value counts.
  Evidence: AWS recorded answers aws-335, aws-334, aws-239, aws-238
- json.regex-value
  A `%regex%` value searches strings and numbers' text; `!=` holds where it finds nothing.
  Evidence: AWS recorded answers aws-452, aws-454, aws-455, aws-453; our choice: numbers through
  their text, as string values; `!=` as for string values
- json.is-null
  `IS NULL` holds when the field is present and JSON null.
  Evidence: AWS documentation: "This will only be true is the specified object is set to null."
- json.is-true-false
  `IS TRUE`/`IS FALSE` hold for JSON booleans only, not strings or numbers.
  Evidence: AWS recorded answers aws-502, aws-503, aws-504, aws-507
- json.not-exists
  `NOT EXISTS` holds only when the selector leads nowhere; a null field exists.
  Evidence: AWS recorded answers aws-467, aws-468, aws-667, aws-669, aws-488
- json.no-other-keywords
  `EXISTS`, `IS NOT` and `AND` are not part of the language.
  Evidence: AWS recorded answers aws-711, aws-712, aws-713
- json.keywords-upper-case
  The keywords `IS`, `NULL`, `TRUE`, `FALSE`, `NOT`, `EXISTS` are upper-case only.
  Evidence: our choice: as AWS documents them
- json.precedence
  `&&` binds tighter than `||`; parentheses group.
  Evidence: AWS recorded answers aws-656, aws-658, aws-655; AWS documentation: "Parenthesis are
  allowed and the syntax follows standard order of operations () > && > ||."
- json.grammar
  `{ }` holds conditions joined by `&&`, `||` and parentheses; spacing is free.
  Evidence: AWS recorded answers aws-713, aws-645; AWS documentation: "The metric filter must be
  enclosed in curly braces { }, to indicate this is a JSON expression."
- json.needs-selector
  Every condition starts with a `$.` selector: `{ "v": [1] }` is a syntax error.
  Evidence: AWS recorded answer aws-714
- selector.names
  `$.a.b` walks member names (letters, digits, `-`, `_`); a dot always separates two names.
  Evidence: AWS recorded answers aws-606, aws-605, aws-611
- selector.index
  `[N]` selects element N of an array; on anything else, or past the end, it leads nowhere.
  Evidence: AWS documentation: "If arrayKey is not an array this will be false."; our choice: an
  index on an object with digit keys leads nowhere too
- selector.not-jsonpath
  `$..` (recursive descent) and negative indexes are syntax errors.
  Evidence: AWS recorded answers aws-716, aws-717; our choice: slices, unions and filters
  likewise
- selector.bracket-name
  `['name']` selects a member by any name, dots included: `$.['cluster.name']`.
  Evidence: AWS recorded answers aws-595, aws-596, aws-604; our choice: `["name"]` too, with `\`
  escaping the quote
- selector.wildcard-index
  `[*]` selects every element of an array or member value of an object; none of a scalar.
  Evidence: AWS recorded answers aws-615, aws-618, aws-619, aws-621, aws-623
- selector.wildcard-member
  `.*` selects like `[*]`: every member value or element, without flattening arrays.
  Evidence: AWS recorded answers aws-629, aws-630, aws-625, aws-632
- selector.wildcard-any
  A condition on a wildcard selector holds when it holds for one selected value.
  Evidence: AWS recorded answers aws-616, aws-622, aws-617
- selector.wildcard-each-condition
  Each condition picks its own value: `$.i[*].a = 1 && $.i[*].b = 2` may use two elements.
  Evidence: AWS recorded answers aws-635, aws-642, aws-636
- selector.wildcard-not-exists
  On a wildcard selector `NOT EXISTS` holds when it selects nothing.
  Evidence: our choice: the reading of `NOT EXISTS` that agrees with `selector.wildcard-any`
- selector.no-flattening
  A name step on an array, a string or null leads nowhere: arrays are not searched.
  Evidence: AWS recorded answers aws-673, aws-667, aws-672
- space.whitespace
  Fields are separated by runs of spaces or tabs.
  Evidence: AWS recorded answers aws-679, aws-680
- space.grouping
  `"..."` and `[...]` make one field each, given without their quotes or brackets.
  Evidence: AWS recorded answers aws-675, aws-709; AWS documentation: "The characters between a
  pair of square brackets [] or two double quotes ("") are treated as a single field."
- space.unclosed
  An unclosed quote or bracket runs to the end of the line.
  Evidence: AWS recorded answer aws-710; our choice: the field's text is the rest of the line
  without the opening quote
- space.too-few-fields
  A line with fewer fields than the pattern names does not match.
  Evidence: AWS recorded answers aws-684, aws-708, aws-681
- space.last-field-takes-rest
  The last field takes the rest of the line, as written, when more fields follow.
  Evidence: AWS recorded answers aws-679, aws-705; our choice: its text then keeps the quotes
  and spaces of the line; the documentation disagrees: [w1=ERROR, w2] is said to match `ERROR
  message` but not `ERROR WARN message`
- space.ellipsis
  `...` stands for any number of fields (none included) between the fields around it.
  Evidence: AWS documentation: "In cases where you don't know the number of fields, you can use
  shorthand notification using an ellipsis (…)."; our choice: fields before it test the first
  fields of the line, fields after it the last
- space.one-ellipsis
  A pattern holds at most one `...`.
  Evidence: AWS recorded answer aws-719
- space.string-test
  A string value tests the field's text with the JSON wildcards; `= *` matches any field.
  Evidence: AWS documentation: "For string fields, you can use = or != operators with an
  asterisk (*)."
- space.number-test
  A number value tests the field read as a number; a non-number field fails every one.
  Evidence: AWS documentation: "For numeric fields, you can use the >, <, >=, <=, =, and !=
  operators."; our choice: a field that is not a number matches no numeric test, `!=` included
- space.regex-test
  A `%regex%` value searches the field's text.
  Evidence: AWS recorded answers aws-687, aws-690, aws-692
- space.joined-conditions
  `&&` and `||` join tests on one field, `&&` first; the name may be repeated or left out.
  Evidence: AWS documentation: "[ip, user, username, timestamp, request, status_code = 4* &&
  status_code != 403, bytes]"; our choice: leaving the name out; naming another field is a
  syntax error
- space.field-names
  Field names are letters, digits and `_`, not starting with a digit; `[]` is invalid.
  Evidence: our choice: the names AWS's examples use

Performance
- Patterns compile to closures; `$.x = A || $.x = B || ...` chains become one frozenset lookup
  with the same semantics. A selector used in several places is resolved once per record, and
  `compile_many` shares selector resolution across patterns. Wildcard selectors resolve to the
  tuple of values they select; records without wildcard patterns never pay for them.
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
