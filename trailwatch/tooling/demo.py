"""`make demo` (`python -m trailwatch.tooling.demo`): every target of the config, deployed for
real onto a local AWS emulator, then `trailwatch state` and `trailwatch drill`.

Steps: start moto_server on a free loopback port; clear the demo's emulator state (a fresh
emulator holds nothing, so old state would only lie); `cdktf deploy '*'` into `.emulator/
cdktf.out` with TRAILWATCH_ENDPOINT_URL set (the stacks then point every service at the
emulator and keep state in `.emulator/state`, apart from any real state); show state; run the
drill; stop the emulator, on every exit path. A failure names its step and the reason, and
says so when the emulator process exited (with its last lines).

Node on PATH is Node itself (`node_bin_dir`), never the venv's `node` console script: that one
runs Node through subprocess.run and passes no signal on. Ctrl-C or SIGTERM during the deploy
stops it so that Terraform saves its state and releases its lock (`stop_deploy`), then stops the
emulator, and the demo says "interrupted" (exit 130 for Ctrl-C, 128 + the signal otherwise).

`cdktf deploy` drives Terraform through node-pty, a native module that must be built for the
Node that runs the cdktf CLI. When it cannot load, the demo says so and deploys the same
synthesized stacks with Terraform directly (`cdktf synth`'s output, `trailwatch.tooling.terraform`).
"""

from __future__ import annotations

import fcntl
import os
import re
import shlex
import shutil
import signal
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager
from pathlib import Path
from types import FrameType
from typing import IO

from rich.console import Console
from rich.markup import escape

from trailwatch.cli.console import console as make_console
from trailwatch.cli.exit_codes import INTERRUPTED
from trailwatch.errors import DemoStepFailed, TrailwatchError
from trailwatch.spec.config import EMULATOR_OUTDIR, REPO_ROOT
from trailwatch.spec.model import EMULATOR_STATE_DIR, Deployment, load_deployment
from trailwatch.tooling.deploy import (
    _cdktf_deploy_problem,
    cdktf_deploy_command,
    deploy_environment,
    interrupt_terraform,
    project_path,
    start_deploy,
    stop_deploy,
)
from trailwatch.tooling.emulator import Emulator
from trailwatch.tooling.terraform import Message, Terraform

# Relative to the repository, like the default outdir; never the real `cdktf.out`.
DEMO_OUTDIR = EMULATOR_OUTDIR
# Held while a demo runs: a second one would clear the first's state and rewrite its stacks.
DEMO_LOCK = ".emulator/demo.lock"
_STOP_SIGNALS = (signal.SIGTERM, signal.SIGHUP)
# Deploy output worth showing: plan and apply summaries, errors, and the slow resources (the
# per-resource lines of 100 fast ones would bury them; cdktf also prints each plan in full).
_SHOWN = re.compile(r"Apply complete|Error|error:|Plan:|Creation complete after ([5-9]|\d\d+)s")
_ANSI = re.compile(r"\x1b\[[0-9;?]*[A-Za-z]")


class Demo:
    def __init__(self, console: Console) -> None:
        self.console = console
        self.timings: list[tuple[str, float]] = []
        # Set once started: a step that fails after the emulator died says so.
        self.emulator: Emulator | None = None

    @contextmanager
    def step(self, name: str) -> Iterator[None]:
        """Time a step; any failure inside becomes DemoStepFailed naming it (and naming the
        emulator's exit when that is what happened)."""
        self.console.rule(f"[bold]{name}")
        started = time.monotonic()
        try:
            yield
        except (TrailwatchError, OSError, subprocess.SubprocessError) as err:
            raise DemoStepFailed(self._failure(name, err)) from None
        elapsed = time.monotonic() - started
        self.timings.append((name, elapsed))
        self.console.print(f"[green]done[/] {name} ({elapsed:.1f} s)")

    def _failure(self, name: str, err: BaseException) -> str:
        exited = self.emulator.exit_report() if self.emulator is not None else None
        if exited is None:
            return f"step '{name}' failed: {err}"
        return f"step '{name}' failed: {exited}\n(what the step saw: {err})"

    def run(self) -> None:
        os.chdir(REPO_ROOT)
        _use_project_tools()
        with self.step("start the emulator"):
            lock = lock_demo(Path(DEMO_LOCK))
            try:
                emulator = self.emulator = Emulator().start()
            except BaseException:
                lock.close()
                raise
        try:
            os.environ.update(emulator.env(), CDKTF_OUTDIR=DEMO_OUTDIR)
            self.console.print(f"moto_server at {emulator.endpoint_url}")
            with self.step("prepare"):
                deployment = load_deployment()
                self._prepare(deployment)
            with self.step(f"deploy {len(deployment.targets)} stacks"):
                self._deploy(deployment)
            if any(deployment.event_rules_for(t) for t in deployment.targets):
                with self.step("EventBridge rules"):
                    self._show_rules(deployment, emulator.endpoint_url)
            with self.step("trailwatch state"):
                self._command(["state"], "state found drift right after deploy")
            with self.step("trailwatch drill"):
                self._command(["drill"], "a deployed filter did not match its drill call")
        finally:
            emulator.stop()
            lock.close()
            self.console.print("emulator stopped")

    def _prepare(self, deployment: Deployment) -> None:
        state = deployment.state_dir()
        # Only ever the emulator's own folder: real state lives elsewhere (model.state_dir).
        if state != (deployment.config_path.parent / EMULATOR_STATE_DIR).resolve():
            raise DemoStepFailed(f"refusing to clear {state}: not the emulator's state folder")
        if state.exists():
            shutil.rmtree(state)
            self.console.print(f"cleared {state} (the new emulator holds nothing)")
        state.mkdir(parents=True)
        Path(DEMO_OUTDIR).mkdir(parents=True, exist_ok=True)
        for target in deployment.targets:
            self.console.print(
                f"target {target.name}: {target.region}, stack {deployment.stack_name(target)}, "
                f"state {state / (deployment.stack_name(target) + '.tfstate')}"
            )

    def _deploy(self, deployment: Deployment) -> None:
        self.console.print(
            "most of this is the AWS provider's own wait: it reads an S3 lifecycle configuration "
            "back until it saw it 10 times in a row, 5 s apart (55 s, on AWS too)"
        )
        problem = _cdktf_deploy_problem()
        if problem is None:
            self._cdktf_deploy()
            return
        self.console.print(
            f"[yellow]cdktf deploy is unavailable here[/]: {escape(problem)}. Deploying the "
            "same synthesized stacks with Terraform directly."
        )
        self._terraform_deploy(deployment)

    def _show_rules(self, deployment: Deployment, endpoint_url: str) -> None:
        """Each target's EventBridge rules and targets, as the emulator holds them."""
        # Imported here: boto3 is only needed once the stacks are deployed.
        from trailwatch.drill.clients import AwsClients

        for target in deployment.targets:
            expected = deployment.event_rules_for(target)
            if not expected:
                continue
            events = AwsClients(target, endpoint_url)("events")
            prefix = f"{deployment.config.name_prefix}trailwatch-"
            deployed = {r["Name"] for r in events.list_rules(NamePrefix=prefix)["Rules"]}
            missing = [r.rule_name for r in expected if r.rule_name not in deployed]
            if missing:
                raise DemoStepFailed(f"target {target.name}: rules not deployed: {missing}")
            sends = sum(
                len(events.list_targets_by_rule(Rule=r.rule_name)["Targets"]) for r in expected
            )
            self.console.print(
                f"target {target.name}: {len(expected)} EventBridge rules, {sends} targets "
                "(one per rule and channel), each sending a message per matching call"
            )

    def _cdktf_deploy(self) -> None:
        command = cdktf_deploy_command(["*"], DEMO_OUTDIR)
        self.console.print(escape("$ " + shlex.join(["cdktf", *command[1:]])))
        process = start_deploy(command, deploy_environment(os.environ), cwd=REPO_ROOT)
        tail: list[str] = []

        def show(raw: str) -> None:
            nonlocal tail
            line = _ANSI.sub("", raw).rstrip()
            if not line.strip() or line.lstrip()[:1] in "⠋⠙⠹⠸⠼⠴⠦⠧⠇⠏":
                return
            tail = (tail + [line])[-15:]
            if _SHOWN.search(line) or "nterrupt" in line:
                self.console.print(f"[dim]{escape(line.strip())}[/]")

        assert process.stdout is not None
        try:
            for raw in process.stdout:
                show(raw)
            code = process.wait()
        except BaseException:
            # Ctrl-C or SIGTERM: stop Terraform so that it saves state and unlocks, then go on
            # to stop the emulator (run's finally) and say "interrupted".
            self.console.print("[yellow]stopping the deploy[/]: Terraform saves its state first")
            code = stop_deploy(process, on_line=show)
            self.console.print(f"deploy stopped (cdktf exited {code})")
            raise
        if code != 0:
            raise DemoStepFailed("cdktf deploy failed:\n" + "\n".join(tail))

    def _terraform_deploy(self, deployment: Deployment) -> None:
        result = subprocess.run(
            [sys.executable, "main.py"], capture_output=True, text=True, stdin=subprocess.DEVNULL
        )
        if result.returncode != 0:
            raise DemoStepFailed(f"cdktf synth (python main.py) failed: {result.stderr.strip()}")

        def apply(stack_dir: Path, stack: str) -> None:
            terraform = Terraform(stack_dir, stack=stack, on_message=self._progress(stack))
            terraform.init()
            terraform.apply()

        with ThreadPoolExecutor(max_workers=len(deployment.targets)) as pool:
            futures = [
                pool.submit(apply, deployment.stack_dir(t), deployment.stack_name(t))
                for t in deployment.targets
            ]
            try:
                for future in futures:
                    future.result()
            except BaseException:
                # Terraform runs as our child here: SIGINT lets it save state and unlock.
                interrupt_terraform(os.getpid())
                raise

    def _progress(self, stack: str) -> Callable[[Message], None]:
        def show(message: Message) -> None:
            text = str(message.get("@message", ""))
            if message.get("type") in ("change_summary", "diagnostic") or _SHOWN.search(text):
                self.console.print(f"[dim]{stack}  {escape(text)}[/]")

        return show

    def _command(self, argv: list[str], meaning: str) -> None:
        from trailwatch.cli import main

        code = main(argv)
        if code == INTERRUPTED:
            # The command caught Ctrl-C and said "interrupted"; so does the demo.
            raise KeyboardInterrupt
        if code == 1:
            raise DemoStepFailed(meaning)
        if code != 0:
            raise DemoStepFailed(f"trailwatch {argv[0]} exited {code} with the error above")

    def summary(self) -> None:
        total = sum(seconds for _name, seconds in self.timings)
        for name, seconds in self.timings:
            self.console.print(f"  {name:<28} {seconds:6.1f} s")
        self.console.print(f"[bold]demo finished in {total:.1f} s[/]")


def lock_demo(path: Path) -> IO[str]:
    """Take the demo's lock (held until the returned file is closed), or say who holds it.

    Two demos at once share `.emulator/`: the second would clear the state folder under the
    first's running Terraform (whose state lock is then on a deleted file and protects nothing)
    and synthesize its own emulator's endpoint into the stacks the first is deploying.
    """
    path.parent.mkdir(parents=True, exist_ok=True)
    handle = path.open("a+", encoding="utf-8")
    try:
        fcntl.lockf(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except OSError:
        handle.seek(0)
        holder = handle.read().strip() or "a process"
        handle.close()
        raise DemoStepFailed(
            f"another make demo is running ({holder}, lock {path}): it would clear this demo's "
            "state and rewrite its stacks; wait for it or stop it"
        ) from None
    handle.seek(0)
    handle.truncate()
    handle.write(f"pid {os.getpid()}\n")
    handle.flush()
    return handle


def _use_project_tools() -> None:
    """Like the Makefile: Node itself, the venv and the pinned cdktf CLI come first on PATH."""
    os.environ["PATH"] = project_path(os.environ.get("PATH", ""))
    os.environ.setdefault("CHECKPOINT_DISABLE", "1")
    os.environ.setdefault("CDKTF_DISABLE_PLUGIN_CACHE_ENV", "1")


def main() -> int:
    console = make_console()
    demo = Demo(console)
    started = time.monotonic()
    received: list[int] = []

    def on_signal(signum: int, _frame: FrameType | None) -> None:
        # SIGTERM (a cancelled job, `timeout`) and SIGHUP get Ctrl-C's clean-up and message.
        received.append(signum)
        raise KeyboardInterrupt(signal.Signals(signum).name)

    # Installed before the emulator starts, which then leaves them alone.
    previous = {number: signal.signal(number, on_signal) for number in _STOP_SIGNALS}
    try:
        demo.run()
    except DemoStepFailed as err:
        console.print(f"[bold red]demo failed[/]: {escape(str(err))}")
        return 1
    except KeyboardInterrupt:
        signum = received[0] if received else int(signal.SIGINT)
        how = "Ctrl-C" if signum == signal.SIGINT else signal.Signals(signum).name
        console.print(f"[bold yellow]demo interrupted[/] ({how}); the emulator was stopped")
        return INTERRUPTED if signum == signal.SIGINT else 128 + signum
    finally:
        for number, handler in previous.items():
            signal.signal(number, handler)
    demo.summary()
    console.print(f"wall time {time.monotonic() - started:.1f} s")
    return 0


if __name__ == "__main__":
    sys.exit(main())
