"""Terraform in one synthesized stack folder: init, plan, show, apply, destroy.

    tf = Terraform(deployment.stack_dir(target), stack=deployment.stack_name(target))
    tf.init()                                   # offline when TF_CLI_CONFIG_FILE names a mirror
    plan = tf.plan(out=Path("tfplan"))          # -detailed-exitcode: plan.changed, plan.changes
    [c.address for c in plan.changes]           # ["aws_cloudwatch_metric_alarm.alarm_x", ...]
    tf.show_plan(Path("tfplan"))                # `terraform show -json tfplan` as a dict
    tf.apply(Path("tfplan"))                    # or tf.apply() to plan and apply in one go
    tf.show_state()                             # `terraform show -json` (the current state)
    tf.destroy()

Every failure raises `TerraformError` (a `TrailwatchError`): which stack, which command, and
Terraform's own error summary or the last lines of its stderr; a missing binary says so. Plans
and applies run with `-json`, so `on_message` (when given) receives each of Terraform's
machine-readable UI messages as it happens (`{"type": "apply_complete", "@message": ...}`).

Environment: the caller's, plus TF_IN_AUTOMATION, TF_INPUT=0, CHECKPOINT_DISABLE (no network
check), TF_CLI_CONFIG_FILE defaulting (when unset or naming no file) to the repository's
`.tools/terraform.rc` (written by `make install`: the offline provider mirror) and GOGC=400
(see `_environment`).
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import threading
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from trailwatch.errors import TerraformError
from trailwatch.spec.config import REPO_ROOT

DEFAULT_CLI_CONFIG = REPO_ROOT / ".tools" / "terraform.rc"
# Lines of stderr quoted in an error.
ERROR_TAIL_LINES = 12

Message = dict[str, Any]
MessageHandler = Callable[[Message], None]


@dataclass(frozen=True)
class ResourceChange:
    """One resource a plan would change: its address and Terraform's action."""

    address: str
    # create, update, delete, replace, read, ... (`terraform plan -json` wording)
    action: str


@dataclass(frozen=True)
class Plan:
    """The outcome of `terraform plan`."""

    changed: bool
    changes: tuple[ResourceChange, ...]
    # Differences between state and the real objects found while refreshing.
    drift: tuple[ResourceChange, ...]
    plan_file: Path | None


class Terraform:
    """Terraform commands in one stack folder (`Deployment.stack_dir(target)`)."""

    def __init__(
        self,
        stack_dir: Path,
        *,
        stack: str | None = None,
        env: Mapping[str, str] | None = None,
        binary: str | None = None,
        on_message: MessageHandler | None = None,
        timeout: float = 1800.0,
    ) -> None:
        self.stack_dir = Path(stack_dir)
        self.stack = stack or self.stack_dir.name
        self.env = environment(os.environ if env is None else env)
        self.binary = binary or shutil.which("terraform", path=self.env.get("PATH"))
        self.on_message = on_message
        self.timeout = timeout

    @property
    def initialized(self) -> bool:
        return (self.stack_dir / ".terraform").is_dir()

    def init(self, *, reconfigure: bool = False) -> None:
        """`terraform init`: the backend and the AWS provider (from the mirror, when one is set).

        `reconfigure` takes the backend as synthesized now, whatever the folder was initialized
        with before (another config's state path, say), without migrating any state.
        """
        self._run(["init", "-input=false", "-no-color", *(["-reconfigure"] if reconfigure else [])])

    def ensure_init(self) -> None:
        """Init unless the folder already was (init is idempotent, just not free)."""
        if not self.initialized:
            self.init()

    def plan(
        self,
        *,
        out: Path | None = None,
        refresh_only: bool = False,
        destroy: bool = False,
    ) -> Plan:
        """`terraform plan -detailed-exitcode`; `changed` is Terraform's exit code 2."""
        args = ["plan", "-input=false", "-no-color", "-json", "-detailed-exitcode"]
        if out is not None:
            args.append(f"-out={Path(out).resolve()}")
        if refresh_only:
            args.append("-refresh-only")
        if destroy:
            args.append("-destroy")
        code, messages = self._run_json(args, ok_codes=(0, 2))
        return Plan(
            changed=code == 2,
            changes=_changes(messages, "planned_change"),
            drift=_changes(messages, "resource_drift"),
            plan_file=Path(out).resolve() if out is not None else None,
        )

    def apply(self, plan_file: Path | None = None, *, refresh_only: bool = False) -> None:
        """Apply a saved plan, or plan and apply in one go (auto-approved)."""
        args = ["apply", "-input=false", "-no-color", "-json"]
        if plan_file is not None:
            args.append(str(Path(plan_file).resolve()))
        else:
            args.append("-auto-approve")
            if refresh_only:
                args.append("-refresh-only")
        self._run_json(args)

    def destroy(self) -> None:
        """Destroy everything in the stack's state (auto-approved)."""
        self._run_json(["destroy", "-input=false", "-no-color", "-json", "-auto-approve"])

    def show_state(self) -> dict[str, Any]:
        """`terraform show -json`: the state's values (`{}` keys only when nothing is deployed)."""
        return self._show([])

    def show_plan(self, plan_file: Path) -> dict[str, Any]:
        """`terraform show -json PLAN`: resource_changes, prior_state, configuration, ..."""
        return self._show([str(Path(plan_file).resolve())])

    def _show(self, extra: Sequence[str]) -> dict[str, Any]:
        stdout = self._run(["show", "-json", "-no-color", *extra])
        try:
            data: dict[str, Any] = json.loads(stdout)
        except json.JSONDecodeError as err:
            raise TerraformError(
                f"{self.stack}: terraform show printed no JSON ({err}); is it Terraform >= 1.5?"
            ) from None
        return data

    def _command(self, args: Sequence[str]) -> list[str]:
        if self.binary is None:
            raise TerraformError(
                "terraform not found on PATH: install Terraform >= 1.5 (the README says how, "
                "including the offline provider mirror)"
            )
        if not self.stack_dir.is_dir():
            raise TerraformError(
                f"{self.stack}: no synthesized stack at {self.stack_dir} (run `make synth` or "
                "`cdktf synth` with the same config and environment first)"
            )
        return [self.binary, *args]

    def _run(self, args: Sequence[str]) -> str:
        """Run a command to completion; its stdout, or TerraformError."""
        command = self._command(args)
        try:
            result = subprocess.run(
                command,
                cwd=self.stack_dir,
                env=self.env,
                capture_output=True,
                text=True,
                timeout=self.timeout,
                stdin=subprocess.DEVNULL,
            )
        except subprocess.TimeoutExpired:
            raise TerraformError(
                f"{self.stack}: terraform {args[0]} did not finish within {self.timeout:g} s"
            ) from None
        if result.returncode != 0:
            raise TerraformError(self._failure(args[0], result.returncode, [], result.stderr))
        return result.stdout

    def _run_json(
        self, args: Sequence[str], ok_codes: Sequence[int] = (0,)
    ) -> tuple[int, list[Message]]:
        """Run a `-json` command, streaming its messages to on_message; (exit code, messages)."""
        command = self._command(args)
        process = subprocess.Popen(
            command,
            cwd=self.stack_dir,
            env=self.env,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
            stdin=subprocess.DEVNULL,
        )
        stderr: list[str] = []
        # stderr is drained on its own thread so that neither pipe can fill up and block.
        reader = threading.Thread(target=lambda: stderr.extend(process.stderr or ()), daemon=True)
        reader.start()
        messages: list[Message] = []
        timed_out = threading.Event()

        def kill() -> None:
            timed_out.set()
            process.kill()

        timer = threading.Timer(self.timeout, kill)
        timer.start()
        try:
            for line in process.stdout or ():
                message = _parse_message(line)
                if message is None:
                    continue
                messages.append(message)
                if self.on_message is not None:
                    self.on_message(message)
            code = process.wait()
        except BaseException:
            process.kill()
            process.wait()
            raise
        finally:
            timer.cancel()
            reader.join(timeout=5)
        if timed_out.is_set():
            raise TerraformError(
                f"{self.stack}: terraform {args[0]} did not finish within {self.timeout:g} s"
            )
        if code not in ok_codes:
            raise TerraformError(self._failure(args[0], code, messages, "".join(stderr)))
        return code, messages

    def _failure(self, command: str, code: int, messages: list[Message], stderr: str) -> str:
        errors = [
            _diagnostic_text(m["diagnostic"])
            for m in messages
            if m.get("type") == "diagnostic" and m.get("diagnostic", {}).get("severity") == "error"
        ]
        if errors:
            detail = "; ".join(dict.fromkeys(errors))
        else:
            tail = [line for line in stderr.strip().splitlines() if line.strip()]
            detail = "\n".join(tail[-ERROR_TAIL_LINES:]) or "no output"
        return f"{self.stack}: terraform {command} failed (exit {code}): {detail}"


# Every service the stacks call; the emulator serves them all on one endpoint. The stacks'
# provider block (stacks/target_stack.py) and `trailwatch destroy`'s read this one list.
EMULATED_SERVICES = (
    "cloudtrail",
    "cloudwatch",
    "events",
    "iam",
    "kms",
    "logs",
    "s3",
    "sns",
    "sts",
)


def emulator_provider_settings(endpoint: str) -> dict[str, Any]:
    """AWS provider arguments, as Terraform JSON, that point every service at the emulator.

    What `stacks/target_stack.py` synthesizes when TRAILWATCH_ENDPOINT_URL is set: dummy keys,
    no credential, metadata or region checks, path-style S3, one endpoint for every service.
    """
    return {
        "access_key": "test",
        "secret_key": "test",
        "skip_credentials_validation": True,
        "skip_metadata_api_check": "true",
        "skip_region_validation": True,
        "s3_use_path_style": True,
        "endpoints": [{service: endpoint for service in EMULATED_SERVICES}],
    }


def environment(base: Mapping[str, str]) -> dict[str, str]:
    """`base` as Terraform should run in it: offline CLI config, no prompts, no checkpoint."""
    env = dict(base)
    env.update(TF_IN_AUTOMATION="1", TF_INPUT="0", CHECKPOINT_DISABLE="1")
    # A CLI config that does not exist (some images point at an absent ~/.terraformrc) counts as
    # none: then the repository's, which installs the provider from the offline mirror.
    configured = env.get("TF_CLI_CONFIG_FILE", "")
    if not (configured and Path(configured).is_file()) and DEFAULT_CLI_CONFIG.is_file():
        env["TF_CLI_CONFIG_FILE"] = str(DEFAULT_CLI_CONFIG)
    # The AWS provider builds ~1,500 resource schemas at every start (three starts per plan);
    # collecting garbage less often cuts that CPU time by about a third, for ~170 MB more memory.
    env.setdefault("GOGC", "400")
    return env


def _parse_message(line: str) -> Message | None:
    line = line.strip()
    if not line.startswith("{"):
        return None
    try:
        message = json.loads(line)
    except json.JSONDecodeError:
        return None
    return message if isinstance(message, dict) else None


def _changes(messages: list[Message], kind: str) -> tuple[ResourceChange, ...]:
    changes = []
    for message in messages:
        if message.get("type") != kind:
            continue
        change = message.get("change", {})
        address = change.get("resource", {}).get("addr")
        if address:
            changes.append(ResourceChange(address=address, action=change.get("action", "")))
    return tuple(sorted(changes, key=lambda c: c.address))


def _diagnostic_text(diagnostic: Mapping[str, Any]) -> str:
    summary = str(diagnostic.get("summary", "")).strip()
    detail = " ".join(str(diagnostic.get("detail", "")).split())
    address = diagnostic.get("address")
    text = f"{summary}: {detail}" if detail else summary
    return f"{address}: {text}" if address else text
