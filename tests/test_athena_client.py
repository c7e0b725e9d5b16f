"""`replay --engine athena`'s plumbing: boto3 against the emulator's Athena (moto on
127.0.0.1), which runs no query. Its results are seeded with the rows the DuckDB run of the
query gave (`tests.athena_table`), and the CLI's JSON must then be the Python engine's; a query
cancelled elsewhere, Ctrl-C, API errors and bad options end as they should; the cost is
Athena's price.
"""

from __future__ import annotations

import json
import urllib.request
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from tests.athena_table import DATABASE, TABLE, athena_rows, outcomes
from tests.helpers import missing_tool
from tests.test_json_schema import REPLAY_KEYS
from trailwatch.cli import main
from trailwatch.errors import AthenaError
from trailwatch.replay import replay, synthetic
from trailwatch.replay.sql.athena_client import AthenaRunner, QueryStatus, query_cost_usd
from trailwatch.replay.sql.athena_engine import athena_sql
from trailwatch.replay.sql.athena_query import Window
from trailwatch.spec.model import Deployment, load_deployment
from trailwatch.tooling.emulator import Emulator, moto_available

ACCOUNTS = ("111122223333",)


@pytest.fixture(scope="module")
def deployment() -> Deployment:
    return load_deployment(None)


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


def test_result_pages_after_the_first_keep_their_first_row(tmp_path: Path) -> None:
    # A botocore Stubber, not a real part: moto answers get_query_results in one page, and no
    # Athena is reachable here. The pages are the shape AWS documents: the header is the first
    # row of the first page only, and NextToken chains the pages.
    import boto3
    from botocore.stub import Stubber

    def page(values: list[str | None], token: str | None) -> dict[str, Any]:
        rows = [{"Data": [{} if v is None else {"VarCharValue": v}]} for v in values]
        answer: dict[str, Any] = {"ResultSet": {"Rows": rows}}
        return {**answer, "NextToken": token} if token else answer

    session = boto3.Session(
        aws_access_key_id="test", aws_secret_access_key="test", region_name="us-east-1"
    )
    client = session.client("athena")
    with Stubber(client) as stub:
        stub.add_response(
            "get_query_results", page(["ev", "1", "2"], "t1"), {"QueryExecutionId": "q"}
        )
        wanted = {"QueryExecutionId": "q", "NextToken": "t1"}
        stub.add_response("get_query_results", page(["3", None], "t2"), wanted)
        wanted = {"QueryExecutionId": "q", "NextToken": "t2"}
        stub.add_response("get_query_results", page(["4"], None), wanted)
        rows = list(AthenaRunner(client, database=DATABASE).rows("q"))
        stub.assert_no_pending_responses()
    assert rows == [("1",), ("2",), ("3",), (None,), ("4",)]


def test_no_region_names_the_variable_botocore_reads(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from trailwatch.cli.replay_athena import athena_client

    for name in ("AWS_DEFAULT_REGION", "AWS_PROFILE", "AWS_DEFAULT_PROFILE"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("AWS_CONFIG_FILE", str(tmp_path / "no-config"))
    monkeypatch.setenv("AWS_SHARED_CREDENTIALS_FILE", str(tmp_path / "no-credentials"))
    # botocore ignores AWS_REGION: with it set, the session still has no region.
    monkeypatch.setenv("AWS_REGION", "us-east-1")
    with pytest.raises(AthenaError) as raised:
        athena_client(None)
    assert str(raised.value) == (
        "athena: no AWS region: set AWS_DEFAULT_REGION (or the AWS profile's region) to the "
        "region of the table"
    )


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
    args += ["--accounts", ",".join(ACCOUNTS)]
    assert main(args) == 0
    out, err = capsys.readouterr()
    answer = json.loads(out)
    python = replay([shared_samples_dir], deployment).to_json()
    assert outcomes(answer) == outcomes(python) and answer["engine"] == "athena"
    assert set(answer) == REPLAY_KEYS
    assert "SUCCEEDED" in err and "bytes: about USD 0.0000 (USD 5 per TB" in err
    (query_id,) = client.list_query_executions(WorkGroup="replay")["QueryExecutionIds"]
    sent = client.get_query_execution(QueryExecutionId=query_id)["QueryExecution"]
    assert sent["Query"] == athena_sql(deployment, DATABASE, TABLE, Window(accounts=ACCOUNTS))
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
    assert main([*args, "--accounts", ",".join(ACCOUNTS)]) == 2
    err = capsys.readouterr().err
    assert err == (
        "trailwatch: athena: StartQueryExecution: InvalidRequestException: "
        "WorkGroup does not exist\n"
    )


def test_an_empty_window_says_the_query_returned_no_records(
    emulator: Emulator, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    emulator.reset()
    seed_results(emulator, [])
    monkeypatch.setenv("TRAILWATCH_ENDPOINT_URL", emulator.endpoint_url)
    args = ["replay", "--engine", "athena", "--json", "--database", DATABASE]
    assert main([*args, "--accounts", ",".join(ACCOUNTS)]) == 1
    out, err = capsys.readouterr()
    assert json.loads(out)["records"] == 0
    assert err.splitlines()[-1] == (
        "trailwatch: the Athena query returned no records in the window (--since, --until, "
        "--accounts, --regions)"
    )


ATHENA = ["--engine", "athena", "--database", "db", "--accounts", "111122223333"]


@pytest.mark.parametrize(
    ("extra", "message"),
    [
        ([*ATHENA, "some/path"], "drop the PATHs"),
        (["--engine", "athena"], "needs --database"),
        (["--engine", "athena", "--database", "db"], "needs --accounts (ID,...): the table of"),
        (["--engine", "athena", "--database", "db", "--accounts", " , "], "needs --accounts"),
        (["--engine", "athena", "--database", "db", "--accounts", "12"], "12-digit"),
        ([*ATHENA, "--since", "yesterday"], "--since"),
        (["--engine", "athena", "--database", "d;b", "--accounts", "111122223333"], "--database"),
        ([*ATHENA, "--output", "bucket/x"], "not an S3 location"),
        ([*ATHENA, "--regions", "mars"], "not a region name"),
        (["--engine", "duckdb", "--since", "2024-01-01", "x"], "is for --engine athena"),
        ([], "at least one PATH"),
        # Options an engine does not read, refused even at their default value.
        ([*ATHENA, "--jobs", "2"], "--jobs is for --engine python (here: --engine athena)"),
        ([*ATHENA, "--max-record-bytes", "4MiB"], "--max-record-bytes is for --engine python or"),
        ([*ATHENA, "--max-document-bytes", "1GiB"], "--max-document-bytes is for --engine py"),
        (["--engine", "duckdb", "--jobs", "8", "x"], "--jobs is for --engine python (here: --e"),
        (["--table", "foo", "x"], "--table is for --engine athena (here: --engine python)"),
        (["--table", "cloudtrail_logs", "x"], "--table is for --engine athena"),
        (["--engine", "duckdb", "--workgroup", "primary", "x"], "--workgroup is for --engine at"),
    ],
)
def test_bad_athena_options_are_one_line_and_exit_2(
    extra: list[str], message: str, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["replay", *extra]) == 2
    err = capsys.readouterr().err
    assert message in err and err.count("\n") == 1


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
    code = main(["replay", *ATHENA, "--config", str(config)])
    assert code == 2
    err = capsys.readouterr().err
    assert err.startswith("trailwatch: event 'lower-case-name': ") and "$.eventname" in err
    assert err.count("\n") == 1
