"""Reading CloudTrail input: every format, directories, and broken input skipped with reasons."""

from __future__ import annotations

import gzip
import json
import os
import tracemalloc
from pathlib import Path
from typing import Any

import pytest

from trailwatch.replay.records import (
    MAX_REASONS,
    InputError,
    ReadStats,
    check_paths,
    input_files,
    input_size,
    read_records,
)

SAMPLE_FILES = ("aws-docs.jsonl", "panther-analysis.jsonl", "stratus-red-team.jsonl")


def load_jsonl(path: Path) -> list[dict[str, Any]]:
    return [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines()]


@pytest.fixture(scope="module")
def aws_docs(shared_samples_dir: Path) -> list[dict[str, Any]]:
    return load_jsonl(shared_samples_dir / "aws-docs.jsonl")


@pytest.fixture(scope="module")
def stratus(shared_samples_dir: Path) -> list[dict[str, Any]]:
    return load_jsonl(shared_samples_dir / "stratus-red-team.jsonl")


def write_jsonl(path: Path, records: list[Any], *, compress: bool = False) -> Path:
    text = "".join(json.dumps(record) + "\n" for record in records)
    path.parent.mkdir(parents=True, exist_ok=True)
    if compress:
        path.write_bytes(gzip.compress(text.encode()))
    else:
        path.write_text(text, encoding="utf-8")
    return path


def write_json(path: Path, document: Any, *, compress: bool = False) -> Path:
    data = json.dumps(document).encode()
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(gzip.compress(data) if compress else data)
    return path


def lookup_events(records: list[dict[str, Any]]) -> dict[str, Any]:
    """What `aws cloudtrail lookup-events` prints: a summary per event, the record as a string."""
    return {
        "Events": [
            {
                "EventId": r.get("eventID", ""),
                "EventName": r.get("eventName", ""),
                "EventSource": r.get("eventSource", ""),
                "CloudTrailEvent": json.dumps(r),
            }
            for r in records
        ]
    }


def read_all(*paths: Path) -> tuple[list[dict[str, Any]], ReadStats]:
    stats = ReadStats()
    return list(read_records(paths, stats)), stats


# --- formats -------------------------------------------------------------------------------------


def test_jsonl_file_gives_every_sample_record_in_order(shared_samples_dir: Path) -> None:
    for name in SAMPLE_FILES:
        records, stats = read_all(shared_samples_dir / name)
        assert records == load_jsonl(shared_samples_dir / name)
        assert (stats.files, stats.skipped, stats.reasons) == (1, 0, [])


def test_jsonl_gz_reads_like_plain_jsonl(tmp_path: Path, aws_docs: list[dict[str, Any]]) -> None:
    path = write_jsonl(tmp_path / "docs.jsonl.gz", aws_docs, compress=True)
    records, stats = read_all(path)
    assert records == aws_docs
    assert stats.skipped == 0


@pytest.mark.parametrize("name,compress", [("delivery.json", False), ("delivery.json.gz", True)])
def test_s3_delivery_file_gives_its_records(
    tmp_path: Path, stratus: list[dict[str, Any]], name: str, compress: bool
) -> None:
    path = write_json(tmp_path / name, {"Records": stratus[:40]}, compress=compress)
    records, stats = read_all(path)
    assert records == stratus[:40]
    assert stats.skipped == 0


def test_lookup_events_output_gives_the_embedded_records(
    tmp_path: Path, aws_docs: list[dict[str, Any]]
) -> None:
    path = write_json(tmp_path / "lookup.json", lookup_events(aws_docs))
    records, stats = read_all(path)
    assert records == aws_docs
    assert stats.skipped == 0


def test_bare_array_of_records_is_read(tmp_path: Path, aws_docs: list[dict[str, Any]]) -> None:
    records, _ = read_all(write_json(tmp_path / "export.json", aws_docs[:5]))
    assert records == aws_docs[:5]


def test_gzip_is_recognised_by_content_not_name(
    tmp_path: Path, aws_docs: list[dict[str, Any]]
) -> None:
    # `aws s3 cp` without --content-encoding, or a rename, leaves gzip data in a `.json` file.
    path = write_json(tmp_path / "misnamed.json", {"Records": aws_docs[:3]}, compress=True)
    assert read_all(path)[0] == aws_docs[:3]


def test_blank_lines_are_not_counted_as_skipped(
    tmp_path: Path, aws_docs: list[dict[str, Any]]
) -> None:
    path = tmp_path / "gaps.jsonl"
    path.write_text(
        "\n" + json.dumps(aws_docs[0]) + "\n\n  \r\n" + json.dumps(aws_docs[1]) + "\r\n"
    )
    records, stats = read_all(path)
    assert records == aws_docs[:2]
    assert stats.skipped == 0


def test_directories_are_walked_recursively_in_sorted_order(
    tmp_path: Path, aws_docs: list[dict[str, Any]], stratus: list[dict[str, Any]]
) -> None:
    root = tmp_path / "AWSLogs"
    write_json(root / "b" / "2024" / "01.json.gz", {"Records": stratus[:2]}, compress=True)
    write_jsonl(root / "a.jsonl", aws_docs[:2])
    write_json(root / "b" / "00-lookup.json", lookup_events(aws_docs[2:4]))
    write_jsonl(root / "c" / "d" / "e.jsonl.gz", stratus[2:3], compress=True)
    (root / "empty").mkdir()
    assert [p.relative_to(root).as_posix() for p in input_files([root])] == [
        "a.jsonl",
        "b/00-lookup.json",
        "b/2024/01.json.gz",
        "c/d/e.jsonl.gz",
    ]
    records, stats = read_all(root)
    assert records == aws_docs[:2] + aws_docs[2:4] + stratus[:2] + stratus[2:3]
    assert (stats.files, stats.skipped) == (4, 0)


def test_files_and_directories_mix_in_the_order_given(
    tmp_path: Path, aws_docs: list[dict[str, Any]]
) -> None:
    folder = tmp_path / "folder"
    write_jsonl(folder / "x.jsonl", aws_docs[1:2])
    single = write_jsonl(tmp_path / "single.jsonl", aws_docs[:1])
    assert read_all(single, folder)[0] == aws_docs[:2]
    assert read_all(folder, single)[0] == [aws_docs[1], aws_docs[0]]


def test_empty_directory_gives_no_files_and_nothing_skipped(tmp_path: Path) -> None:
    records, stats = read_all(tmp_path)
    assert records == []
    assert (stats.files, stats.skipped) == (0, 0)


# --- broken input --------------------------------------------------------------------------------


def test_broken_line_is_skipped_with_its_file_and_line(
    tmp_path: Path, aws_docs: list[dict[str, Any]]
) -> None:
    path = tmp_path / "broken.jsonl"
    lines = [json.dumps(r) for r in aws_docs[:4]]
    lines[2] = lines[2][:50]  # a record cut off mid-write
    path.write_text("\n".join(lines) + "\n")
    records, stats = read_all(path)
    assert records == [aws_docs[0], aws_docs[1], aws_docs[3]]
    assert stats.skipped == 1
    assert stats.reasons[0].startswith(f"{path}:3: not valid JSON (")


def test_record_that_is_not_an_object_is_skipped(
    tmp_path: Path, aws_docs: list[dict[str, Any]]
) -> None:
    lines = write_jsonl(tmp_path / "odd.jsonl", [aws_docs[0], [aws_docs[1]], "text", 7, None])
    delivery = write_json(tmp_path / "odd.json", {"Records": [aws_docs[2], ["x"]]})
    records, stats = read_all(lines, delivery)
    assert records == [aws_docs[0], aws_docs[2]]
    assert stats.skipped == 5
    assert stats.reasons == [
        f"{lines}:2: a record must be a JSON object, not an array",
        f"{lines}:3: a record must be a JSON object, not a string",
        f"{lines}:4: a record must be a JSON object, not a number",
        f"{lines}:5: a record must be a JSON object, not null",
        f"{delivery}: Records[1]: a record must be a JSON object, not an array",
    ]


def test_truncated_jsonl_gz_keeps_the_records_before_the_break(
    tmp_path: Path, stratus: list[dict[str, Any]]
) -> None:
    whole = gzip.compress("".join(json.dumps(r) + "\n" for r in stratus).encode())
    path = tmp_path / "cut.jsonl.gz"
    path.write_bytes(whole[: len(whole) * 2 // 3])
    records, stats = read_all(path)
    # Everything read is a prefix of the file, and most of it survives.
    assert records == stratus[: len(records)]
    assert len(stratus) // 3 < len(records) < len(stratus)
    assert stats.skipped == 1
    assert "truncated or corrupt file" in stats.reasons[0]
    assert stats.reasons[0].startswith(f"{path}:{len(records) + 1}:")


def test_truncated_delivery_file_is_skipped_whole(
    tmp_path: Path, stratus: list[dict[str, Any]], aws_docs: list[dict[str, Any]]
) -> None:
    cut = write_json(tmp_path / "a.json.gz", {"Records": stratus}, compress=True)
    cut.write_bytes(cut.read_bytes()[:-200])
    good = write_jsonl(tmp_path / "b.jsonl", aws_docs[:3])
    records, stats = read_all(tmp_path)
    assert records == aws_docs[:3]
    assert (stats.files, stats.skipped) == (2, 1)
    assert stats.reasons[0].startswith(f"{cut}: truncated or corrupt file (")
    assert good.exists()


def test_unreadable_file_is_skipped_and_reading_goes_on(
    tmp_path: Path, aws_docs: list[dict[str, Any]]
) -> None:
    # A dangling link is unreadable even for root, who ignores permission bits.
    (tmp_path / "a-gone.jsonl").symlink_to(tmp_path / "nowhere.jsonl")
    write_jsonl(tmp_path / "b.jsonl", aws_docs[:2])
    records, stats = read_all(tmp_path)
    assert records == aws_docs[:2]
    assert stats.skipped == 1
    assert stats.reasons == [f"{tmp_path / 'a-gone.jsonl'}: cannot read: No such file or directory"]


@pytest.mark.skipif(os.geteuid() == 0, reason="root reads files whatever their permissions")
def test_file_without_read_permission_is_skipped(
    tmp_path: Path, aws_docs: list[dict[str, Any]]
) -> None:
    path = write_jsonl(tmp_path / "secret.jsonl", aws_docs[:2])
    path.chmod(0)
    records, stats = read_all(path)
    assert records == []
    assert stats.reasons == [f"{path}: cannot read: Permission denied"]


def test_json_of_an_unknown_shape_is_skipped_and_what_is_not_cloudtrail_ignored(
    tmp_path: Path,
) -> None:
    (tmp_path / "notes.txt").write_text("hello")
    write_json(tmp_path / "digest.json", {"awsAccountId": "111122223333", "digestStartTime": "x"})
    write_json(tmp_path / "settings.json", {"region": "us-east-1", "profile": "audit"})
    write_json(tmp_path / "settings.txt", {"region": "us-east-1", "profile": "audit"})
    records, stats = read_all(tmp_path)
    assert records == []
    # Named JSON, holding JSON, but no records: broken input. The rest is not CloudTrail.
    assert (stats.files, stats.skipped, stats.ignored) == (1, 1, 3)
    assert stats.reasons == [
        f"{tmp_path / 'settings.json'}: unknown format "
        '(expected {"Records": [...]}, {"Events": [...]}, an array or a record)',
    ]
    assert stats.ignored_reasons == [
        f"{tmp_path / 'digest.json'}: a CloudTrail digest file, no records",
        f"{tmp_path / 'notes.txt'}: not CloudTrail (no JSON)",
        f"{tmp_path / 'settings.txt'}: not CloudTrail (JSON, but no records)",
    ]


def test_invalid_json_document_names_the_line(tmp_path: Path) -> None:
    path = tmp_path / "bad.json"
    path.write_text('{"Records": [\n{"eventName": "x"},\n{oops}\n]}')
    records, stats = read_all(path)
    assert records == []
    assert stats.reasons[0].startswith(f"{path}:3: not valid JSON (")


def test_lookup_event_without_a_readable_record_is_skipped(
    tmp_path: Path, aws_docs: list[dict[str, Any]]
) -> None:
    document = lookup_events(aws_docs[:2])
    document["Events"] += [
        {"EventId": "x"},
        {"CloudTrailEvent": "{broken"},
        "text",
        {"CloudTrailEvent": "[]"},
    ]
    path = write_json(tmp_path / "lookup.json", document)
    records, stats = read_all(path)
    assert records == aws_docs[:2]
    assert stats.skipped == 4
    assert stats.reasons[0] == f"{path}: Events[2]: no CloudTrailEvent string"
    assert stats.reasons[1].startswith(f"{path}: Events[3]: CloudTrailEvent is not valid JSON")
    assert stats.reasons[3] == (
        f"{path}: Events[5]: CloudTrailEvent a record must be a JSON object, not an array"
    )


def test_only_the_first_few_reasons_are_kept_but_all_are_counted(tmp_path: Path) -> None:
    path = tmp_path / "junk.jsonl"
    path.write_text("".join(f"junk {i}\n" for i in range(20)))
    records, stats = read_all(path)
    assert records == []
    assert stats.skipped == 20
    assert len(stats.reasons) == MAX_REASONS
    assert stats.reasons[-1].startswith(f"{path}:{MAX_REASONS}:")


def test_invalid_utf8_spoils_only_its_own_characters(
    tmp_path: Path, aws_docs: list[dict[str, Any]]
) -> None:
    path = tmp_path / "latin1.jsonl"
    path.write_bytes(b'{"eventName": "caf\xe9"}\n' + json.dumps(aws_docs[0]).encode() + b"\n")
    records, stats = read_all(path)
    assert records == [{"eventName": "caf\ufffd"}, aws_docs[0]]
    assert stats.skipped == 0


# --- paths, progress and memory ------------------------------------------------------------------


def test_missing_path_is_an_error_naming_it(tmp_path: Path) -> None:
    with pytest.raises(InputError, match=f"{tmp_path / 'nope'}: no such file or directory"):
        check_paths([tmp_path, tmp_path / "nope"])


def test_progress_adds_up_to_the_size_of_the_input(
    tmp_path: Path, stratus: list[dict[str, Any]]
) -> None:
    write_jsonl(tmp_path / "big.jsonl", stratus * 20)  # several progress reports
    write_json(tmp_path / "d.json.gz", {"Records": stratus}, compress=True)
    (tmp_path / "x.txt").write_text("ignored, but still part of the total")
    steps: list[int] = []
    stats = ReadStats()
    records = sum(1 for _ in read_records([tmp_path], stats, steps.append))
    assert records == len(stratus) * 21
    assert len(steps) > 3
    assert all(step > 0 for step in steps)
    assert input_size([tmp_path]) == (3, sum(steps))


def test_memory_stays_flat_as_jsonl_grows(tmp_path: Path, stratus: list[dict[str, Any]]) -> None:
    def peak(copies: int) -> int:
        path = write_jsonl(tmp_path / f"x{copies}.jsonl", stratus * copies)
        tracemalloc.start()
        try:
            for _ in read_records([path], ReadStats()):
                pass
            return tracemalloc.get_traced_memory()[1]
        finally:
            tracemalloc.stop()

    small, large = peak(2), peak(20)
    # Ten times the records, about the same peak: nothing grows with the input.
    assert large < small * 1.5
