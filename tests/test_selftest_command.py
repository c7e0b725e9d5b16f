"""`trailwatch test`: every event proves its pattern with its samples, users' events too."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
import yaml

from tests.helpers import REPO, default_config
from trailwatch.cli import main

VPC = yaml.safe_load((REPO / "events" / "vpc-changes.yaml").read_text())


def write_config(tmp_path: Path, **changes: Any) -> Path:
    config = default_config()
    config.update(changes)
    path = tmp_path / "trailwatch.yaml"
    path.write_text(yaml.safe_dump(config))
    return path


def run_json(capsys: pytest.CaptureFixture[str], config: Path) -> tuple[int, dict[str, Any]]:
    code = main(["test", "--json", "--config", str(config)])
    return code, json.loads(capsys.readouterr().out)


def test_every_catalog_event_is_proven(capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    code, report = run_json(capsys, write_config(tmp_path))
    assert code == 0
    assert report["ok"] is True
    assert len(report["events"]) == 17
    for event_id, result in report["events"].items():
        assert result["match"] >= 2 and result["no_match"] >= 2, event_id
        assert result["failures"] == []


def test_prowler_profile_runs_its_own_samples(
    capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    code, report = run_json(capsys, write_config(tmp_path, pattern_profile="prowler"))
    assert (code, report["profile"], report["ok"]) == (0, "prowler", True)


def test_user_event_with_a_wrong_sample_fails_and_says_which(
    capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    events = tmp_path / "my-events"
    events.mkdir()
    record = VPC["samples"]["match"][0]["record"]
    event = {k: v for k, v in VPC.items() if k != "profiles"}
    event.update(
        id="create-vpc-only",
        metric_name="CreateVpcCount",
        alarm_name="CreateVpcOnly",
        pattern="{ $.eventName = DeleteVpc }",
        samples={
            "match": [{"note": "a CreateVpc call", "record": record}] * 2,
            "no_match": [{"note": "nothing", "record": {"eventName": "X"}}] * 2,
        },
    )
    (events / "create-vpc.yaml").write_text(yaml.safe_dump(event))
    config = write_config(tmp_path, event_directories=["my-events"])
    code, report = run_json(capsys, config)
    assert code == 1
    assert report["events"]["create-vpc-only"]["failures"] == ["a CreateVpc call"] * 2
    assert report["events"]["vpc-changes"]["ok"] is True

    assert main(["test", "--config", str(config)]) == 1
    out = capsys.readouterr().out
    assert "create-vpc-only: should match but did not: a CreateVpc call" in out
    assert "17 of 18 events proven" in out


def test_user_event_without_samples_is_not_proven(
    capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    events = tmp_path / "my-events"
    events.mkdir()
    event = {k: v for k, v in VPC.items() if k not in ("profiles", "samples")}
    event.update(id="bare", metric_name="BareCount", alarm_name="Bare")
    (events / "bare.yaml").write_text(yaml.safe_dump(event))
    code, report = run_json(capsys, write_config(tmp_path, event_directories=["my-events"]))
    assert code == 1
    assert report["events"]["bare"] == {"ok": False, "match": 0, "no_match": 0, "failures": []}


def test_the_json_is_the_evidence_reports_own(
    capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    from trailwatch.replay.evidence import check_evidence
    from trailwatch.spec.model import load_deployment

    config = write_config(tmp_path)
    _, report = run_json(capsys, config)
    evidence = check_evidence(load_deployment(config))
    assert report == evidence.to_json()
    assert evidence.ok and evidence.failed == ()
    assert [e.event_id for e in evidence.events] == list(report["events"])
