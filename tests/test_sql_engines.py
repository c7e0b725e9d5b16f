"""The SQL engines give the Python engine's answers.

- Every semantics case and every AWS-observed case on a JSON object: the pattern compiled to
  SQL and run by DuckDB on the record agrees with `compile_pattern(...).matches`, or the
  compiler refuses the pattern naming the construct (wildcard selectors only, here).
- The shared samples, the catalog's samples and 200,000 generated records (JSON Lines, gzip, and
  CloudTrail delivery files) replayed with `--engine duckdb` and `--engine python`: the same
  records, matches and alarm periods for every event.
"""

from __future__ import annotations

import gzip
import json
import math
import random
import struct
from pathlib import Path
from typing import Any

import duckdb
import pytest

from tests.corpus import catalog_samples, pattern_cases
from trailwatch.cli import main
from trailwatch.patterns import compile_pattern
from trailwatch.patterns.literals import number_text
from trailwatch.replay import replay, synthetic
from trailwatch.replay.sql.compiler import SqlUnsupported, compile_condition
from trailwatch.replay.sql.dialects import quote
from trailwatch.replay.sql.duckdb_engine import JsonSchema, json_path, replay_duckdb
from trailwatch.spec.model import Deployment, load_deployment

CASES = pattern_cases()


def repeats_a_key(text: str) -> bool:
    """Whether some object in the JSON text holds a member name twice."""
    found = False

    def pairs(items: list[tuple[str, Any]]) -> dict[str, Any]:
        nonlocal found
        found = found or len({k for k, _ in items}) != len(items)
        return dict(items)

    json.loads(text, object_pairs_hook=pairs)
    return found


@pytest.fixture(scope="module")
def deployment() -> Deployment:
    return load_deployment(None)


def test_sql_agrees_with_the_engine_on_every_semantics_and_aws_case() -> None:
    """One query evaluates every case's condition on its own record."""
    schema = JsonSchema()
    conditions: list[tuple[str, str, bool]] = []
    refused: dict[str, str] = {}
    texts: list[str] = []
    for case_id, pattern, record in CASES:
        try:
            text = json.dumps(record, allow_nan=False)
        except ValueError:
            continue  # NaN and Infinity are not JSON: DuckDB's reader refuses the line
        if repeats_a_key(text):
            continue  # DuckDB reads the first of repeated names; CloudTrail never repeats one
        try:
            condition = compile_condition(case_id, pattern, schema)
        except SqlUnsupported as err:
            refused[case_id] = err.construct
            continue
        texts.append(text)
        conditions.append((case_id, condition, compile_pattern(pattern).matches(record)))
    paths = sorted(schema.paths, key=schema.paths.__getitem__)
    extract = ", ".join(quote(json_path(p)) for p in paths)
    columns = ", ".join(
        f"json_type(v[{k + 1}]) AS t{k}, json_extract_string(v[{k + 1}], '$') AS s{k}"
        for k in range(len(paths))
    )
    answers = ", ".join(
        f"CASE i WHEN {i} THEN {c} END AS a{i}" for i, (_, c, _e) in enumerate(conditions)
    )
    con = duckdb.connect()
    con.execute(
        "CREATE TABLE cases AS SELECT * FROM (SELECT unnest(?) AS j, unnest(range(?)) AS i)",
        [texts, len(texts)],
    )
    rows = con.execute(
        f"SELECT i, [{', '.join(f'a{i}' for i in range(len(conditions)))}][i + 1] FROM ("
        f"SELECT i, {answers} FROM (SELECT i, {columns} FROM (SELECT i, "
        f"json_extract(j::JSON, [{extract}]) AS v FROM cases)))"
    ).fetchall()
    got = {i: answer for i, answer in rows}
    wrong = [
        (case_id, expected, got[i])
        for i, (case_id, _c, expected) in enumerate(conditions)
        if got[i] is not expected
    ]
    assert wrong == []
    assert len(conditions) > 700
    kinds = ("the wildcard selector", "a term pattern", "a space-delimited", "the selector name")
    assert [c for c in refused.values() if not c.startswith(kinds)] == []


def test_java_double_text_in_sql_is_the_engines_number_text() -> None:
    rng = random.Random(7)
    values = [0.0, -0.0, 1.0, 1.5, 100.0, 1e7, 9999999.0, 0.001, 0.00099, 1e-5, 1e20, 5e-324]
    while len(values) < 20000:
        x = struct.unpack("d", struct.pack("Q", rng.getrandbits(64)))[0]
        if math.isfinite(x):
            values.append(x)
        values.append(round(rng.uniform(-1e8, 1e8), rng.randrange(0, 8)))
    schema = JsonSchema()
    v = schema.value(("x",))
    sql = schema.double_text(v)
    rows = (
        duckdb.connect()
        .execute(f"SELECT {sql} FROM (SELECT unnest(?::DOUBLE[])::VARCHAR AS {v.text})", [values])
        .fetchall()
    )
    assert [r[0] for r in rows] == [number_text(x) for x in values]


def test_a_pattern_sql_cannot_express_is_an_error_naming_event_and_construct(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], shared_samples_dir: Path
) -> None:
    with pytest.raises(SqlUnsupported, match=r"event 'e': .*wildcard selector \$\.a\[\*\]\.b"):
        compile_condition("e", "{ $.a[*].b = 1 }", JsonSchema())
    with pytest.raises(SqlUnsupported, match="term pattern"):
        compile_condition("e", "ERROR", JsonSchema())
    events = tmp_path / "events"
    events.mkdir()
    (events / "term.yaml").write_text(
        "id: term-event\ntitle: t\nseverity: low\ndescription: d\npattern: 'ConsoleLogin'\n"
        "metric_name: TermCount\nalarm_name: TermAlarm\nalarm: {threshold: 1}\n"
        "no_samples_reason: a test\n"
    )
    config = tmp_path / "trailwatch.yaml"
    config.write_text(
        "targets: [{name: one, region: us-east-1}]\nevent_directories: [events]\n"
        "notifications: {emails: [a@example.com]}\n"
    )
    code = main(["replay", "--engine", "duckdb", "--config", str(config), str(shared_samples_dir)])
    assert code == 2
    err = capsys.readouterr().err
    assert "event 'term-event'" in err and "term pattern" in err


def outcomes(document: dict[str, Any]) -> tuple[Any, ...]:
    return document["records"], document["matches"], document["alarms"]


def both(paths: list[Path], deployment: Deployment) -> tuple[dict[str, Any], dict[str, Any]]:
    python = replay(paths, deployment).to_json()
    sql = replay_duckdb(paths, deployment).to_json()
    assert (python["engine"], sql["engine"]) == ("python", "duckdb")
    return python, sql


def test_duckdb_replays_the_shared_samples_as_python_does(
    shared_samples_dir: Path, deployment: Deployment
) -> None:
    python, sql = both([shared_samples_dir], deployment)
    assert outcomes(sql) == outcomes(python)
    assert python["records"] == 853 and any(python["alarms"].values())


def test_duckdb_replays_the_catalog_samples_as_python_does(
    tmp_path: Path, deployment: Deployment
) -> None:
    path = tmp_path / "catalog.jsonl"
    synthetic.write_jsonl(path, iter(catalog_samples()))
    python, sql = both([path], deployment)
    assert outcomes(sql) == outcomes(python)
    assert sum(python["matches"].values()) > 50


@pytest.mark.scale
def test_duckdb_replays_200k_generated_records_as_python_does(
    tmp_path: Path, shared_samples_dir: Path, deployment: Deployment
) -> None:
    samples = synthetic.load_samples(shared_samples_dir)
    records = list(synthetic.records(samples, 200_000, perturbed=True))
    synthetic.write_jsonl(tmp_path / "a.jsonl", iter(records[:80_000]))
    with gzip.open(tmp_path / "b.jsonl.gz", "wt", encoding="utf-8") as f:
        f.writelines(json.dumps(r) + "\n" for r in records[80_000:140_000])
    # CloudTrail's delivery files: one line each, gzip.
    for n, start in enumerate(range(140_000, 200_000, 20_000)):
        with gzip.open(tmp_path / f"delivery-{n}.json.gz", "wt", encoding="utf-8") as f:
            json.dump({"Records": records[start : start + 20_000]}, f)
    python, sql = both([tmp_path], deployment)
    assert outcomes(sql) == outcomes(python)
    assert python["records"] == 200_000
    assert all(python["matches"][event] > 0 for event in python["matches"])
