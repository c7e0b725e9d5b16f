"""Selector values out of the columns of the CloudTrail table AWS documents, in Trino's SQL.

The table (`athena_ddl`) is read by the CloudTrail SerDe, which matches JSON names to columns
without regard to case and keeps, per column, only a string, a struct of strings or an array of
them. So a selector maps to a column only under the exact name CloudTrail writes
(`$.userIdentity.invokedBy`, never `$.useridentity.invokedby`, which the Python engine would find
missing), and what the column keeps decides what can be compared faithfully:

- a STRING column, or a STRING field of a struct: CloudTrail writes a JSON string there
  (`readOnly`, a boolean, is read back from `true`/`false`); a missing field and a JSON null are
  both SQL NULL, so `IS NULL` is refused;
- `requestParameters`, `responseElements`, `additionalEventData`, `serviceEventDetails`,
  `edgeDeviceDetails`: the JSON text itself, so a selector below them is `json_extract` with its
  JSON type and text as the DuckDB engine reads them, exactly; the column itself is null for a
  JSON null and for a missing field, so `IS NULL` and `NOT EXISTS` on it are refused;
- a struct or `resources` (an array of structs: `$.resources[0].ARN`): by field and position.

Refused too, naming the construct: a name the table has no column for, a selector into the
`webIdFederationData.attributes` map, a text match (`*`, `%regex%`) that could test a decimal
number inside a JSON column (Java's `Double.toString` spelling is not written in Trino here).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from trailwatch.patterns.selectors import Path
from trailwatch.replay.sql.compiler import Unsupported, Value
from trailwatch.replay.sql.dialects import TRINO, quote, trino_regex

_STRING = "string"
_BOOLEAN = "boolean"
_JSON = "json"
_MAP = "map"

_ISSUER = {n: _STRING for n in ("type", "principalId", "arn", "accountId", "userName")}
_USER_IDENTITY: dict[str, Any] = {
    **{n: _STRING for n in ("type", "principalId", "arn", "accountId", "invokedBy", "accessKeyId")},
    "userName": _STRING,
    "onBehalfOf": {"userId": _STRING, "identityStoreArn": _STRING},
    "sessionContext": {
        "attributes": {"mfaAuthenticated": _STRING, "creationDate": _STRING},
        "sessionIssuer": _ISSUER,
        "ec2RoleDelivery": _STRING,
        "webIdFederationData": {"federatedProvider": _STRING, "attributes": _MAP},
    },
}
_STRINGS = [
    "eventVersion",
    "eventTime",
    "eventSource",
    "eventName",
    "awsRegion",
    "sourceIPAddress",
    "userAgent",
    "errorCode",
    "errorMessage",
    "requestID",
    "eventID",
    "eventType",
    "apiVersion",
    "recipientAccountId",
    "sharedEventID",
    "vpcEndpointId",
    "vpcEndpointAccountId",
    "eventCategory",
    "sessionCredentialFromConsole",
]
_JSONS = [
    "requestParameters",
    "responseElements",
    "additionalEventData",
    "serviceEventDetails",
    "edgeDeviceDetails",
]
# The table's columns under the names CloudTrail writes; a column is the name in lower case.
CLOUDTRAIL_FIELDS: dict[str, Any] = {
    **{n: _STRING for n in _STRINGS},
    **{n: _JSON for n in _JSONS},
    "readOnly": _BOOLEAN,
    "userIdentity": _USER_IDENTITY,
    "resources": [{"ARN": _STRING, "accountId": _STRING, "type": _STRING}],
    "addendum": {
        n: _STRING for n in ("reason", "updatedFields", "originalRequestID", "originalEventID")
    },
    "tlsDetails": {n: _STRING for n in ("tlsVersion", "cipherSuite", "clientProvidedHostHeader")},
}

_NULL_OR_MISSING = "the table's column holds a JSON null and a missing field alike"


@dataclass(frozen=True)
class Column:
    """One selector's value in the table: SQL for its type and text, and whether it lies in a
    JSON string (where a decimal's text would have to be spelled in SQL)."""

    type: str
    text: str
    in_json: bool


def _json_path(steps: Path) -> str:
    out = "$"
    for step in steps:
        if isinstance(step, int):
            out += f"[{step}]"
        elif isinstance(step, str) and step and '"' not in step and "\\" not in step:
            out += f'["{step}"]'
        else:
            raise Unsupported(f"the selector name {step!r} (empty, or with a quote or backslash)")
    return out


def _json_value(column: str, steps: Path) -> Column:
    j = f"json_extract({column}, {quote(_json_path(steps))})"
    f = f"json_format({j})"
    kind = (
        f"CASE WHEN {j} IS NULL THEN NULL WHEN {f} = 'null' THEN 'NULL' "
        f"WHEN {f} IN ('true', 'false') THEN 'BOOLEAN' "
        f"WHEN substr({f}, 1, 1) = '\"' THEN 'VARCHAR' WHEN substr({f}, 1, 1) = '{{' THEN 'OBJECT' "
        f"WHEN substr({f}, 1, 1) = '[' THEN 'ARRAY' "
        f"WHEN {TRINO.full_match(f, '-?[0-9]+')} THEN 'BIGINT' ELSE 'DOUBLE' END"
    )
    return Column(kind, f"json_extract_scalar({column}, {quote(_json_path(steps))})", True)


def _resolve(path: Path) -> tuple[Column, str | None, str | None]:
    """The column for a selector, with why `IS NULL` and `NOT EXISTS` cannot be told (if so)."""
    shown = "$" + "".join(f"[{s}]" if isinstance(s, int) else f".{s}" for s in path)
    kind: Any = CLOUDTRAIL_FIELDS
    sql = ""
    for depth, step in enumerate(path):
        if isinstance(kind, dict) and isinstance(step, str) and step in kind:
            sql = f"{sql}.{step.lower()}" if sql else step.lower()
            kind = kind[step]
        elif isinstance(kind, list) and isinstance(step, int):
            sql = f"element_at({sql}, {step + 1})"
            kind = kind[0]
        elif kind == _JSON:
            return _json_value(sql, path[depth:]), None, None
        elif kind == _MAP:
            raise Unsupported(f"the selector {shown} (into a map column)")
        else:
            raise Unsupported(
                f"the selector {shown} (the CloudTrail table has no column for it: columns "
                "take the names CloudTrail writes, such as $.userIdentity.invokedBy)"
            )
    if kind == _STRING:
        return (
            Column(f"CASE WHEN {sql} IS NOT NULL THEN 'VARCHAR' END", sql, False),
            (_NULL_OR_MISSING),
            None,
        )
    if kind == _BOOLEAN:
        typed = (
            f"CASE WHEN {sql} IN ('true', 'false') THEN 'BOOLEAN' "
            f"WHEN {sql} IS NOT NULL THEN 'VARCHAR' END"
        )
        return Column(typed, sql, False), _NULL_OR_MISSING, None
    if kind == _JSON:
        return _json_value(sql, ()), _NULL_OR_MISSING, _NULL_OR_MISSING
    if kind == _MAP:
        raise Unsupported(f"the selector {shown} (a map column)")
    shape = "'ARRAY'" if isinstance(kind, list) else "'OBJECT'"
    typed = f"CASE WHEN {sql} IS NOT NULL THEN {shape} END"
    return Column(typed, "CAST(NULL AS VARCHAR)", False), _NULL_OR_MISSING, None


class AthenaSchema:
    """Selector values from the CloudTrail table's columns, computed once per record as `t<k>`
    (type) and `s<k>` (text) columns, for `compiler.compile_condition`."""

    def __init__(self) -> None:
        self.paths: dict[Path, int] = {}
        self.columns: list[Column] = []

    def value(self, path: Path) -> Value:
        column, no_null, no_exists = _resolve(path)
        if path not in self.paths:
            self.paths[path] = len(self.paths)
            self.columns.append(column)
        k = self.paths[path]
        return Value(
            type=f"t{k}",
            text=f"s{k}",
            dialect=TRINO,
            no_null_check=no_null,
            no_exists_check=no_exists,
        )

    def double_text(self, value: Value) -> str:
        if self.columns[int(value.text[1:])].in_json:
            raise Unsupported(
                "a text match (* or %regex%) that could test a decimal number's text inside a "
                "JSON column"
            )
        return "CAST(NULL AS VARCHAR)"  # a column of strings holds no number

    def regex(self, subject: str, source: str) -> str:
        return f"regexp_like({subject}, {quote(trino_regex(source))})"

    def select_list(self) -> str:
        """`<type> AS t0, <text> AS s0, ...` for every selector compiled so far."""
        return ",\n    ".join(
            f"{c.type} AS t{k}, {c.text} AS s{k}" for k, c in enumerate(self.columns)
        )
