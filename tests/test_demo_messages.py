"""What `make demo`, the emulator and the table commands tell a person (issue 14, point 5).

- Tables keep their rows on one line when the output is not a terminal (rich's default there
  is 80 columns, which split event ids).
- A synth with TRAILWATCH_ENDPOINT_URL set writes `.emulator/cdktf.out` unless CDKTF_OUTDIR is
  given; `python main.py` without it writes `cdktf.out`; the two are never mixed.
- Ctrl-C during the demo says "interrupted" and exits 130, SIGTERM 143; never "failed".
- A step that fails because the emulator process died says so, with the emulator's last lines.
"""

from __future__ import annotations

import io
import json
import os
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import yaml
from rich.console import Console

from tests.helpers import REPO, default_config, missing_tool
from trailwatch.cli.console import RULE_WIDTH_OFF_TERMINAL, WIDTH_OFF_TERMINAL, console
from trailwatch.errors import DemoStepFailed
from trailwatch.spec.catalog import load_catalog
from trailwatch.spec.config import BUILTIN_EVENTS, EMULATOR_OUTDIR, REAL_OUTDIR, Environment
from trailwatch.tooling import demo as demo_module
from trailwatch.tooling.emulator import Emulator, moto_available

ENDPOINT = "http://127.0.0.1:5999"


def _event_ids() -> list[str]:
    return list(load_catalog([BUILTIN_EVENTS]))


def _cli_env(**extra: str) -> dict[str, str]:
    env = {
        k: v
        for k, v in os.environ.items()
        if k not in ("COLUMNS", "TRAILWATCH_ENDPOINT_URL", "CDKTF_OUTDIR", "TRAILWATCH_CONFIG")
    }
    env.update(extra)
    return env


# --- tables off a terminal ---------------------------------------------------------------


@pytest.mark.parametrize("command", ["validate", "test"])
def test_table_rows_keep_event_ids_whole_in_a_pipe(command: str) -> None:
    result = subprocess.run(
        [sys.executable, "-m", "trailwatch.cli", command],
        cwd=REPO,
        env=_cli_env(),
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert result.returncode == 0, result.stderr
    lines = result.stdout.splitlines()
    ids = _event_ids()
    assert len(ids) == 17
    for event_id in ids:
        rows = [line for line in lines if event_id in line.split()]
        # `in line.split()` needs the id as one cell: a split id ("console-signin-wi" / "thout-
        # mfa") or one broken at a hyphen would be found on no line. validate lists each event
        # in its alarm table, again in each target's routing table and in primary's EventBridge
        # rules table.
        whole = [r for r in rows if f"│ {event_id} " in r]
        assert whole and len(whole) == len(rows), (event_id, result.stdout)
        assert len(whole) == (4 if command == "validate" else 1), (event_id, result.stdout)
    # Off a terminal the table is as wide as its content, not padded to the console's width.
    assert max(len(line) for line in lines) < WIDTH_OFF_TERMINAL


def test_console_is_wide_off_a_terminal_and_rules_stay_short(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.delenv("COLUMNS", raising=False)
    out = io.StringIO()
    monkeypatch.setattr(sys, "stdout", out)
    wide = console()
    assert wide.width == WIDTH_OFF_TERMINAL
    wide.rule("trailwatch-primary (us-east-1)")
    wide.print("x" * 150)
    rule, text = out.getvalue().splitlines()
    assert len(rule) == RULE_WIDTH_OFF_TERMINAL
    assert "trailwatch-primary (us-east-1)" in rule
    assert text == "x" * 150


def test_console_keeps_columns_and_terminals(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("COLUMNS", "60")
    assert console().width == 60
    assert console(stderr=True).width == 60
    monkeypatch.delenv("COLUMNS")
    monkeypatch.setattr(Console, "is_terminal", property(lambda self: True))
    assert type(console()) is Console


# --- where synth writes ------------------------------------------------------------------


def test_environment_outdir_follows_the_endpoint() -> None:
    assert Environment.from_os({}).outdir == Path(REAL_OUTDIR)
    emulator = Environment.from_os({"TRAILWATCH_ENDPOINT_URL": ENDPOINT})
    assert emulator.outdir == Path(EMULATOR_OUTDIR) == Path(".emulator/cdktf.out")
    explicit = {"TRAILWATCH_ENDPOINT_URL": ENDPOINT, "CDKTF_OUTDIR": "/tmp/elsewhere"}
    assert Environment.from_os(explicit).outdir == Path("/tmp/elsewhere")
    assert Environment.from_os({"CDKTF_OUTDIR": "out"}).outdir == Path("out")


def _main_py(cwd: Path, **extra: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, str(REPO / "main.py")],
        cwd=cwd,
        env=_cli_env(**extra),
        capture_output=True,
        text=True,
        timeout=300,
    )


def test_main_py_refuses_the_real_outdir_for_the_emulator() -> None:
    """`cdktf deploy` without `--output` sets CDKTF_OUTDIR=cdktf.out: refused with the fix."""
    result = _main_py(REPO, TRAILWATCH_ENDPOINT_URL=ENDPOINT, CDKTF_OUTDIR=str(REPO / REAL_OUTDIR))
    assert result.returncode == 2
    assert "TRAILWATCH_ENDPOINT_URL is set" in result.stderr
    assert f"--output {EMULATOR_OUTDIR}" in result.stderr
    result = _main_py(REPO, CDKTF_OUTDIR=str(REPO / EMULATOR_OUTDIR))
    assert result.returncode == 2
    assert "the emulator's but TRAILWATCH_ENDPOINT_URL is unset" in result.stderr


def _write_config(workdir: Path) -> Path:
    config = workdir / "trailwatch.yaml"
    config.write_text(yaml.safe_dump(default_config(), sort_keys=False))
    return config


@pytest.mark.synth
def test_main_py_with_the_endpoint_writes_the_emulator_outdir(tmp_path: Path) -> None:
    config = _write_config(tmp_path)
    result = _main_py(tmp_path, TRAILWATCH_CONFIG=str(config), TRAILWATCH_ENDPOINT_URL=ENDPOINT)
    assert result.returncode == 0, result.stderr
    stack = tmp_path / EMULATOR_OUTDIR / "stacks" / "trailwatch-primary" / "cdk.tf.json"
    assert stack.is_file()
    assert not (tmp_path / REAL_OUTDIR).exists()
    synthesized: dict[str, Any] = json.loads(stack.read_text())
    backend = synthesized["terraform"]["backend"]["local"]["path"]
    # From .emulator/cdktf.out/stacks/<stack> up to the config's folder, then the emulator state.
    assert backend == "../../../state/trailwatch-primary.tfstate"
    assert (stack.parent / backend).resolve() == (
        tmp_path / ".emulator" / "state" / "trailwatch-primary.tfstate"
    )


# --- demo: interrupted, not failed -------------------------------------------------------


class _FakeEmulator:
    """Enough of Emulator for Demo.run, without a server."""

    stopped = False

    def start(self) -> _FakeEmulator:
        return self

    def stop(self) -> None:
        _FakeEmulator.stopped = True

    def env(self) -> dict[str, str]:
        return {"TRAILWATCH_ENDPOINT_URL": ENDPOINT}

    @property
    def endpoint_url(self) -> str:
        return ENDPOINT

    def exit_report(self, lines: int = 15) -> str | None:
        return None


@pytest.fixture
def fake_demo(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> Iterator[None]:
    """Demo.run with a fake emulator, its environment changes and chdir undone after."""
    monkeypatch.setattr(demo_module, "Emulator", _FakeEmulator)
    monkeypatch.setattr(demo_module, "DEMO_LOCK", str(tmp_path / "demo.lock"))
    monkeypatch.setattr(os, "environ", os.environ.copy())
    monkeypatch.chdir(REPO)
    monkeypatch.delenv("COLUMNS", raising=False)
    _FakeEmulator.stopped = False
    yield


def _interrupt_prepare(monkeypatch: pytest.MonkeyPatch, how: str) -> None:
    def prepare(self: demo_module.Demo, deployment: object) -> None:
        if how == "ctrl-c":
            raise KeyboardInterrupt
        os.kill(os.getpid(), signal.SIGTERM)
        time.sleep(5)  # the handler raises before this ends
        raise AssertionError("SIGTERM was not handled")

    monkeypatch.setattr(demo_module.Demo, "_prepare", prepare)


def test_ctrl_c_during_the_demo_says_interrupted_and_exits_130(
    fake_demo: None, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    _interrupt_prepare(monkeypatch, "ctrl-c")
    assert demo_module.main() == 130
    out = capsys.readouterr().out
    assert "demo interrupted (Ctrl-C)" in out
    assert "failed" not in out
    assert _FakeEmulator.stopped


def test_sigterm_during_the_demo_says_interrupted_and_exits_143(
    fake_demo: None, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    before = signal.getsignal(signal.SIGTERM)
    _interrupt_prepare(monkeypatch, "sigterm")
    assert demo_module.main() == 128 + signal.SIGTERM
    out = capsys.readouterr().out
    assert "demo interrupted (SIGTERM)" in out
    assert "failed" not in out
    assert _FakeEmulator.stopped
    assert signal.getsignal(signal.SIGTERM) == before  # the demo's handler is gone again


def test_a_command_interrupted_inside_the_demo_is_interrupted(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """`trailwatch state` catches Ctrl-C itself and returns 130: the demo must not call that
    "failed with the error above"."""
    import trailwatch.cli

    monkeypatch.setattr(trailwatch.cli, "main", lambda argv: 130)
    demo = demo_module.Demo(Console(file=io.StringIO()))
    with pytest.raises(KeyboardInterrupt), demo.step("trailwatch state"):
        demo._command(["state"], "drift")


def test_a_second_demo_refuses_while_one_runs(tmp_path: Path) -> None:
    """Two demos share `.emulator/`: the second would clear the first's state under it."""
    lock = tmp_path / "demo.lock"
    holder = subprocess.Popen(
        [
            sys.executable,
            "-c",
            "import sys, time; from pathlib import Path; "
            "from trailwatch.tooling.demo import lock_demo; "
            f"held = lock_demo(Path({str(lock)!r})); print('locked', flush=True); time.sleep(60)",
        ],
        cwd=REPO,
        stdout=subprocess.PIPE,
        text=True,
    )
    try:
        assert holder.stdout is not None and holder.stdout.readline() == "locked\n"
        with pytest.raises(DemoStepFailed) as refused:
            demo_module.lock_demo(lock)
        assert str(refused.value).startswith(f"another make demo is running (pid {holder.pid}")
    finally:
        holder.kill()
        holder.wait()
    demo_module.lock_demo(lock).close()  # free again once the first is gone


# --- demo: the emulator died ---------------------------------------------------------------


@pytest.fixture
def emulator() -> Iterator[Emulator]:
    if not moto_available():
        missing_tool("moto[server] is not installed (make install)")
    with Emulator() as started:
        yield started


def _kill(emulator: Emulator) -> None:
    assert emulator.pid is not None
    os.kill(emulator.pid, signal.SIGKILL)
    deadline = time.monotonic() + 10
    while emulator.running and time.monotonic() < deadline:
        time.sleep(0.05)
    assert not emulator.running


def test_a_step_after_the_emulator_died_names_it(
    emulator: Emulator, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    url, pid = emulator.endpoint_url, emulator.pid
    demo = demo_module.Demo(Console(file=io.StringIO()))
    demo.emulator = emulator
    # Alive: a failure is only the step's own.
    with pytest.raises(DemoStepFailed) as alive, demo.step("prepare"):
        raise OSError("disk full")
    assert str(alive.value) == "step 'prepare' failed: disk full"

    _kill(emulator)
    monkeypatch.setenv("TRAILWATCH_ENDPOINT_URL", url)
    monkeypatch.setenv("TRAILWATCH_CONFIG", str(REPO / "trailwatch.yaml"))
    monkeypatch.setenv("AWS_MAX_ATTEMPTS", "1")
    with pytest.raises(DemoStepFailed) as dead, demo.step("trailwatch drill"):
        demo._command(["drill", "--target", "primary"], "a filter did not match")
    message = str(dead.value)
    assert message.startswith(
        f"step 'trailwatch drill' failed: the emulator (moto_server, pid {pid}, port "
        f"{url.rsplit(':', 1)[1]}) was killed by signal 9; its last lines:\n"
    )
    # moto's own start-up line, from the log tail.
    assert f"Running on {url}" in message
    assert "(what the step saw: trailwatch drill exited 2 with the error above)" in message
    # The drill's own error (it could not reach the endpoint) is above, on stderr.
    assert url in capsys.readouterr().err


def test_demo_main_reports_the_dead_emulator(
    emulator: Emulator,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
    tmp_path: Path,
) -> None:
    """The whole demo: the emulator dies during the deploy step; the message says so."""
    monkeypatch.setattr(demo_module, "DEMO_LOCK", str(tmp_path / "demo.lock"))
    monkeypatch.setattr(os, "environ", os.environ.copy())
    monkeypatch.chdir(REPO)
    monkeypatch.delenv("COLUMNS", raising=False)
    monkeypatch.setattr(demo_module, "Emulator", lambda: emulator)
    monkeypatch.setattr(demo_module.Demo, "_prepare", lambda self, deployment: None)

    def deploy(self: demo_module.Demo, deployment: object) -> None:
        _kill(emulator)
        raise DemoStepFailed("cdktf deploy failed:\nError: connection refused")

    monkeypatch.setattr(demo_module.Demo, "_deploy", deploy)
    assert demo_module.main() == 1
    out = capsys.readouterr().out
    assert "demo failed: step 'deploy 2 stacks' failed: the emulator (moto_server" in out
    assert "was killed by signal 9; its last lines:" in out
    assert "Running on http://127.0.0.1:" in out
    assert "cdktf deploy failed:" in out
