"""The engine against the independent answer key: 853 real CloudTrail records, 17 events.

`expected-matches.json` was computed by plain Python predicates written from the Security Hub /
CIS patterns, not by a filter-pattern engine. Any record where the engine and the key differ
must be listed in KNOWN_DISAGREEMENTS with the side that is wrong and why; there are none: every
one of the 853 x 17 answers agrees.

Cases the key and the engine agree on that a naive engine would get wrong (checked by hand
against filter-patterns.md when the agreement was first measured):
- panther-analysis.jsonl:412, errorCode "VpceAccessDenied": `"AccessDenied*"` is a prefix test,
  so no authorization-failures.
- panther-analysis.jsonl:33 (and other sign-ins without additionalEventData): `MFAUsed != "Yes"`
  does not hold for a missing field, so no console-signin-without-mfa.
- aws-docs.jsonl:7, root sign-in with MFAUsed "YES": root-account-usage only; the MFA alarm is
  for IAM users.
- panther-analysis.jsonl:301/302, root calls with invokedBy signin.amazonaws.com: no
  root-account-usage.
- panther-analysis.jsonl:92, requestParameters.instanceType is an object: no match on it.
- panther-analysis.jsonl:23, LeaveOrganization refused with AccessDenied: both
  authorization-failures and organizations-changes (the Organizations filter ignores errorCode).
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
import yaml

from trailwatch.patterns import compile_many, compile_pattern

REPO = Path(__file__).resolve().parents[1]
SAMPLE_FILES = {"aws-docs.jsonl": 111, "panther-analysis.jsonl": 432, "stratus-red-team.jsonl": 310}

# (file, 1-based line, event id) -> "which side is wrong, and why". Empty: full agreement.
KNOWN_DISAGREEMENTS: dict[tuple[str, int, str], str] = {}


def event_patterns() -> dict[str, str]:
    patterns = {}
    for path in sorted((REPO / "events").glob("*.yaml")):
        data = yaml.safe_load(path.read_text(encoding="utf-8"))
        patterns[data["id"]] = data["pattern"]
    return patterns


@pytest.fixture(scope="module")
def answer_key(shared_samples_dir: Path) -> dict[str, list[list[str]]]:
    data = json.loads((shared_samples_dir / "expected-matches.json").read_text(encoding="utf-8"))
    files: dict[str, list[list[str]]] = data["files"]
    return files


def read_lines(shared_samples_dir: Path, name: str) -> list[str]:
    return (shared_samples_dir / name).read_text(encoding="utf-8").splitlines()


def test_answer_key_is_line_aligned_with_the_853_records(
    shared_samples_dir: Path, answer_key: dict[str, list[list[str]]]
) -> None:
    assert set(answer_key) == set(SAMPLE_FILES)
    for name, count in SAMPLE_FILES.items():
        assert len(read_lines(shared_samples_dir, name)) == count
        assert len(answer_key[name]) == count
    assert sum(SAMPLE_FILES.values()) == 853


def test_answer_key_names_only_catalog_events(answer_key: dict[str, list[list[str]]]) -> None:
    named = {event_id for lists in answer_key.values() for ids in lists for event_id in ids}
    assert named <= set(event_patterns())
    assert len(event_patterns()) == 17


@pytest.mark.parametrize("name", sorted(SAMPLE_FILES))
def test_engine_agrees_with_answer_key(
    name: str, shared_samples_dir: Path, answer_key: dict[str, list[list[str]]]
) -> None:
    patterns = {event_id: compile_pattern(text) for event_id, text in event_patterns().items()}
    disagreements: dict[tuple[str, int, str], str] = {}
    lines = read_lines(shared_samples_dir, name)
    for number, (line, expected) in enumerate(zip(lines, answer_key[name], strict=True), 1):
        record = json.loads(line)
        for event_id, pattern in patterns.items():
            got = pattern.matches(record)
            if got != (event_id in expected):
                side = "engine matches, key does not" if got else "key matches, engine does not"
                disagreements[(name, number, event_id)] = side
    documented = {k: v for k, v in KNOWN_DISAGREEMENTS.items() if k[0] == name}
    assert set(disagreements) == set(documented), disagreements


def test_match_set_agrees_with_answer_key(
    shared_samples_dir: Path, answer_key: dict[str, list[list[str]]]
) -> None:
    match = compile_many(event_patterns())
    for name in SAMPLE_FILES:
        lines = read_lines(shared_samples_dir, name)
        for number, (line, expected) in enumerate(zip(lines, answer_key[name], strict=True), 1):
            wrong = {k for k in KNOWN_DISAGREEMENTS if k[:2] == (name, number)}
            if not wrong:
                assert sorted(match(line)) == sorted(expected), (name, number)


def test_every_event_but_large_instances_has_a_positive_sample(
    answer_key: dict[str, list[list[str]]],
) -> None:
    seen = {event_id for lists in answer_key.values() for ids in lists for event_id in ids}
    assert set(event_patterns()) - seen == {"ec2-large-instance-changes"}


# --- ec2-large-instance-changes: no positive record in the samples, so our own ------------


@pytest.fixture(scope="module")
def run_instances(shared_samples_dir: Path) -> dict[str, Any]:
    """AWS's documented RunInstances record (aws-docs.jsonl line 45, an m3.medium)."""
    record: dict[str, Any] = json.loads(read_lines(shared_samples_dir, "aws-docs.jsonl")[44])
    assert record["eventName"] == "RunInstances"
    assert record["requestParameters"]["instanceType"] == "m3.medium"
    return record


def with_type(record: dict[str, Any], instance_type: object) -> dict[str, Any]:
    changed: dict[str, Any] = json.loads(json.dumps(record))
    changed["requestParameters"]["instanceType"] = instance_type
    return changed


LARGE = event_patterns()["ec2-large-instance-changes"]


@pytest.mark.parametrize(
    "instance_type", ["m5.8xlarge", "c5.4xlarge", "p4d.8xlarge", "r6g.4xlarge"]
)
def test_large_instance_launch_matches(run_instances: dict[str, Any], instance_type: str) -> None:
    assert compile_pattern(LARGE).matches(with_type(run_instances, instance_type))


@pytest.mark.parametrize(
    "instance_type",
    [
        "m3.medium",
        "m5.xlarge",
        "m5.2xlarge",
        "m5.12xlarge",
        "c5.18xlarge",
        "m5.24xlarge",
        "8xlarge",
        "M5.8XLARGE",
        "m5.8xlarge ",
        None,
        {"value": "m5.8xlarge"},
    ],
)
def test_other_instance_types_do_not_match(
    run_instances: dict[str, Any], instance_type: object
) -> None:
    # `*.8xlarge` is a case-sensitive suffix test that includes the dot: "c5.18xlarge" and
    # "m5.24xlarge" end in ".18xlarge" and ".24xlarge", so they do not match.
    assert not compile_pattern(LARGE).matches(with_type(run_instances, instance_type))


def test_large_instance_needs_run_instances(run_instances: dict[str, Any]) -> None:
    record = with_type(run_instances, "m5.8xlarge") | {"eventName": "StartInstances"}
    assert not compile_pattern(LARGE).matches(record)


def test_large_instance_without_instance_type_does_not_match(run_instances: dict[str, Any]) -> None:
    record = with_type(run_instances, "m5.8xlarge")
    del record["requestParameters"]["instanceType"]
    assert not compile_pattern(LARGE).matches(record)
