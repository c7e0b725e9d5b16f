"""One exit-status convention for every command: 0 ok, 1 findings, 2 usage or input error, 130
interrupted; and `trailwatch --help` lists every command with its module's first docstring line.
"""

from __future__ import annotations

import importlib
import re
from pathlib import Path
from typing import Any, NoReturn

import pytest
import yaml

from tests.helpers import REPO, SynthFactory, default_config
from trailwatch.cli import COMMANDS, main

DEFAULT_CONFIG = REPO / "trailwatch.yaml"
VPC = yaml.safe_load((REPO / "events" / "vpc-changes.yaml").read_text())

# Each command of this convention with the arguments it needs besides --config.
ARGS: dict[str, list[str]] = {
    "validate": [],
    "test": [],
    "replay": [str(REPO)],
    "tune": [str(REPO / "events")],
    "state": [],
    "coverage": [],
}


def write_config(tmp_path: Path, **changes: Any) -> Path:
    config = default_config()
    config.update(changes)
    path = tmp_path / "trailwatch.yaml"
    path.write_text(yaml.safe_dump(config))
    return path


# --- 2: usage and input errors ---------------------------------------------------------------


@pytest.mark.parametrize("command", sorted(ARGS))
def test_an_unknown_option_is_a_usage_error(
    command: str, capsys: pytest.CaptureFixture[str]
) -> None:
    with pytest.raises(SystemExit) as exit_:
        main([command, "--no-such-option", *ARGS[command]])
    assert exit_.value.code == 2
    assert "unrecognized arguments: --no-such-option" in capsys.readouterr().err


def test_no_command_is_a_usage_error(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as exit_:
        main([])
    assert exit_.value.code == 2
    assert "required: COMMAND" in capsys.readouterr().err


@pytest.mark.parametrize("command", sorted(ARGS))
def test_a_missing_config_is_one_line_and_exit_2(
    command: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    missing = tmp_path / "nowhere.yaml"
    assert main([command, "--config", str(missing), *ARGS[command]]) == 2
    out, err = capsys.readouterr()
    assert out == ""
    assert err == f"trailwatch: {missing}: config file not found " + (
        "(set TRAILWATCH_CONFIG or create trailwatch.yaml)\n"
    )


def test_a_missing_replay_input_is_exit_2(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    missing = tmp_path / "gone.jsonl"
    assert main(["replay", "--config", str(DEFAULT_CONFIG), str(missing)]) == 2
    err = capsys.readouterr().err
    assert err.startswith(f"trailwatch: {missing}") and err.count("\n") == 1
    assert "Traceback" not in err


# --- 0 and 1: ok and findings ----------------------------------------------------------------


def test_validate_exits_0(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["validate", "--config", str(DEFAULT_CONFIG)]) == 0


def test_a_failing_sample_exits_1(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    events = tmp_path / "my-events"
    events.mkdir()
    event = {k: v for k, v in VPC.items() if k != "profiles"}
    event.update(
        id="create-vpc-only",
        metric_name="CreateVpcCount",
        alarm_name="CreateVpcOnly",
        pattern="{ $.eventName = DeleteVpc }",
        samples={
            "match": [{"note": "a CreateVpc call", "record": {"eventName": "CreateVpc"}}] * 2,
            "no_match": [{"note": "nothing", "record": {"eventName": "X"}}] * 2,
        },
    )
    (events / "create-vpc.yaml").write_text(yaml.safe_dump(event))
    config = write_config(tmp_path, event_directories=["my-events"])
    assert main(["test", "--config", str(config)]) == 1
    assert main(["test", "--json", "--config", str(config)]) == 1
    assert main(["test", "--config", str(DEFAULT_CONFIG)]) == 0


def test_nothing_readable_in_replay_exits_1(
    tmp_path: Path, shared_samples_dir: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["replay", "--config", str(DEFAULT_CONFIG), str(tmp_path)]) == 1
    assert "no CloudTrail record could be read" in capsys.readouterr().err
    sample = shared_samples_dir / "aws-docs.jsonl"
    assert main(["replay", "--config", str(DEFAULT_CONFIG), str(sample)]) == 0


def test_drift_exits_1(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    # No state beside the config: nothing deployed, which is drift.
    monkeypatch.delenv("TRAILWATCH_ENDPOINT_URL", raising=False)
    assert main(["state", "--config", str(write_config(tmp_path))]) == 1
    assert "drift found" in capsys.readouterr().out


def test_an_unmet_control_exits_1(
    synth_config: SynthFactory, capsys: pytest.CaptureFixture[str]
) -> None:
    config = default_config()
    config["disabled_events"] = ["root-account-usage"]
    # The name and config tests/test_coverage.py synthesizes too: once per session.
    synth = synth_config("coverage-without-root", config)
    path = synth.workdir / "trailwatch.yaml"
    args = ["coverage", "--config", str(path), "--synth-dir", str(synth.outdir)]
    assert main(args) == 1
    assert main([*args, "--json"]) == 1


# --- 130: interrupted ------------------------------------------------------------------------


@pytest.mark.parametrize("command", sorted(ARGS))
def test_ctrl_c_exits_130_with_one_line(
    command: str, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    def interrupted(_args: object) -> NoReturn:
        raise KeyboardInterrupt

    monkeypatch.setattr(importlib.import_module(COMMANDS[command]), "run", interrupted)
    assert main([command, "--config", str(DEFAULT_CONFIG), *ARGS[command]]) == 130
    assert capsys.readouterr().err == "trailwatch: interrupted\n"


# --- --help --------------------------------------------------------------------------------


def test_help_lists_every_command_with_its_docstring_summary(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setenv("COLUMNS", "400")  # one line per command
    with pytest.raises(SystemExit) as exit_:
        main(["--help"])
    assert exit_.value.code == 0
    out = capsys.readouterr().out
    listed = re.findall(r"^    (\S+)\s+(.+)$", out, re.MULTILINE)
    assert [name for name, _ in listed] == [
        "validate",
        "test",
        "replay",
        "tune",
        "athena-ddl",
        "state",
        "drill",
        "coverage",
        "plan-report",
        "destroy",
    ]
    for name, summary in listed:
        doc = importlib.import_module(COMMANDS[name]).__doc__ or ""
        first = doc.strip().splitlines()[0]
        assert first.startswith(f"`trailwatch {name}`: "), name
        assert summary == first.removeprefix(f"`trailwatch {name}`: ").rstrip("."), name
    assert "exit status: 0 ok, 1 findings, 2 usage or input error, 130 interrupted" in out
