"""`make demo` (`python -m trailwatch.tooling.demo`): every target of the config, deployed for
real onto a local AWS emulator, then `trailwatch state` and `trailwatch drill`.

Steps: start moto_server on a free loopback port; clear the demo's emulator state (a fresh
emulator holds nothing, so old state would only lie); `cdktf deploy '*'` into `.emulator/
cdktf.out` with TRAILWATCH_ENDPOINT_URL set (the stacks then point every service at the
emulator and keep state in `.emulator/state`, apart from any real state); show state; run the
drill; stop the emulator, on every exit path. A failure names its step and the reason.

`cdktf deploy` drives Terraform through node-pty, a native module that must be built for the
Node that runs the cdktf CLI. When it cannot load, the demo says so and deploys the same
synthesized stacks with Terraform directly (`cdktf synth`'s output, `trailwatch.tooling.terraform`).
"""

from __future__ import annotations

import os
import re
import shlex
import shutil
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager
from pathlib import Path

from rich.console import Console
from rich.markup import escape

from trailwatch.errors import DemoStepFailed, TrailwatchError
from trailwatch.spec.config import REPO_ROOT
from trailwatch.spec.model import EMULATOR_STATE_DIR, Deployment, load_deployment
from trailwatch.tooling.emulator import Emulator
from trailwatch.tooling.terraform import Message, Terraform

# Relative to the repository, like the default outdir; never the real `cdktf.out`.
DEMO_OUTDIR = ".emulator/cdktf.out"
CDKTF = REPO_ROOT / "node_modules" / ".bin" / "cdktf"
NODE_PTY = "@cdktf/node-pty-prebuilt-multiarch"
# Deploy output worth showing: plan and apply summaries, errors, and the slow resources (the
# per-resource lines of 100 fast ones would bury them; cdktf also prints each plan in full).
_SHOWN = re.compile(r"Apply complete|Error|error:|Plan:|Creation complete after ([5-9]|\d\d+)s")
_ANSI = re.compile(r"\x1b\[[0-9;?]*[A-Za-z]")


class Demo:
    def __init__(self, console: Console) -> None:
        self.console = console
        self.timings: list[tuple[str, float]] = []

    @contextmanager
    def step(self, name: str) -> Iterator[None]:
        """Time a step; any failure inside becomes DemoStepFailed naming it."""
        self.console.rule(f"[bold]{name}")
        started = time.monotonic()
        try:
            yield
        except DemoStepFailed:
            raise
        except TrailwatchError as err:
            raise DemoStepFailed(f"step '{name}' failed: {err}") from None
        except (OSError, subprocess.SubprocessError) as err:
            raise DemoStepFailed(f"step '{name}' failed: {err}") from None
        elapsed = time.monotonic() - started
        self.timings.append((name, elapsed))
        self.console.print(f"[green]done[/] {name} ({elapsed:.1f} s)")

    def run(self) -> None:
        os.chdir(REPO_ROOT)
        _use_project_tools()
        with self.step("start the emulator"):
            emulator = Emulator().start()
        try:
            os.environ.update(emulator.env(), CDKTF_OUTDIR=DEMO_OUTDIR)
            self.console.print(f"moto_server at {emulator.endpoint_url}")
            with self.step("prepare"):
                deployment = load_deployment()
                self._prepare(deployment)
            with self.step(f"deploy {len(deployment.targets)} stacks"):
                self._deploy(deployment)
            with self.step("trailwatch state"):
                self._command(["state"], "state found drift right after deploy")
            with self.step("trailwatch drill"):
                self._command(["drill"], "a deployed filter did not match its drill call")
        finally:
            emulator.stop()
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

    def _cdktf_deploy(self) -> None:
        command = [
            str(CDKTF),
            "deploy",
            "*",
            "--auto-approve",
            "--output",
            DEMO_OUTDIR,
            # The venv's Python, whatever cdktf.json's `pipenv run` would find on PATH.
            "--app",
            f"{sys.executable} main.py",
            # `terraform providers lock` asks the registry; the mirror is all there is offline.
            "--skip-provider-lock",
        ]
        self.console.print(escape("$ " + shlex.join(["cdktf", *command[1:]])))
        process = subprocess.Popen(
            command,
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            text=True,
            stdin=subprocess.DEVNULL,
            env={**os.environ, "CI": "1"},
        )
        tail: list[str] = []
        assert process.stdout is not None
        for raw in process.stdout:
            line = _ANSI.sub("", raw).rstrip()
            if not line.strip() or line.lstrip()[:1] in "⠋⠙⠹⠸⠼⠴⠦⠧⠇⠏":
                continue
            tail = (tail + [line])[-15:]
            if _SHOWN.search(line):
                self.console.print(f"[dim]{escape(line.strip())}[/]")
        if process.wait() != 0:
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
            for future in futures:
                future.result()

    def _progress(self, stack: str) -> Callable[[Message], None]:
        def show(message: Message) -> None:
            text = str(message.get("@message", ""))
            if message.get("type") in ("change_summary", "diagnostic") or _SHOWN.search(text):
                self.console.print(f"[dim]{stack}  {escape(text)}[/]")

        return show

    def _command(self, argv: list[str], meaning: str) -> None:
        from trailwatch.cli import main

        code = main(argv)
        if code == 1:
            raise DemoStepFailed(f"step 'trailwatch {argv[0]}' failed: {meaning}")
        if code != 0:
            raise DemoStepFailed(f"step 'trailwatch {argv[0]}' failed with the error above")

    def summary(self) -> None:
        total = sum(seconds for _name, seconds in self.timings)
        for name, seconds in self.timings:
            self.console.print(f"  {name:<28} {seconds:6.1f} s")
        self.console.print(f"[bold]demo finished in {total:.1f} s[/]")


def _use_project_tools() -> None:
    """Like the Makefile: the venv's Node 24 and the pinned cdktf CLI come first on PATH."""
    os.environ["PATH"] = os.pathsep.join(
        [
            str(Path(sys.executable).parent),
            str(REPO_ROOT / "node_modules" / ".bin"),
            os.environ.get("PATH", ""),
        ]
    )
    os.environ.setdefault("CHECKPOINT_DISABLE", "1")
    os.environ.setdefault("CDKTF_DISABLE_PLUGIN_CACHE_ENV", "1")


def _cdktf_deploy_problem() -> str | None:
    """Why `cdktf deploy` cannot run here, or None when it can."""
    if not CDKTF.exists():
        return "node_modules has no cdktf CLI: run `make install`"
    if shutil.which("terraform") is None:
        return "terraform is not on PATH"
    check = subprocess.run(
        ["node", "-e", f"require('{NODE_PTY}')"],
        cwd=REPO_ROOT,
        capture_output=True,
        text=True,
        stdin=subprocess.DEVNULL,
    )
    if check.returncode == 0:
        return None
    versions = re.findall(r"NODE_MODULE_VERSION (\d+)", check.stderr)
    if len(versions) >= 2:
        return (
            f"cdktf's node-pty was built for NODE_MODULE_VERSION {versions[0]}, the Node on "
            f"PATH needs {versions[1]}; `make install` builds it for the venv's Node"
        )
    lines = check.stderr.strip().splitlines()
    return f"cdktf's node-pty does not load: {lines[-1] if lines else 'no reason given'}"


def main() -> int:
    console = Console()
    demo = Demo(console)
    started = time.monotonic()
    try:
        demo.run()
    except DemoStepFailed as err:
        console.print(f"[bold red]demo failed[/]: {escape(str(err))}")
        return 1
    except KeyboardInterrupt:
        console.print("[bold red]demo interrupted[/] (the emulator was stopped)")
        return 130
    demo.summary()
    console.print(f"wall time {time.monotonic() - started:.1f} s")
    return 0


if __name__ == "__main__":
    sys.exit(main())
