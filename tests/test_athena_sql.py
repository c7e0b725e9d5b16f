"""`replay --engine athena`'s SQL gives the Python engine's answers, without an AWS account.

The Trino query over the CloudTrail table AWS documents, transpiled by sqlglot to DuckDB and run
on that table built from records (`tests.athena_table`): the shared samples, the catalog's
samples and 200,000 generated records give the same records, matches and alarm periods for every
event, also with the partitions and times pruned; every semantics and AWS case agrees inside a
JSON column; what the table cannot tell is refused naming the event and the construct.
"""

from __future__ import annotations

import json
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest

from tests.athena_table import (
    QUOTED_TABLE,
    athena_answer,
    cloudtrail_table,
    ddl_columns,
    outcomes,
    python_answer,
    run_athena_sql,
)
from tests.corpus import catalog_samples
from trailwatch.replay import replay, synthetic
from trailwatch.replay.sql.athena_query import Window
from trailwatch.replay.sql.athena_schema import CLOUDTRAIL_FIELDS, AthenaSchema
from trailwatch.replay.sql.compiler import SqlUnsupported, compile_condition
from trailwatch.spec.model import Deployment, load_deployment


@pytest.fixture(scope="module")
def deployment() -> Deployment:
    return load_deployment(None)


def test_athena_sql_replays_the_shared_samples_as_python_does(
    shared_samples_dir: Path, deployment: Deployment, tmp_path: Path
) -> None:
    records = synthetic.load_samples(shared_samples_dir)
    athena = athena_answer(records, deployment, tmp_path, Window())
    python = replay([shared_samples_dir], deployment).to_json()
    assert outcomes(athena) == outcomes(python)
    assert python["records"] == 853 and any(python["alarms"].values())


def test_athena_sql_replays_the_catalog_samples_as_python_does(
    deployment: Deployment, tmp_path: Path
) -> None:
    records = catalog_samples()
    athena = athena_answer(records, deployment, tmp_path, Window())
    python = python_answer(records, deployment, tmp_path / "catalog.jsonl")
    assert outcomes(athena) == outcomes(python)
    assert sum(python["matches"].values()) > 50


def test_since_until_accounts_and_regions_read_only_their_records(
    shared_samples_dir: Path, deployment: Deployment, tmp_path: Path
) -> None:
    records = synthetic.load_samples(shared_samples_dir)
    times = sorted(r["eventTime"] for r in records if isinstance(r.get("eventTime"), str))
    since, until = times[len(times) // 4], times[3 * len(times) // 4]
    accounts = [r.get("recipientAccountId") for r in records]
    account = max(set(accounts) - {None}, key=accounts.count)
    regions = ("us-east-1", "eu-west-1")
    window = Window(
        since=datetime.fromisoformat(since),
        until=datetime.fromisoformat(until),
        accounts=(account,),
        regions=regions,
    )
    kept = [
        r
        for r in records
        if isinstance(r.get("eventTime"), str)
        and since <= r["eventTime"] < until
        and r.get("recipientAccountId") == account
        and r.get("awsRegion") in regions
    ]
    athena = athena_answer(records, deployment, tmp_path, window)
    python = python_answer(kept, deployment, tmp_path / "kept.jsonl")
    assert outcomes(athena) == outcomes(python)
    assert 0 < athena["records"] < len(records) // 2


def test_the_schema_knows_exactly_the_ddls_columns_and_fields() -> None:
    def names(kind: Any) -> Any:
        if kind.expressions and kind.this.name == "STRUCT":
            return {f.name: names(f.args["kind"]) for f in kind.expressions}
        if kind.this.name == "ARRAY":
            return [names(kind.expressions[0])]
        return None

    def lowered(fields: Any) -> Any:
        if isinstance(fields, dict):
            return {k.lower(): lowered(v) for k, v in fields.items()}
        if isinstance(fields, list):
            return [lowered(fields[0])]
        return None

    ddl = {c.name: names(c.args["kind"]) for c in ddl_columns()}
    ours = lowered(CLOUDTRAIL_FIELDS)
    # The map's own key: the DDL holds a MAP there, which the schema names so as to refuse it.
    ddl["useridentity"]["sessioncontext"]["webidfederationdata"]["attributes"] = None
    assert ours == ddl


@pytest.mark.parametrize(
    ("pattern", "construct"),
    [
        ("{ $.eventname = ConsoleLogin }", "no column for it"),
        ("{ $.userIdentity.username = bob }", "$.userIdentity.username"),
        ("{ $.requestParameters IS NULL }", "IS NULL"),
        ("{ $.responseElements NOT EXISTS }", "NOT EXISTS"),
        ("{ $.errorCode IS NULL }", "a missing field alike"),
        (
            "{ $.userIdentity.sessionContext.webIdFederationData.attributes.x = 1 }",
            "a map column",
        ),
        ("{ $.requestParameters.bucketName = %^prod% }", "decimal number's text"),
        ("{ $.requestParameters.bucketName = *1.5 }", "decimal number's text"),
        ("{ $.resources[*].ARN = x }", "wildcard selector"),
    ],
)
def test_what_the_table_cannot_tell_is_refused_naming_event_and_construct(
    pattern: str, construct: str
) -> None:
    with pytest.raises(SqlUnsupported) as refused:
        compile_condition("my-event", pattern, AthenaSchema())
    assert "event 'my-event'" in str(refused.value) and construct in str(refused.value)


# Records whose values the columns keep in each way: struct fields, the resources array, a
# boolean column, and every JSON type inside a JSON column.
TYPED_RECORDS: list[dict[str, Any]] = [
    {
        "eventTime": "2024-01-01T00:00:00Z",
        "eventName": "GetObject",
        "eventSource": "s3.amazonaws.com",
        "readOnly": True,
        "userIdentity": {"type": "AssumedRole", "sessionContext": {"attributes": {}}},
        "resources": [{"ARN": "arn:aws:s3:::prod-logs", "type": "AWS::S3::Bucket"}],
        "requestParameters": {"max": 5, "ratio": 0.5, "flag": True, "gone": None, "list": [1]},
    },
    {
        "eventTime": "2024-01-01T00:01:00Z",
        "eventName": "PutObject",
        "eventSource": "s3.amazonaws.com",
        "readOnly": False,
        "userIdentity": {
            "type": "IAMUser",
            "sessionContext": {"attributes": {"mfaAuthenticated": "true"}},
        },
        "resources": [],
        "requestParameters": {"max": "5", "ratio": 10000000000000000000000, "flag": "true"},
    },
    {"eventTime": "2024-01-01T00:02:00Z", "eventName": "ListBuckets", "requestParameters": None},
]
TYPED_PATTERNS = [
    "{ $.readOnly IS TRUE }",
    "{ $.readOnly IS FALSE }",
    "{ $.resources[0].ARN = *prod* }",
    "{ $.resources[0].type = AWS::S3::Bucket && $.resources[1].ARN NOT EXISTS }",
    '{ $.userIdentity.sessionContext.attributes.mfaAuthenticated = "true" }',
    "{ $.userIdentity.sessionContext.attributes.mfaAuthenticated NOT EXISTS }",
    "{ $.requestParameters.max = 5 }",
    '{ $.requestParameters.max = "5" }',
    "{ $.requestParameters.max > 4 }",
    "{ $.requestParameters.ratio < 1 }",
    "{ $.requestParameters.ratio > 1e21 }",
    "{ $.requestParameters.ratio = 0.5 }",
    "{ $.requestParameters.flag IS TRUE }",
    "{ $.requestParameters.gone IS NULL }",
    "{ $.requestParameters.gone NOT EXISTS }",
    "{ $.requestParameters.list[0] = 1 }",
    "{ $.requestParameters.max != 6 }",
    "{ $.userIdentity.type = %^IAM% }",
    "{ $.eventName = %Object$% }",
]


def test_every_kind_of_column_compares_as_the_engine_does(tmp_path: Path) -> None:
    from trailwatch.patterns import compile_pattern

    schema = AthenaSchema()
    conditions = [compile_condition(f"p{i}", p, schema) for i, p in enumerate(TYPED_PATTERNS)]
    answers = ", ".join(f"coalesce({c}, false)" for c in conditions)
    sql = f"SELECT eventtime, {answers} FROM (SELECT {schema.select_list()}, eventtime FROM "
    sql += f"{QUOTED_TABLE}) ORDER BY eventtime"
    got = [list(row[1:]) for row in run_athena_sql(cloudtrail_table(TYPED_RECORDS, tmp_path), sql)]
    expected = [[compile_pattern(p).matches(r) for p in TYPED_PATTERNS] for r in TYPED_RECORDS]
    assert got == expected
    assert all(any(column) for column in zip(*expected, strict=True))


@pytest.mark.scale
def test_athena_sql_replays_200k_generated_records_as_python_does(
    shared_samples_dir: Path, deployment: Deployment, tmp_path: Path
) -> None:
    samples = synthetic.load_samples(shared_samples_dir)
    # Unperturbed: CloudTrail's own shapes. A perturbed set puts numbers, nulls and objects in
    # STRING columns, which the table keeps otherwise (see the test below).
    records = list(synthetic.records(samples, 200_000, perturbed=False))
    athena = athena_answer(records, deployment, tmp_path, Window())
    python = python_answer(records, deployment, tmp_path / "generated.jsonl")
    assert outcomes(athena) == outcomes(python)
    assert python["records"] == 200_000


def test_a_null_in_a_string_column_reads_as_missing_there_as_the_table_keeps_it(
    deployment: Deployment, tmp_path: Path
) -> None:
    """The documented difference: CloudTrail never writes a JSON null for `invokedBy`; where
    one is, the column holds NULL, so `NOT EXISTS` holds in Athena and not in the engine."""
    root = {
        "eventTime": "2024-01-01T00:00:00Z",
        "eventName": "GetBucketAcl",
        "eventSource": "s3.amazonaws.com",
        "eventType": "AwsApiCall",
        "userIdentity": {"type": "Root", "invokedBy": None},
    }
    athena = athena_answer([root], deployment, tmp_path, Window())
    python = python_answer([root], deployment, tmp_path / "root.jsonl")
    assert (athena["matches"]["root-account-usage"], python["matches"]["root-account-usage"]) == (
        1,
        0,
    )
    del root["userIdentity"]["invokedBy"]
    again = python_answer([root], deployment, tmp_path / "root2.jsonl")
    assert again["matches"]["root-account-usage"] == 1


def test_window_prunes_the_projected_partitions() -> None:
    window = Window(
        since=datetime(2024, 1, 31, 12, tzinfo=UTC),
        until=datetime(2024, 2, 1, tzinfo=UTC),
        accounts=("111122223333",),
        regions=("eu-west-1",),
    )
    assert window.where() == (
        "account IN ('111122223333') AND region IN ('eu-west-1') AND "
        "\"timestamp\" >= '2024/01/31' AND eventtime >= '2024-01-31T12:00:00Z' AND "
        "\"timestamp\" <= '2024/02/02' AND eventtime < '2024-02-01T00:00:00Z'"
    )


class UnderRequestParameters(AthenaSchema):
    """The table's schema with every selector read inside `requestParameters`."""

    def value(self, path: Any) -> Any:
        return super().value(("requestParameters", *path))


def test_every_semantics_and_aws_case_agrees_inside_a_json_column(tmp_path: Path) -> None:
    """Each case's record as the `requestParameters` of a record, its selectors read there:
    JSON types, numbers, nulls and arrays through Trino's JSON functions as the engine reads
    them, or refused naming the construct."""
    from tests.corpus import pattern_cases
    from tests.test_sql_engines import repeats_a_key
    from trailwatch.patterns import compile_pattern

    schema = UnderRequestParameters()
    conditions: list[tuple[str, str, bool]] = []
    refused: list[str] = []
    records: list[dict[str, Any]] = []
    for case_id, pattern, record in pattern_cases():
        try:
            text = json.dumps(record, allow_nan=False)
        except ValueError:
            continue  # NaN and Infinity are not JSON: no SerDe reads them
        if repeats_a_key(text):
            continue  # which of a repeated name's values a JSON reader keeps varies
        try:
            condition = compile_condition(case_id, pattern, schema)
        except SqlUnsupported as err:
            refused.append(err.construct)
            continue
        records.append({"eventID": str(len(records)), "requestParameters": record})
        conditions.append((case_id, condition, compile_pattern(pattern).matches(record)))
    answers = ", ".join(f"coalesce({c}, false)" for _, c, _e in conditions)
    sql = f"SELECT eventid, {answers} FROM (SELECT eventid, {schema.select_list()} "
    sql += f"FROM {QUOTED_TABLE})"
    rows = run_athena_sql(cloudtrail_table(records, tmp_path), sql)
    wrong = []
    for row in rows:
        i = int(row[0])
        case_id, _c, expected = conditions[i]
        if row[1 + i] is not expected:
            wrong.append((case_id, expected, row[1 + i]))
    assert wrong == [] and len(rows) == len(conditions) > 700
    kinds = ("the wildcard selector", "a term pattern", "a space-delimited", "a text match")
    kinds += ("the selector name",)
    assert [c for c in refused if not c.startswith(kinds)] == []


def _element_at_indexes(sql: str) -> list[str]:
    """The index argument (the last, at the call's own depth) of every `element_at(...)`."""
    indexes = []
    start = sql.find("element_at(")
    while start != -1:
        depth, args, current = 0, [], ""
        for char in sql[start + len("element_at(") :]:
            if char == ")" and depth == 0:
                break
            if char == "," and depth == 0:
                args.append(current)
                current = ""
                continue
            depth += {"(": 1, ")": -1}.get(char, 0)
            current += char
        indexes.append(current.strip())
        start = sql.find("element_at(", start + 1)
    return indexes


def test_no_element_at_index_can_be_0(deployment: Deployment) -> None:
    # Trino's element_at fails on index 0 (arrays are 1-based): every index is a positive
    # literal, or the period lookup kept off 0 for the records' row (ev -1).
    from tests.corpus import pattern_cases
    from trailwatch.replay.sql.athena_query import athena_query

    sql = [athena_query(deployment.alarms, QUOTED_TABLE, Window())]
    schema = AthenaSchema()
    patterns = [p for _i, p, _r in pattern_cases()]
    patterns += ['{ $.resources[0].arn = "x" }', '{ $.resources[2].accountId = "1" }']
    for pattern in patterns:
        try:
            sql.append(compile_condition("case", pattern, schema))
        except SqlUnsupported:
            continue
    sql.append(schema.select_list())
    indexes = [i for text in sql for i in _element_at_indexes(text)]
    assert "greatest(ev, 0) + 1" in indexes and "1" in indexes and "3" in indexes
    period = "greatest(ev, 0) + 1"
    assert [i for i in indexes if i != period and not (i.isdigit() and int(i) >= 1)] == []
