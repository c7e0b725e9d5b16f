"""`replay --engine athena` gives the Python engine's answers, without an AWS account.

- The SQL: the Trino query over the CloudTrail table AWS documents, transpiled by sqlglot to
  DuckDB and run on that table built from the shared samples and the catalog's samples
  (`tests.athena_table`): the same records, matches and alarm periods for every event, also
  with the partitions and times pruned.
- The plumbing: boto3 against the emulator's Athena (moto on 127.0.0.1), which runs no query:
  its results are seeded with the rows the DuckDB run gave, and the CLI's JSON must then be the
  Python engine's; cancel, Ctrl-C and API errors end as they should.
"""

from __future__ import annotations

import json
import urllib.request
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest

from tests.athena_table import DATABASE, TABLE, cloudtrail_table, ddl_columns, run_athena_sql
from tests.corpus import catalog_samples
from tests.helpers import missing_tool
from tests.test_json_schema import REPLAY_KEYS
from trailwatch.cli import main
from trailwatch.errors import AthenaError
from trailwatch.replay import replay, synthetic
from trailwatch.replay.records import ReadStats
from trailwatch.replay.sql.athena_client import AthenaRunner, QueryStatus, query_cost_usd
from trailwatch.replay.sql.athena_engine import athena_sql
from trailwatch.replay.sql.athena_query import Window, athena_query
from trailwatch.replay.sql.athena_schema import CLOUDTRAIL_FIELDS, AthenaSchema
from trailwatch.replay.sql.compiler import SqlUnsupported, compile_condition
from trailwatch.replay.sql.duckdb_engine import replay_result
from trailwatch.spec.model import Deployment, load_deployment
from trailwatch.tooling.emulator import Emulator, moto_available

QUOTED_TABLE = f'"{DATABASE}"."{TABLE}"'


@pytest.fixture(scope="module")
def deployment() -> Deployment:
    return load_deployment(None)


def outcomes(document: dict[str, Any]) -> tuple[Any, ...]:
    return document["records"], document["matches"], document["alarms"]


def athena_rows(
    records: list[dict[str, Any]], deployment: Deployment, workdir: Path, window: Window
) -> list[tuple[Any, ...]]:
    con = cloudtrail_table(records, workdir)
    return run_athena_sql(con, athena_query(deployment.alarms, QUOTED_TABLE, window))


def athena_answer(
    records: list[dict[str, Any]], deployment: Deployment, workdir: Path, window: Window
) -> dict[str, Any]:
    rows = athena_rows(records, deployment, workdir, window)
    return replay_result(deployment.alarms, rows, ReadStats(), 0.0, engine="athena").to_json()


def python_answer(records: list[dict[str, Any]], deployment: Deployment, path: Path) -> Any:
    synthetic.write_jsonl(path, iter(records))
    return replay([path], deployment).to_json()


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


def test_cost_is_athenas_price_with_its_10_mb_minimum() -> None:
    assert query_cost_usd(0) == 0.0
    assert query_cost_usd(1) == pytest.approx(10e6 / 1e12 * 5)
    assert query_cost_usd(1_500_000_000_000) == pytest.approx(7.5)


def test_a_failed_query_is_one_line_naming_it_and_athenas_reason() -> None:
    # The shape of AWS's GetQueryExecution answer for a failed query (moto never fails one).
    response = {
        "QueryExecution": {
            "QueryExecutionId": "q-1",
            "Status": {
                "State": "FAILED",
                "StateChangeReason": "TABLE_NOT_FOUND: line 9:8: Table 'db.t' does not exist",
            },
            "Statistics": {"DataScannedInBytes": 0},
        }
    }
    with pytest.raises(AthenaError, match=r"^athena: query q-1 FAILED: TABLE_NOT_FOUND.*exist$"):
        QueryStatus.from_response(response).check()


# --- the plumbing, against the emulator --------------------------------------------------


@pytest.fixture(scope="module")
def emulator() -> Iterator[Emulator]:
    if not moto_available():
        missing_tool("moto[server] is not installed (make install)")
    with Emulator() as started:
        yield started


def _post(emulator: Emulator, path: str, body: dict[str, Any]) -> None:
    request = urllib.request.Request(
        emulator.endpoint_url + path, data=json.dumps(body).encode(), method="POST"
    )
    with urllib.request.urlopen(request, timeout=10) as answer:
        assert answer.status < 300


def seed_results(emulator: Emulator, rows: list[tuple[Any, ...]]) -> None:
    """Queue Athena's answer to the next query, as Athena writes it: a header row, then
    every cell as a string and SQL NULL as a cell without a value."""
    header = ["ev", "start", "odd_time", "n", "incomplete", "first_time", "last_time"]
    cells = [[{"VarCharValue": h} for h in header]]
    cells += [[{} if v is None else {"VarCharValue": str(v)} for v in row] for row in rows]
    result = {"rows": [{"Data": c} for c in cells], "column_info": []}
    _post(emulator, "/moto-api/static/athena/query-results", {"results": [result]})


def athena_client(emulator: Emulator) -> Any:
    from trailwatch.cli.replay_athena import athena_client

    return athena_client(emulator.endpoint_url)


def test_the_cli_sends_the_query_and_reads_athenas_rows_as_the_python_engine_answers(
    emulator: Emulator,
    shared_samples_dir: Path,
    deployment: Deployment,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    emulator.reset()
    rows = athena_rows(synthetic.load_samples(shared_samples_dir), deployment, tmp_path, Window())
    seed_results(emulator, rows)
    client = athena_client(emulator)
    client.create_work_group(Name="replay")
    monkeypatch.setenv("TRAILWATCH_ENDPOINT_URL", emulator.endpoint_url)
    args = ["replay", "--engine", "athena", "--json", "--database", DATABASE, "--table", TABLE]
    args += ["--workgroup", "replay", "--output", "s3://results-bucket/replay/"]
    assert main(args) == 0
    out, err = capsys.readouterr()
    answer = json.loads(out)
    python = replay([shared_samples_dir], deployment).to_json()
    assert outcomes(answer) == outcomes(python) and answer["engine"] == "athena"
    assert set(answer) == REPLAY_KEYS
    assert "SUCCEEDED" in err and "bytes: about USD 0.0000 (USD 5 per TB" in err
    (query_id,) = client.list_query_executions(WorkGroup="replay")["QueryExecutionIds"]
    sent = client.get_query_execution(QueryExecutionId=query_id)["QueryExecution"]
    assert sent["Query"] == athena_sql(deployment, DATABASE, TABLE, Window())
    assert sent["QueryExecutionContext"] == {"Database": DATABASE}
    assert sent["ResultConfiguration"]["OutputLocation"].startswith("s3://results-bucket/replay/")


def test_ctrl_c_stops_the_query_and_is_passed_on(emulator: Emulator) -> None:
    emulator.reset()
    client = athena_client(emulator)
    seen: list[QueryStatus] = []

    def interrupt(status: QueryStatus) -> None:
        seen.append(status)
        raise KeyboardInterrupt

    runner = AthenaRunner(client, database=DATABASE, on_status=interrupt, poll_seconds=0)
    query_id = runner.start("SELECT 1")
    with pytest.raises(KeyboardInterrupt):
        runner.wait(query_id)
    assert [s.query_id for s in seen] == [query_id]
    state = client.get_query_execution(QueryExecutionId=query_id)["QueryExecution"]["Status"]
    assert state["State"] == "CANCELLED"


def test_a_query_cancelled_elsewhere_is_one_line_and_exit_2(emulator: Emulator) -> None:
    emulator.reset()
    client = athena_client(emulator)
    _post(
        emulator,
        "/moto-api/state-manager/set-transition",
        {"model_name": "athena::execution", "transition": {"progression": "manual", "times": 5}},
    )
    states: list[str] = []

    def cancel_elsewhere(status: QueryStatus) -> None:
        states.append(status.state)
        if len(states) == 1:
            client.stop_query_execution(QueryExecutionId=status.query_id)

    runner = AthenaRunner(client, database=DATABASE, on_status=cancel_elsewhere, poll_seconds=0)
    try:
        with pytest.raises(AthenaError, match=r"^athena: query \S+ was CANCELLED"):
            runner.run("SELECT 1")
    finally:
        _post(
            emulator,
            "/moto-api/state-manager/set-transition",
            {"model_name": "athena::execution", "transition": {"progression": "immediate"}},
        )
    assert states[0] in ("QUEUED", "RUNNING") and states[-1] == "CANCELLED"


def test_athena_refusing_the_request_is_one_line_and_exit_2(
    emulator: Emulator, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    emulator.reset()
    monkeypatch.setenv("TRAILWATCH_ENDPOINT_URL", emulator.endpoint_url)
    args = ["replay", "--engine", "athena", "--database", DATABASE, "--workgroup", "nope"]
    assert main(args) == 2
    err = capsys.readouterr().err
    assert err == (
        "trailwatch: athena: StartQueryExecution: InvalidRequestException: "
        "WorkGroup does not exist\n"
    )


@pytest.mark.parametrize(
    ("extra", "message"),
    [
        (["--engine", "athena", "--database", "db", "some/path"], "drop the PATHs"),
        (["--engine", "athena"], "needs --database"),
        (["--engine", "athena", "--database", "db", "--accounts", "12"], "12-digit"),
        (["--engine", "athena", "--database", "db", "--since", "yesterday"], "--since"),
        (["--engine", "athena", "--database", "d;b"], "--database"),
        (["--engine", "athena", "--database", "db", "--output", "bucket/x"], "not an S3 location"),
        (["--engine", "athena", "--database", "db", "--regions", "mars"], "not a region name"),
        (["--engine", "duckdb", "--since", "2024-01-01", "x"], "is for --engine athena"),
        ([], "at least one PATH"),
    ],
)
def test_bad_athena_options_are_one_line_and_exit_2(
    extra: list[str], message: str, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["replay", *extra]) == 2
    err = capsys.readouterr().err
    assert message in err and err.count("\n") == 1


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


def test_an_event_the_table_cannot_tell_stops_the_replay_before_any_query(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    events = tmp_path / "events"
    events.mkdir()
    (events / "lower.yaml").write_text(
        "id: lower-case-name\ntitle: t\nseverity: low\ndescription: d\n"
        "pattern: '{ $.eventname = ConsoleLogin }'\nmetric_name: LowerCount\n"
        "alarm_name: LowerAlarm\nalarm: {threshold: 1}\nno_samples_reason: a test\n"
    )
    config = tmp_path / "trailwatch.yaml"
    config.write_text(
        "targets: [{name: one, region: us-east-1}]\nevent_directories: [events]\n"
        "notifications: {emails: [a@example.com]}\n"
    )
    code = main(["replay", "--engine", "athena", "--config", str(config), "--database", "db"])
    assert code == 2
    err = capsys.readouterr().err
    assert err.startswith("trailwatch: event 'lower-case-name': ") and "$.eventname" in err
    assert err.count("\n") == 1
