"""Signals reach Terraform: a real `cdktf deploy` stopped while `terraform apply` runs (issue 14).

Each test starts its own emulator and deploys a copy of a small config (one target on an
existing trail and an existing topic: only filters and alarms, all of them PutMetricFilter and
PutMetricAlarm calls, so a deploy takes seconds and a repeated create cannot collide) from its
own folder, with its own state: the shared deploy fixture is never touched. The command and
environment are the demo's (`cdktf_deploy_command`, `deploy_environment`), PATH included.

- SIGTERM to `cdktf deploy` (what `kill`, a CI runner or Popen.terminate() send): the process
  that gets it is Node itself, and Node, Terraform and the provider are all gone within seconds;
  no process holds the state lock; the deploy runs again and converges. cdktf 0.21 stops
  Terraform the hard way (it types Ctrl-C into Terraform's terminal and exits at once, and the
  closing terminal hangs Terraform up), so Terraform's lock information file may stay behind:
  stale, it locks nothing (the local backend's lock is the kernel's, on the state file).
- `stop_deploy` (what the demo does on Ctrl-C and SIGTERM): Terraform stops gracefully, saves
  the resources it created and removes its lock information; the rerun converges too.
"""

from __future__ import annotations

import contextlib
import fcntl
import io
import json
import os
import shutil
import signal
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any
from unittest import mock

import pytest
import yaml

from tests.helpers import REPO, missing_tool
from trailwatch.spec.config import EMULATOR_OUTDIR
from trailwatch.tooling import demo
from trailwatch.tooling import deploy as deploy_process
from trailwatch.tooling.emulator import Emulator, moto_available
from trailwatch.tooling.terraform import Terraform

pytestmark = pytest.mark.emulator

TARGET = "sig"
STACK = f"trailwatch-{TARGET}"
REGION = "us-east-1"
LOG_GROUP = "/trailwatch-signals/cloudtrail"
# "A few seconds", with room for a loaded machine.
GONE_WITHIN = 10.0
APPLY_TIMEOUT = 600.0


class SignalLab:
    """One emulator, one config copy in its own folder, and the demo's `cdktf deploy` of it."""

    def __init__(self, workdir: Path, emulator: Emulator, terraform_env: dict[str, str]) -> None:
        self.workdir = workdir
        self.endpoint_url = emulator.endpoint_url
        self.config_path = workdir / "trailwatch.yaml"
        self.outdir = workdir / EMULATOR_OUTDIR
        self.state_file = workdir / ".emulator" / "state" / f"{STACK}.tfstate"
        # The local backend's lock information, beside the state file.
        self.lock_info = self.state_file.with_name(f".{self.state_file.name}.lock.info")
        self.env = deploy_process.deploy_environment(terraform_env)
        self.env.update(
            TRAILWATCH_CONFIG=str(self.config_path),
            TRAILWATCH_ENDPOINT_URL=self.endpoint_url,
        )
        self.env.pop("CDKTF_OUTDIR", None)
        self.command = deploy_process.cdktf_deploy_command(
            [STACK], self.outdir, app=f"{sys.executable} {REPO / 'main.py'}"
        )

    def client(self, service: str) -> Any:
        import boto3  # type: ignore[import-untyped]

        return boto3.client(
            service,
            region_name=REGION,
            endpoint_url=self.endpoint_url,
            aws_access_key_id="test",
            aws_secret_access_key="test",
        )

    def write_config(self) -> None:
        self.client("logs").create_log_group(logGroupName=LOG_GROUP)
        topic = self.client("sns").create_topic(Name="trailwatch-signals-alarms")["TopicArn"]
        config = {
            "notifications": {"topic_arn": topic},
            "backend": {"type": "local", "directory": "state"},
            "targets": [
                {
                    "name": TARGET,
                    "region": REGION,
                    "trail": {"mode": "existing", "log_group_name": LOG_GROUP},
                }
            ],
        }
        self.config_path.write_text(yaml.safe_dump(config, sort_keys=False))
        # cdktf reads cdktf.json from its working directory; --app and --output override it.
        shutil.copy(REPO / "cdktf.json", self.workdir / "cdktf.json")

    def start(self) -> Deploy:
        return Deploy(self, deploy_process.start_deploy(self.command, self.env, cwd=self.workdir))

    def rerun(self) -> str:
        result = subprocess.run(
            self.command,
            cwd=self.workdir,
            env=self.env,
            capture_output=True,
            text=True,
            stdin=subprocess.DEVNULL,
            timeout=APPLY_TIMEOUT,
        )
        output = demo._ANSI.sub("", result.stdout)
        assert result.returncode == 0, output[-4000:]
        return output

    def deployed(self) -> int:
        """How many filters and alarms the emulator holds (all are this stack's)."""
        filters = self.client("logs").describe_metric_filters(logGroupName=LOG_GROUP)
        alarms = self.client("cloudwatch").describe_alarms()
        return len(filters["metricFilters"]) + len(alarms["MetricAlarms"])

    def terraform(self) -> Terraform:
        return Terraform(self.outdir / "stacks" / STACK, stack=STACK, env=self.env)

    def state_resources(self) -> list[dict[str, Any]]:
        text = self.state_file.read_text() if self.state_file.exists() else ""
        if not text.strip():
            return []
        resources: list[dict[str, Any]] = json.loads(text)["resources"]
        return [r for r in resources if r["mode"] == "managed"]

    def trailwatch_state(self) -> tuple[int, str]:
        from trailwatch.cli import main

        out = io.StringIO()
        env = {
            "TRAILWATCH_CONFIG": str(self.config_path),
            "TRAILWATCH_ENDPOINT_URL": self.endpoint_url,
            "CDKTF_OUTDIR": str(self.outdir),
        }
        with mock.patch.dict(os.environ, env), contextlib.redirect_stdout(out):
            code = main(["state", "--target", TARGET])
        return code, out.getvalue()


class Deploy:
    """A running `cdktf deploy`: its output and every process seen below it."""

    def __init__(self, lab: SignalLab, process: subprocess.Popen[str]) -> None:
        self.lab = lab
        self.process = process
        self.lines: list[str] = []
        self.seen: dict[int, str] = {}
        assert process.stdout is not None
        stdout = process.stdout
        self._reader = threading.Thread(target=lambda: self.lines.extend(stdout), daemon=True)
        self._reader.start()

    def output(self) -> str:
        return demo._ANSI.sub("", "".join(self.lines))

    def wait_for_apply(self) -> None:
        """Until `terraform apply` runs, with its provider, and holds the state lock (it then
        refreshes and plans for ~10-20 s here before it creates anything: a window the signal
        hits every time; the creates themselves take under a second against the emulator).
        Every process seen on the way is remembered."""
        deadline = time.monotonic() + APPLY_TIMEOUT
        while time.monotonic() < deadline:
            assert self.process.poll() is None, "deploy ended early:\n" + self.output()[-4000:]
            self.seen.update(deploy_process.descendants(self.process.pid))
            applying = any(
                deploy_process._program(args) == "terraform" and " apply" in args
                for args in self.seen.values()
            )
            provider = any(
                deploy_process._program(args).startswith("terraform-provider-aws")
                for args in self.seen.values()
            )
            if applying and provider and self.lab.lock_info.exists():
                return
            time.sleep(0.1)
        pytest.fail("terraform apply never started:\n" + self.output()[-4000:])

    def all_gone(self, within: float) -> list[str]:
        """Processes seen below the deploy (and the deploy) still alive after `within` s."""
        pids = {self.process.pid: "cdktf deploy", **self.seen}
        deadline = time.monotonic() + within
        while True:
            alive = [f"{pid} {args}" for pid, args in pids.items() if _alive(pid)]
            if not alive or time.monotonic() > deadline:
                return alive
            time.sleep(0.2)


def _alive(pid: int) -> bool:
    """Whether `pid` runs (a zombie has exited; only its parent did not collect it yet)."""
    result = subprocess.run(["ps", "-o", "stat=", "-p", str(pid)], capture_output=True)
    return result.returncode == 0 and not result.stdout.strip().startswith(b"Z")


def _lock_is_free(state_file: Path) -> bool:
    """Whether a Terraform could take the local backend's lock: an fcntl write lock on the
    whole state file, which the kernel drops with the process that held it."""
    if not state_file.exists():
        return True
    with state_file.open("r+b") as handle:
        try:
            fcntl.lockf(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except OSError:
            return False
        fcntl.lockf(handle, fcntl.LOCK_UN)
    return True


def _is_node_itself(path: str | None) -> bool:
    """A native executable, not a script (the venv's `node` is a Python console script)."""
    assert path is not None
    with open(os.path.realpath(path), "rb") as handle:
        return handle.read(2) != b"#!"


@pytest.fixture
def signal_lab(tmp_path: Path, terraform_env: dict[str, str]) -> Iterator[SignalLab]:
    if not moto_available():
        missing_tool("moto[server] is not installed (make install)")
    with mock.patch.dict(
        os.environ, {"PATH": deploy_process.project_path(os.environ.get("PATH", ""))}
    ):
        problem = deploy_process._cdktf_deploy_problem()
    if problem:
        missing_tool(f"cdktf deploy cannot run here: {problem}")
    with Emulator() as emulator:
        lab = SignalLab(tmp_path, emulator, terraform_env)
        lab.write_config()
        yield lab


def _converges(lab: SignalLab) -> None:
    """Run the deploy again: it succeeds, Terraform then plans nothing, state shows no drift."""
    output = lab.rerun()
    assert "Apply complete!" in output or "No changes." in output, output[-4000:]
    plan = lab.terraform().plan()
    assert not plan.changed, [c.address for c in plan.changes]
    resources = lab.state_resources()
    kinds = sorted({r["type"] for r in resources})
    assert kinds == ["aws_cloudwatch_log_metric_filter", "aws_cloudwatch_metric_alarm"]
    assert len(resources) == 34
    code, out = lab.trailwatch_state()
    assert code == 0, out
    assert "no drift" in out
    assert not lab.lock_info.exists()


def test_sigterm_to_cdktf_deploy_stops_node_terraform_and_the_provider(
    signal_lab: SignalLab,
) -> None:
    lab = signal_lab
    node = shutil.which("node", path=lab.env["PATH"])
    assert node is not None and _is_node_itself(node), f"{node} is a wrapper script"

    deploy = lab.start()
    deploy.wait_for_apply()
    # The process cdktf runs as is Node itself: the signal is Node's, not a wrapper's.
    if Path("/proc").is_dir():
        assert _is_node_itself(os.readlink(f"/proc/{deploy.process.pid}/exe"))
    programs = sorted({deploy_process._program(args) for args in deploy.seen.values()})
    assert "terraform" in programs, programs
    assert any(p.startswith("terraform-provider-aws") for p in programs), programs

    deploy.process.send_signal(signal.SIGTERM)
    code = deploy.process.wait(timeout=GONE_WITHIN)
    assert code != 0
    assert deploy.all_gone(within=GONE_WITHIN) == []
    assert _lock_is_free(lab.state_file)
    # The apply stopped: it did not go on, detached, to create the stack after the signal
    # (with the venv's node wrapper it did, and this deploy "completed" after it was cancelled).
    time.sleep(3)
    assert lab.deployed() < 34

    _converges(lab)


def test_stop_deploy_lets_terraform_save_state_and_unlock(signal_lab: SignalLab) -> None:
    lab = signal_lab
    deploy = lab.start()
    deploy.wait_for_apply()

    started = time.monotonic()
    code = deploy_process.stop_deploy(deploy.process, grace=deploy_process.STOP_GRACE_SECONDS)
    stopped_after = time.monotonic() - started
    assert code != 0
    assert stopped_after < deploy_process.STOP_GRACE_SECONDS, "Terraform did not stop on SIGINT"
    assert deploy.all_gone(within=GONE_WITHIN) == []
    # A graceful stop: Terraform said so, and removed its lock information as it unlocked.
    assert "Interrupt received" in deploy.output() or "execution halted" in deploy.output()
    assert not lab.lock_info.exists()
    assert _lock_is_free(lab.state_file)

    _converges(lab)
