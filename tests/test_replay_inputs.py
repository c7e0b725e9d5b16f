"""`trailwatch replay` on what people really have, and on hostile input (issues 11 and 14).

Every file is built in tmp_path from the shared samples, shaped as tools write them: JSON Lines
saved as `.json`, lookup-events items one a line, a README beside the logs, a symlinked folder,
a FIFO, a line of hundreds of MB, a record nested 2,000 deep. Matches are checked per event
against `expected-matches.json`.
"""

from __future__ import annotations

import gzip
import json
import os
import socket
import subprocess
import sys
from collections import Counter
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from trailwatch.cli import main
from trailwatch.cli.replay import parse_size
from trailwatch.replay import Replayer, replay
from trailwatch.replay.records import ReadLimits, ReadStats, read_records
from trailwatch.replay.replayer import ReplayResult
from trailwatch.spec.model import Deployment, load_deployment

REPO = Path(__file__).resolve().parents[1]
DEFAULT_CONFIG = REPO / "trailwatch.yaml"
SAMPLE_FILES = ("aws-docs.jsonl", "panther-analysis.jsonl", "stratus-red-team.jsonl")
AUTH = "authorization-failures"
LINE_LIMIT = "line longer than 4 MiB: not read (--max-record-bytes)"

Records = list[dict[str, Any]]


@pytest.fixture(scope="module")
def deployment() -> Deployment:
    return load_deployment(DEFAULT_CONFIG)


@pytest.fixture(scope="module")
def samples(shared_samples_dir: Path) -> dict[str, Records]:
    return {
        name: [json.loads(line) for line in (shared_samples_dir / name).read_text().splitlines()]
        for name in SAMPLE_FILES
    }


@pytest.fixture(scope="module")
def answer_key(shared_samples_dir: Path) -> dict[str, list[list[str]]]:
    data = json.loads((shared_samples_dir / "expected-matches.json").read_text(encoding="utf-8"))
    files: dict[str, list[list[str]]] = data["files"]
    return files


def expected_counts(
    answer_key: dict[str, list[list[str]]], deployment: Deployment, *names: str
) -> dict[str, int]:
    """Matches per enabled event that the answer key gives for the named sample files."""
    counts = Counter(event for name in names for row in answer_key[name] for event in row)
    return {alarm.id: counts[alarm.id] for alarm in deployment.alarms}


def matches(result: ReplayResult) -> dict[str, int]:
    return {event.event_id: event.matches for event in result.events}


def jsonl(records: list[Any]) -> str:
    return "".join(json.dumps(r) + "\n" for r in records)


def write(path: Path, text: str | bytes, *, compress: bool = False) -> Path:
    data = text.encode() if isinstance(text, str) else text
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(gzip.compress(data) if compress else data)
    return path


def lookup_item(record: dict[str, Any]) -> dict[str, Any]:
    """One item of `aws cloudtrail lookup-events`: a summary and the record as a JSON string."""
    return {
        "EventId": record.get("eventID", ""),
        "EventName": record.get("eventName", ""),
        "ReadOnly": "false",
        "EventTime": record.get("eventTime", ""),
        "EventSource": record.get("eventSource", ""),
        "Resources": [],
        "CloudTrailEvent": json.dumps(record),
    }


def read_all(*paths: Path, limits: ReadLimits | None = None) -> tuple[Records, ReadStats]:
    stats = ReadStats()
    return list(read_records(paths, stats, limits=limits)), stats


def run_json(capsys: pytest.CaptureFixture[str], *args: str | Path) -> tuple[int, dict[str, Any]]:
    code = main(["replay", "--json", "--config", str(DEFAULT_CONFIG), *map(str, args)])
    document: dict[str, Any] = json.loads(capsys.readouterr().out)
    return code, document


def nested(depth: int) -> str:
    return '{"a":' * depth + "1" + "}" * depth


# --- issue 11: what people have -------------------------------------------------------------------


@pytest.mark.parametrize("name,compress", [("docs.json", False), ("docs.json.gz", True)])
def test_json_lines_saved_as_json_are_read_line_by_line(
    tmp_path: Path,
    samples: dict[str, Records],
    answer_key: dict[str, list[list[str]]],
    deployment: Deployment,
    name: str,
    compress: bool,
) -> None:
    # Firehose, Fluent Bit and Vector write one record a line into files named `.json`.
    path = write(tmp_path / name, jsonl(samples["aws-docs.jsonl"]), compress=compress)
    records, stats = read_all(path)
    assert records == samples["aws-docs.jsonl"]
    assert (stats.files, stats.skipped, stats.incomplete, stats.ignored) == (1, 0, 0, 0)
    result = replay([path], deployment)
    assert result.records == 111
    assert matches(result) == expected_counts(answer_key, deployment, "aws-docs.jsonl")


def test_json_lines_as_json_keep_their_line_numbers_in_reasons(
    tmp_path: Path, samples: dict[str, Records]
) -> None:
    lines = [json.dumps(r) for r in samples["stratus-red-team.jsonl"][:5]]
    lines[3] = lines[3][:80]  # cut off mid-write
    path = write(tmp_path / "shipped.json", "\n".join(lines) + "\n")
    records, stats = read_all(path)
    assert records == [samples["stratus-red-team.jsonl"][i] for i in (0, 1, 2, 4)]
    assert stats.skipped == 1
    assert stats.reasons[0].startswith(f"{path}:4: not valid JSON (")


@pytest.mark.parametrize("name", ["lookup.jsonl", "lookup.json", "lookup.ndjson.gz"])
def test_lookup_events_items_one_per_line_are_unwrapped(
    tmp_path: Path,
    samples: dict[str, Records],
    answer_key: dict[str, list[list[str]]],
    deployment: Deployment,
    name: str,
) -> None:
    # `aws cloudtrail lookup-events --output json | jq -c '.Events[]'`
    stratus = samples["stratus-red-team.jsonl"]
    text = jsonl([lookup_item(r) for r in stratus])
    path = write(tmp_path / name, text, compress=name.endswith(".gz"))
    records, stats = read_all(path)
    assert records == stratus
    assert (stats.skipped, stats.incomplete) == (0, 0)
    result = replay([path], deployment)
    assert result.records == 310
    assert matches(result) == expected_counts(answer_key, deployment, "stratus-red-team.jsonl")


def test_other_wrappers_are_unwrapped_wherever_they_appear(
    tmp_path: Path, samples: dict[str, Records]
) -> None:
    docs = samples["aws-docs.jsonl"]
    # One delivery document a line, a lookup-events page a line, a `jq '.Events'` array.
    lines = write(
        tmp_path / "a.jsonl",
        jsonl([{"Records": docs[:3]}, {"Events": [lookup_item(r) for r in docs[3:5]]}, docs[5]]),
    )
    array = write(tmp_path / "b.json", json.dumps([lookup_item(r) for r in docs[6:8]], indent=2))
    one_item = write(tmp_path / "c.json", json.dumps(lookup_item(docs[8])))
    # A record copied from the CloudTrail console's event view, pretty-printed.
    console = write(tmp_path / "d.json", json.dumps(docs[9], indent=4))
    records, stats = read_all(lines, array, one_item, console)
    assert records == docs[:10]
    assert (stats.files, stats.skipped, stats.incomplete) == (4, 0, 0)


def test_pretty_printed_delivery_file_reads_as_one_document(
    tmp_path: Path, samples: dict[str, Records]
) -> None:
    panther = samples["panther-analysis.jsonl"][:50]
    path = write(tmp_path / "pretty.json", json.dumps({"Records": panther}, indent=2))
    records, stats = read_all(path)
    assert records == panther
    assert stats.skipped == 0


def test_files_that_are_plainly_not_cloudtrail_are_ignored_not_corrupt(
    tmp_path: Path,
    samples: dict[str, Records],
    answer_key: dict[str, list[list[str]]],
    deployment: Deployment,
    capsys: pytest.CaptureFixture[str],
) -> None:
    root = tmp_path / "export"
    write(root / "README.md", "# CloudTrail export\n\nSynced from the bucket on Monday.\n")
    write(root / "notes.txt", "ticket SEC-123: look at the root logins\n")
    write(root / "empty.txt", "")
    write(root / "sources.txt", "[draft] not JSON at all\n")
    digest = {
        "awsAccountId": "111122223333",
        "digestStartTime": "2024-01-01T00:00:00Z",
        "digestEndTime": "2024-01-01T01:00:00Z",
        "digestS3Bucket": "trail-bucket",
        "digestS3Object": "AWSLogs/111122223333/CloudTrail-Digest/x.json.gz",
        "logFiles": [],
    }
    write(root / "CloudTrail-Digest" / "digest.json.gz", json.dumps(digest), compress=True)
    write(root / "logs" / "docs.json", jsonl(samples["aws-docs.jsonl"]))
    # A `.txt` with JSON in it is read: the content decides, not the name.
    write(root / "logs" / "panther.txt", jsonl(samples["panther-analysis.jsonl"]))
    result = replay([root], deployment)
    assert (result.records, result.files, result.skipped) == (543, 2, 0)
    assert result.ignored == 5
    # A folder's own files come before its subfolders, as the walk goes.
    assert result.ignore_reasons == (
        f"{root / 'README.md'}: not CloudTrail (no JSON)",
        f"{root / 'empty.txt'}: empty, not CloudTrail",
        f"{root / 'notes.txt'}: not CloudTrail (no JSON)",
        f"{root / 'sources.txt'}: not CloudTrail (not valid JSON)",
        f"{root / 'CloudTrail-Digest' / 'digest.json.gz'}: a CloudTrail digest file, no records",
    )
    both = ("aws-docs.jsonl", "panther-analysis.jsonl")
    assert matches(result) == expected_counts(answer_key, deployment, *both)
    code, document = run_json(capsys, root)
    assert code == 0
    assert (document["ignored"], document["ignored_reasons"]) == (5, list(result.ignore_reasons))
    assert (document["skipped"], document["skipped_reasons"]) == (0, [])
    # Only ignored files: nothing was read, which is still a failure to read anything.
    for path in (root / "logs").iterdir():
        path.unlink()
    assert main(["replay", "--config", str(DEFAULT_CONFIG), str(root)]) == 1
    out = capsys.readouterr().out
    assert "ignored 5 file(s) or folder(s) that are not CloudTrail input; first ones:" in out
    assert f"  {root / 'README.md'}: not CloudTrail (no JSON)" in out


def test_a_json_name_with_no_json_in_it_is_still_corrupt_input(tmp_path: Path) -> None:
    path = write(tmp_path / "export.json", "Access denied\n")
    records, stats = read_all(path)
    assert records == []
    assert (stats.files, stats.skipped, stats.ignored) == (1, 1, 0)
    assert stats.reasons == [f"{path}:1: not valid JSON (Expecting value at column 1)"]


def test_skipped_reasons_are_in_the_json_as_in_the_text(
    tmp_path: Path, samples: dict[str, Records], capsys: pytest.CaptureFixture[str]
) -> None:
    docs = samples["aws-docs.jsonl"]
    path = write(tmp_path / "a.jsonl", jsonl(docs[:2]) + "{broken\n" + "[1]\n" + jsonl(docs[2:3]))
    code, document = run_json(capsys, path)
    assert code == 0
    assert (document["records"], document["skipped"]) == (3, 2)
    assert document["skipped_reasons"] == [
        f"{path}:3: not valid JSON (Expecting property name enclosed in double quotes at column 2)",
        f"{path}:4: a record must be a JSON object, not an array",
    ]
    assert main(["replay", "--config", str(DEFAULT_CONFIG), str(path)]) == 0
    out = capsys.readouterr().out
    for reason in document["skipped_reasons"]:
        assert f"  {reason}" in out


def test_records_missing_event_name_or_source_are_incomplete_and_still_evaluated(
    tmp_path: Path,
    samples: dict[str, Records],
    answer_key: dict[str, list[list[str]]],
    deployment: Deployment,
    capsys: pytest.CaptureFixture[str],
) -> None:
    rows = zip(samples["panther-analysis.jsonl"], answer_key["panther-analysis.jsonl"], strict=True)
    # Real refusals that only authorization-failures matches: it reads errorCode, not eventName.
    refused = [record for record, events in rows if events == [AUTH]][:2]
    assert len(refused) == 2
    no_name = {k: v for k, v in refused[0].items() if k != "eventName"}
    no_source = {k: v for k, v in refused[1].items() if k != "eventSource"}
    whole = samples["aws-docs.jsonl"][:3]
    path = write(tmp_path / "trimmed.jsonl", jsonl([no_name, *whole, no_source]))
    result = replay([path], deployment)
    assert (result.records, result.incomplete, result.skipped) == (5, 2, 0)
    counts = matches(result)
    assert counts[AUTH] == 2 + sum(AUTH in e for e in answer_key["aws-docs.jsonl"][:3])
    # In a delivery file and in lookup-events output alike.
    delivery = write(tmp_path / "d.json", json.dumps({"Records": [no_name, whole[0]]}))
    lookup = write(tmp_path / "l.json", json.dumps({"Events": [lookup_item(no_source)]}))
    assert replay([delivery, lookup], deployment).incomplete == 2
    code, document = run_json(capsys, path)
    assert (code, document["incomplete"], document["records"]) == (0, 2, 5)
    main(["replay", "--config", str(DEFAULT_CONFIG), str(path)])
    assert "2 record(s) without eventName or eventSource, evaluated as they are" in (
        capsys.readouterr().out
    )


# --- issue 14: hostile input ----------------------------------------------------------------------


def test_record_nested_2000_deep_is_skipped_and_the_rest_is_read(
    tmp_path: Path, samples: dict[str, Records], deployment: Deployment
) -> None:
    docs = samples["aws-docs.jsonl"][:2]
    deep = nested(2000)
    lines = write(tmp_path / "a.jsonl", json.dumps(docs[0]) + "\n" + deep + "\n" + jsonl(docs[1:]))
    # Inside a lookup-events item only that item is lost; inside a delivery document, the document.
    page = {"Events": [lookup_item(docs[0]), {"CloudTrailEvent": deep}]}
    lookup = write(tmp_path / "b.json", json.dumps(page))
    delivery = write(tmp_path / "c.json", '{"Records": [' + json.dumps(docs[1]) + "," + deep + "]}")
    result = replay([lines, lookup, delivery], deployment)
    assert (result.records, result.skipped) == (3, 3)
    assert result.skip_reasons == (
        f"{lines}:2: not valid JSON (nested too deeply to decode)",
        f"{lookup}: Events[1]: CloudTrailEvent is not valid JSON (nested too deeply to decode)",
        f"{delivery}: not valid JSON (nested too deeply to decode)",
    )


def test_deep_records_are_evaluated_or_skipped_never_raised(
    tmp_path: Path,
    samples: dict[str, Records],
    answer_key: dict[str, list[list[str]]],
    deployment: Deployment,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    # The catalog's patterns read fixed paths, so a deep record built in Python evaluates.
    rows = zip(samples["aws-docs.jsonl"], answer_key["aws-docs.jsonl"], strict=True)
    root_login, events = next((r, e) for r, e in rows if "root-account-usage" in e)
    deep: dict[str, Any] = {}
    inner = deep
    for _ in range(5000):
        inner["a"] = {}
        inner = inner["a"]
    replayer = Replayer(deployment.alarms)
    replayer.feed([{**root_login, "requestParameters": deep}])
    assert replayer.records == 1
    assert {e.event_id: e.matches for e in replayer.outcomes()} == {
        alarm.id: int(alarm.id in events) for alarm in deployment.alarms
    }
    # Should an engine recurse on a record, the replayer skips it with its file and line.
    from trailwatch import patterns

    real = patterns.compile_many

    def recursing(named: dict[str, str]) -> Any:
        match = real(named)

        def evaluate(record: dict[str, Any]) -> list[str]:
            if "requestParameters" in record and record["requestParameters"] == {"deep": True}:
                raise RecursionError("maximum recursion depth exceeded")
            return match(record)

        evaluate.names = match.names  # type: ignore[attr-defined]  # what Replayer reads
        return evaluate

    monkeypatch.setattr(patterns, "compile_many", recursing)
    docs = samples["aws-docs.jsonl"][:3]
    bad = {**docs[0], "requestParameters": {"deep": True}}
    path = write(tmp_path / "x.jsonl", jsonl([docs[1], bad, docs[2]]))
    delivery = write(tmp_path / "y.json", json.dumps({"Records": [docs[1], bad]}))
    result = replay([path, delivery], deployment)
    assert (result.records, result.skipped) == (3, 2)
    assert result.skip_reasons == (
        f"{path}:2: nested too deeply to evaluate",
        f"{delivery}: Records[1]: nested too deeply to evaluate",
    )
    alone = Replayer(deployment.alarms)
    alone.feed([docs[1], bad])
    assert (alone.records, alone.stats.skipped, alone.stats.reasons) == (
        1,
        1,
        ["record 2: nested too deeply to evaluate"],
    )


def huge_line_gzip(path: Path, records: Records, mib: int) -> Path:
    """A `.jsonl.gz` whose second line is `mib` MiB of spaces, in a file of about `mib` KB.

    Gzip members concatenate: one member of 8 MiB of spaces (8 KB compressed), repeated, costs
    nothing to build however long the line.
    """
    member = gzip.compress(b" " * (8 * 2**20), compresslevel=9)
    with path.open("wb") as f:
        f.write(gzip.compress((json.dumps(records[0]) + "\n").encode()))
        for _ in range(mib // 8):
            f.write(member)
        f.write(gzip.compress(("\n" + jsonl(records[1:])).encode()))
    return path


def limited_replay(*args: str | Path, memory: int = 2**30, timeout: int = 240) -> Any:
    """`trailwatch replay --json` in a subprocess whose address space is capped at `memory`."""
    code = (
        "import resource, sys\n"
        f"resource.setrlimit(resource.RLIMIT_AS, ({memory}, {memory}))\n"
        "from trailwatch.cli import main\n"
        "sys.exit(main(sys.argv[1:]))\n"
    )
    argv = ["replay", "--json", "--config", str(DEFAULT_CONFIG), *map(str, args)]
    return subprocess.run(
        [sys.executable, "-c", code, *argv],
        capture_output=True,
        text=True,
        timeout=timeout,
        cwd=REPO,
    )


def test_line_of_512_mib_is_skipped_unread_within_a_1_gib_address_space(
    tmp_path: Path, samples: dict[str, Records]
) -> None:
    # Read whole, this line takes over 1 GiB (the reader before the limit died of MemoryError).
    docs = samples["aws-docs.jsonl"][:3]
    path = huge_line_gzip(tmp_path / "shipped.jsonl.gz", docs, 512)
    assert path.stat().st_size < 2**20
    done = limited_replay(path)
    assert done.returncode == 0, done.stderr
    document = json.loads(done.stdout)
    assert (document["records"], document["skipped"]) == (3, 1)
    assert document["skipped_reasons"] == [f"{path}:2: {LINE_LIMIT}"]


def test_over_long_lines_are_skipped_wherever_they_are(
    tmp_path: Path, samples: dict[str, Records]
) -> None:
    docs = samples["aws-docs.jsonl"][:3]
    limits = ReadLimits(max_record_bytes=2**10)
    small = [r for r in docs if len(json.dumps(r)) < 2**10]
    big = next(r for r in samples["aws-docs.jsonl"] if len(json.dumps(r)) > 2**10)
    first = write(tmp_path / "a.jsonl", jsonl([big, *small]))
    middle = write(tmp_path / "b.json", jsonl([*small, big, *small]))
    records, stats = read_all(first, middle, limits=limits)
    assert records == small * 3
    assert stats.reasons == [
        f"{first}:1: line longer than 1 KiB: not read (--max-record-bytes)",
        f"{middle}:{len(small) + 1}: line longer than 1 KiB: not read (--max-record-bytes)",
    ]


def test_one_line_delivery_file_longer_than_the_line_limit_is_a_document(
    tmp_path: Path, samples: dict[str, Records], capsys: pytest.CaptureFixture[str]
) -> None:
    # CloudTrail writes each delivery file as one line: the document limit applies, not the line's.
    stratus = samples["stratus-red-team.jsonl"]
    name = "111122223333_CloudTrail_us-east-1_20240101T0000Z_abc.json.gz"
    path = write(tmp_path / name, json.dumps({"Records": stratus}), compress=True)
    code, document = run_json(capsys, "--max-record-bytes", "1KiB", path)
    assert code == 0
    assert (document["records"], document["skipped"]) == (310, 0)


def test_document_over_the_limit_is_skipped_unread(
    tmp_path: Path, samples: dict[str, Records], capsys: pytest.CaptureFixture[str]
) -> None:
    panther = samples["panther-analysis.jsonl"]
    big = write(tmp_path / "big.json.gz", json.dumps({"Records": panther}, indent=1), compress=True)
    small = write(tmp_path / "small.json", json.dumps({"Records": panther[:2]}))
    code, document = run_json(capsys, "--max-document-bytes", "64KiB", big, small)
    assert code == 0
    assert (document["records"], document["skipped"]) == (2, 1)
    assert document["skipped_reasons"] == [
        f"{big}: document larger than 64 KiB: not read (--max-document-bytes)"
    ]


def test_default_limits_read_a_large_delivery_file(
    tmp_path: Path, samples: dict[str, Records]
) -> None:
    # 20 MB in one line, as a busy trail writes them: far over the line limit, far under 256 MiB.
    records = samples["panther-analysis.jsonl"] * 40
    path = write(tmp_path / "busy.json.gz", json.dumps({"Records": records}), compress=True)
    got, stats = read_all(path)
    assert len(got) == len(records)
    assert got[-1] == records[-1]
    assert stats.skipped == 0


@pytest.mark.parametrize(
    "text,size", [("4MiB", 4 * 2**20), ("512k", 512 * 2**10), ("1GiB", 2**30), ("100", 100)]
)
def test_sizes_take_binary_units(text: str, size: int) -> None:
    assert parse_size(text) == size


@pytest.mark.parametrize("text", ["4MB", "0", "-1", "lots", "1.5MiB"])
def test_a_bad_size_is_a_usage_error(
    text: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    with pytest.raises(SystemExit) as exit_info:
        main(["replay", "--config", str(DEFAULT_CONFIG), "--max-record-bytes", text, str(tmp_path)])
    assert exit_info.value.code == 2
    assert "is not a size" in capsys.readouterr().err


@pytest.fixture
def fifo(tmp_path: Path) -> Iterator[Path]:
    path = tmp_path / "logs" / "pipe.jsonl"
    path.parent.mkdir(exist_ok=True)
    os.mkfifo(path)
    yield path


def test_fifo_devices_and_sockets_are_skipped_never_opened(
    tmp_path: Path, fifo: Path, samples: dict[str, Records]
) -> None:
    docs = samples["aws-docs.jsonl"][:4]
    write(fifo.parent / "a.jsonl", jsonl(docs))
    sock_path = fifo.parent / "s.sock"
    extra: list[str] = []
    server = socket.socket(socket.AF_UNIX)
    if len(str(sock_path)) < 100:  # AF_UNIX paths are short
        server.bind(str(sock_path))
        extra.append(f"{sock_path}: a socket, not a regular file: not opened")
    # Opening the FIFO would block until a writer comes; reading /dev/zero would never end.
    with server:
        done = limited_replay(fifo.parent, "/dev/zero", "/dev/null", timeout=120)
    assert done.returncode == 0, done.stderr
    document = json.loads(done.stdout)
    assert (document["records"], document["skipped"]) == (4, 3 + len(extra))
    assert document["skipped_reasons"] == [
        f"{fifo}: a FIFO, not a regular file: not opened",
        *extra,
        "/dev/zero: a character device, not a regular file: not opened",
        "/dev/null: a character device, not a regular file: not opened",
    ]
    # Only a FIFO: nothing readable, exit 1, still no wait.
    assert limited_replay(fifo, timeout=120).returncode == 1


def test_symlinked_folders_are_followed_and_each_folder_read_once(
    tmp_path: Path,
    samples: dict[str, Records],
    answer_key: dict[str, list[list[str]]],
    deployment: Deployment,
) -> None:
    elsewhere = tmp_path / "volume" / "trail"
    write(
        elsewhere / "2024" / "01" / "docs.json.gz", jsonl(samples["aws-docs.jsonl"]), compress=True
    )
    write(elsewhere / "2024" / "02" / "stratus.jsonl", jsonl(samples["stratus-red-team.jsonl"]))
    root = tmp_path / "input"
    root.mkdir()
    (root / "trail").symlink_to(elsewhere, target_is_directory=True)
    (root / "same-trail").symlink_to(elsewhere, target_is_directory=True)
    (elsewhere / "2024" / "loop").symlink_to(root, target_is_directory=True)
    result = replay([root], deployment)
    assert (result.records, result.files, result.skipped) == (421, 2, 0)
    names = ("aws-docs.jsonl", "stratus-red-team.jsonl")
    assert matches(result) == expected_counts(answer_key, deployment, *names)
    assert result.ignore_reasons == (
        f"{root / 'trail'}: folder already read (a symlink loop or a second link)",
        f"{root / 'same-trail' / '2024' / 'loop'}: folder already read "
        "(a symlink loop or a second link)",
    )


def test_symlink_loop_alone_ends(tmp_path: Path, samples: dict[str, Records]) -> None:
    write(tmp_path / "a" / "x.jsonl", jsonl(samples["aws-docs.jsonl"][:2]))
    (tmp_path / "a" / "again").symlink_to(tmp_path / "a", target_is_directory=True)
    (tmp_path / "a" / "self.jsonl").symlink_to(tmp_path / "a" / "self.jsonl")
    records, stats = read_all(tmp_path / "a")
    assert records == samples["aws-docs.jsonl"][:2]
    assert stats.ignored_reasons == [
        f"{tmp_path / 'a' / 'again'}: folder already read (a symlink loop or a second link)"
    ]
    assert stats.reasons == [
        f"{tmp_path / 'a' / 'self.jsonl'}: cannot read: Too many levels of symbolic links"
    ]


def test_empty_jsonl_gz_and_json_gz_are_alike_empty_input(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    write(tmp_path / "a.jsonl.gz", "", compress=True)
    write(tmp_path / "b.json.gz", "", compress=True)
    write(tmp_path / "c.json.gz", "")  # zero bytes, not even gzip
    write(tmp_path / "d.json", "\n  \n")
    records, stats = read_all(tmp_path)
    assert records == []
    assert (stats.files, stats.skipped, stats.ignored) == (4, 0, 0)
    code, document = run_json(capsys, tmp_path)
    assert code == 0  # valid and empty is not a failure
    assert (document["records"], document["skipped"]) == (0, 0)


def test_byte_order_marks_are_read(tmp_path: Path, samples: dict[str, Records]) -> None:
    docs = samples["aws-docs.jsonl"]
    utf8 = write(tmp_path / "a.jsonl", b"\xef\xbb\xbf" + jsonl(docs[:3]).encode())
    # Windows PowerShell's `aws cloudtrail lookup-events > out.json` writes UTF-16.
    page = json.dumps({"Events": [lookup_item(r) for r in docs[3:6]]}, indent=4)
    utf16 = write(tmp_path / "b.json", page.encode("utf-16"))
    records, stats = read_all(utf8, utf16)
    assert records == docs[:6]
    assert stats.skipped == 0
