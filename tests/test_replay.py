"""`trailwatch replay`: real records through the 17 events, every input format, exit codes."""

from __future__ import annotations

import gzip
import io
import json
import subprocess
import sys
from collections import Counter
from pathlib import Path
from typing import Any

import pytest
import yaml
from rich.console import Console

from trailwatch.cli import main
from trailwatch.cli.replay import _replay_with_progress
from trailwatch.replay import Replayer, replay
from trailwatch.replay.records import InputError
from trailwatch.spec.model import Deployment, load_deployment

SAMPLE_FILES = ("aws-docs.jsonl", "panther-analysis.jsonl", "stratus-red-team.jsonl")
REPO = Path(__file__).resolve().parents[1]
DEFAULT_CONFIG = REPO / "trailwatch.yaml"
FAILURES = "console-signin-failures"


@pytest.fixture(scope="module")
def deployment() -> Deployment:
    return load_deployment(DEFAULT_CONFIG)


@pytest.fixture(scope="module")
def expected(shared_samples_dir: Path) -> dict[str, list[list[str]]]:
    data: dict[str, list[list[str]]] = json.loads(
        (shared_samples_dir / "expected-matches.json").read_text()
    )["files"]
    return data


@pytest.fixture(scope="module")
def expected_counts(expected: dict[str, list[list[str]]], deployment: Deployment) -> dict[str, int]:
    """Matches per enabled event that `expected-matches.json` says the samples must give."""
    counts = Counter(event for rows in expected.values() for row in rows for event in row)
    return {alarm.id: counts[alarm.id] for alarm in deployment.alarms}


@pytest.fixture(scope="module")
def samples(shared_samples_dir: Path) -> dict[str, list[dict[str, Any]]]:
    return {
        name: [json.loads(line) for line in (shared_samples_dir / name).read_text().splitlines()]
        for name in SAMPLE_FILES
    }


@pytest.fixture(scope="module")
def failed_login(
    samples: dict[str, list[dict[str, Any]]], expected: dict[str, list[list[str]]]
) -> dict[str, Any]:
    """A real console sign-in failure that triggers that event and nothing else."""
    for name in SAMPLE_FILES:
        for record, events in zip(samples[name], expected[name], strict=True):
            if events == [FAILURES]:
                return record
    raise AssertionError("the samples hold no plain console sign-in failure")


def failures_at(record: dict[str, Any], times: list[str]) -> list[dict[str, Any]]:
    return [{**record, "eventTime": t, "eventID": f"failure-{i}"} for i, t in enumerate(times)]


def run_json(capsys: pytest.CaptureFixture[str], *args: str | Path) -> tuple[int, dict[str, Any]]:
    code = main(["replay", "--json", "--config", str(DEFAULT_CONFIG), *map(str, args)])
    out = capsys.readouterr().out
    document: dict[str, Any] = json.loads(out)  # exactly one JSON value, nothing else
    return code, document


def write_jsonl(path: Path, records: list[dict[str, Any]]) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text("".join(json.dumps(r) + "\n" for r in records))
    return path


# --- the real samples --------------------------------------------------------------------------


def test_sample_files_match_as_expected_matches_says(
    shared_samples_dir: Path, deployment: Deployment, expected_counts: dict[str, int]
) -> None:
    result = replay([shared_samples_dir / name for name in SAMPLE_FILES], deployment)
    assert result.records == 853
    assert (result.skipped, result.files) == (0, 3)
    assert {e.event_id: e.matches for e in result.events} == expected_counts


def test_json_output_has_every_enabled_event_zeros_included(
    capsys: pytest.CaptureFixture[str],
    shared_samples_dir: Path,
    deployment: Deployment,
    expected_counts: dict[str, int],
) -> None:
    code, document = run_json(capsys, *(shared_samples_dir / name for name in SAMPLE_FILES))
    assert code == 0
    assert list(document) == [
        "records",
        "incomplete",
        "skipped",
        "skipped_reasons",
        "ignored",
        "ignored_reasons",
        "matches",
        "alarms",
        "engine",
        "elapsed_s",
    ]
    assert (document["engine"], document["elapsed_s"] >= 0) == ("python", True)
    assert (document["records"], document["skipped"]) == (853, 0)
    assert (document["incomplete"], document["skipped_reasons"]) == (0, [])
    assert (document["ignored"], document["ignored_reasons"]) == (0, [])
    enabled = [alarm.id for alarm in deployment.alarms]
    assert len(enabled) == 17
    assert document["matches"] == expected_counts
    assert list(document["matches"]) == list(document["alarms"]) == enabled
    assert document["matches"]["ec2-large-instance-changes"] == 0
    assert document["alarms"]["ec2-large-instance-changes"] == []
    for periods in document["alarms"].values():
        for period in periods:
            assert set(period) == {"start", "sum"}
            assert period["start"].endswith(":00Z") and isinstance(period["sum"], int)


def test_every_input_format_together_gives_the_same_counts(
    tmp_path: Path,
    samples: dict[str, list[dict[str, Any]]],
    expected_counts: dict[str, int],
    capsys: pytest.CaptureFixture[str],
) -> None:
    docs, panther, stratus = (samples[name] for name in SAMPLE_FILES)
    root = tmp_path / "AWSLogs" / "111122223333"
    # S3 delivery files, plain and gzip, in a dated folder tree like a trail's bucket.
    for i in range(0, len(docs), 40):
        data = json.dumps({"Records": docs[i : i + 40]}).encode()
        day = root / "CloudTrail" / "us-east-1" / "2024" / "01" / f"{i // 40 + 1:02d}"
        day.mkdir(parents=True)
        name = f"111122223333_CloudTrail_us-east-1_{i}.json"
        if i % 80:
            (day / name).write_bytes(data)
        else:
            (day / f"{name}.gz").write_bytes(gzip.compress(data))
    # JSON Lines, compressed, beside lookup-events output given as a file of its own.
    (tmp_path / "lines").mkdir()
    (tmp_path / "lines" / "panther.jsonl.gz").write_bytes(
        gzip.compress("".join(json.dumps(r) + "\n" for r in panther).encode())
    )
    lookup = tmp_path / "lookup-events.json"
    lookup.write_text(json.dumps({"Events": [{"CloudTrailEvent": json.dumps(r)} for r in stratus]}))
    code, document = run_json(capsys, tmp_path / "AWSLogs", tmp_path / "lines", lookup)
    assert code == 0
    assert (document["records"], document["skipped"]) == (853, 0)
    assert document["matches"] == expected_counts


# --- alarms from eventTime ------------------------------------------------------------------------


def test_three_console_failures_in_five_minutes_make_one_alarm_period(
    tmp_path: Path, failed_login: dict[str, Any], capsys: pytest.CaptureFixture[str]
) -> None:
    times = ["2024-03-01T10:05:10Z", "2024-03-01T10:06:00Z", "2024-03-01T10:09:59Z"]
    path = write_jsonl(tmp_path / "failures.jsonl", failures_at(failed_login, times))
    code, document = run_json(capsys, path)
    assert code == 0
    assert document["matches"][FAILURES] == 3
    assert document["alarms"][FAILURES] == [{"start": "2024-03-01T10:05:00Z", "sum": 3}]
    assert all(periods == [] for event, periods in document["alarms"].items() if event != FAILURES)


def test_two_console_failures_stay_below_the_threshold(
    tmp_path: Path, failed_login: dict[str, Any], capsys: pytest.CaptureFixture[str]
) -> None:
    times = ["2024-03-01T10:05:10Z", "2024-03-01T10:06:00Z"]
    path = write_jsonl(tmp_path / "failures.jsonl", failures_at(failed_login, times))
    _, document = run_json(capsys, path)
    assert document["matches"][FAILURES] == 2
    assert document["alarms"][FAILURES] == []


def test_config_overrides_and_disabled_events_shape_the_replay(
    tmp_path: Path, failed_login: dict[str, Any], capsys: pytest.CaptureFixture[str]
) -> None:
    config = yaml.safe_load(DEFAULT_CONFIG.read_text())
    config["disabled_events"] = ["vpc-changes"]
    config["overrides"] = {FAILURES: {"threshold": 2}}
    config_path = tmp_path / "trailwatch.yaml"
    config_path.write_text(yaml.safe_dump(config))
    times = ["2024-03-01T10:05:10Z", "2024-03-01T10:06:00Z", "2024-03-01T10:31:00Z"]
    path = write_jsonl(tmp_path / "failures.jsonl", failures_at(failed_login, times))
    assert main(["replay", "--json", "--config", str(config_path), str(path)]) == 0
    document = json.loads(capsys.readouterr().out)
    assert "vpc-changes" not in document["matches"] and "vpc-changes" not in document["alarms"]
    assert len(document["matches"]) == 16
    assert document["alarms"][FAILURES] == [{"start": "2024-03-01T10:05:00Z", "sum": 2}]


def test_matches_without_event_time_are_counted_but_in_no_period(
    deployment: Deployment, failed_login: dict[str, Any]
) -> None:
    replayer = Replayer(deployment.alarms)
    untimed = {k: v for k, v in failed_login.items() if k != "eventTime"}
    replayer.feed([untimed] * 3)
    outcome = next(e for e in replayer.outcomes() if e.event_id == FAILURES)
    assert (outcome.matches, outcome.untimed, outcome.alarms) == (3, 3, ())


# --- bad input and exit codes -------------------------------------------------------------------


def test_bad_input_is_skipped_and_the_rest_replayed(
    tmp_path: Path, failed_login: dict[str, Any], capsys: pytest.CaptureFixture[str]
) -> None:
    good = write_jsonl(tmp_path / "a.jsonl", failures_at(failed_login, ["2024-03-01T10:05:10Z"]))
    with good.open("a") as f:
        f.write('{"eventName": "ConsoleLo\n[1, 2]\n')
    (tmp_path / "b.json.gz").write_bytes(gzip.compress(b'{"Records": []}')[:-4])
    (tmp_path / "c.jsonl").symlink_to(tmp_path / "gone.jsonl")
    code, document = run_json(capsys, tmp_path)
    assert code == 0
    assert (document["records"], document["skipped"]) == (1, 4)
    assert document["matches"][FAILURES] == 1
    assert document["skipped_reasons"] == [
        f"{good}:2: not valid JSON (Invalid control character at column 25)",
        f"{good}:3: a record must be a JSON object, not an array",
        f"{tmp_path / 'b.json.gz'}: truncated or corrupt file "
        "(Compressed file ended before the end-of-stream marker was reached)",
        f"{tmp_path / 'c.jsonl'}: cannot read: No such file or directory",
    ]


def test_table_lists_every_event_and_the_first_reasons(
    tmp_path: Path,
    failed_login: dict[str, Any],
    capsys: pytest.CaptureFixture[str],
    deployment: Deployment,
) -> None:
    times = ["2024-03-01T10:05:10Z", "2024-03-01T10:06:00Z", "2024-03-01T10:09:59Z"]
    path = write_jsonl(tmp_path / "failures.jsonl", failures_at(failed_login, times))
    with path.open("a") as f:
        f.write("not json\n")
    assert main(["replay", "--config", str(DEFAULT_CONFIG), str(path)]) == 0
    out = capsys.readouterr().out
    assert "3 records from 1 file: what would have fired" in out
    for alarm in deployment.alarms:
        assert alarm.id in out
    row = next(line for line in out.splitlines() if FAILURES in line)
    assert [cell.strip() for cell in row.split("│")][1:5] == [
        FAILURES,
        "3",
        "1",
        "2024-03-01 10:05 (3)",
    ]
    assert "skipped 1 unreadable input(s); first reasons:" in out
    assert f"{path}:4: not valid JSON (" in out


def test_missing_path_is_a_user_error_naming_it(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    missing = tmp_path / "no-such-dir"
    code = main(["replay", "--config", str(DEFAULT_CONFIG), str(tmp_path), str(missing)])
    captured = capsys.readouterr()
    assert code == 2
    assert captured.err == f"trailwatch: {missing}: no such file or directory\n"
    assert captured.out == ""
    with pytest.raises(InputError):
        replay([missing], load_deployment(DEFAULT_CONFIG))


def test_nothing_readable_exits_one_with_the_json_still_printed(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    (tmp_path / "junk.jsonl").write_text("junk\n")
    code, document = run_json(capsys, tmp_path)
    assert code == 1
    assert (document["records"], document["skipped"]) == (0, 1)
    assert set(document["matches"].values()) == {0}


def test_empty_directory_exits_one(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    code = main(["replay", "--config", str(DEFAULT_CONFIG), str(tmp_path)])
    assert code == 1
    assert "no CloudTrail record could be read" in capsys.readouterr().err


def test_valid_but_empty_delivery_file_is_not_a_failure(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    (tmp_path / "quiet.json").write_text('{"Records": []}')
    code, document = run_json(capsys, tmp_path)
    assert code == 0
    assert (document["records"], document["skipped"]) == (0, 0)


# --- progress and the installed command -----------------------------------------------------------


def test_progress_bar_goes_to_stderr_and_changes_no_result(
    shared_samples_dir: Path, deployment: Deployment
) -> None:
    paths = [shared_samples_dir / name for name in SAMPLE_FILES]
    screen = io.StringIO()
    console = Console(file=screen, force_terminal=True)
    shown = _replay_with_progress(paths, deployment, console, min_bytes=0)
    assert shown == replay(paths, deployment)
    assert "replaying 3 files" in screen.getvalue()
    quiet = io.StringIO()
    _replay_with_progress(paths, deployment, Console(file=quiet, force_terminal=True))
    assert quiet.getvalue() == ""  # a small input finishes before a bar would help


def test_command_runs_in_a_subprocess_with_clean_stdout(
    shared_samples_dir: Path, expected_counts: dict[str, int]
) -> None:
    result = subprocess.run(
        [
            sys.executable,
            "-m",
            "trailwatch.cli",
            "replay",
            "--json",
            "--config",
            str(DEFAULT_CONFIG),
            *(str(shared_samples_dir / name) for name in SAMPLE_FILES),
        ],
        capture_output=True,
        text=True,
        timeout=120,
        cwd=REPO,
    )
    assert result.returncode == 0, result.stderr
    document = json.loads(result.stdout)
    assert (document["records"], document["matches"]) == (853, expected_counts)
    assert result.stderr == ""  # no progress bar when stderr is not a terminal
