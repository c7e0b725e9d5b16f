"""A local AWS emulator: moto's server on a free loopback port, for the demo and the tests.

    with Emulator() as emu:          # starts moto_server, waits until it answers
        emu.endpoint_url             # "http://127.0.0.1:PORT": TRAILWATCH_ENDPOINT_URL
        emu.reset()                  # forget every resource (POST /moto-api/reset)
    # stopped here, on every exit path

The server is stopped by the context manager, by `stop()`, at interpreter exit (atexit), and on
SIGTERM/SIGHUP (turned into SystemExit so the same clean-up runs). It binds 127.0.0.1 only.

It is moto_server (moto's own `moto.server.main`, from this environment) started through this
module's `__main__ --serve`, which first corrects three places where moto 5.2.5 differs from AWS
in ways the Terraform AWS provider trips over (`_fix_cloudtrail`, `_fix_put_metric_filter`), and
gives its EventBridge the TestEventPattern the drill asks (`_fix_test_event_pattern`).

Standalone (`make emulator`, or `python -m trailwatch.tooling.emulator [--port PORT]`): the same
server in the foreground, printing its endpoint, how to point trailwatch at it and each request,
until Ctrl-C.
"""

from __future__ import annotations

import argparse
import atexit
import importlib.util
import json
import os
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time
import urllib.error
import urllib.request
from pathlib import Path
from types import FrameType, TracebackType
from typing import Any, TextIO

from trailwatch.errors import EmulatorError

HOST = "127.0.0.1"
# moto answers its own dashboard route; any HTTP answer means the server is up.
READY_PATH = "/moto-api/"
RESET_PATH = "/moto-api/reset"


def moto_available() -> bool:
    """Whether this Python has moto's server (moto[server], installed by `make install`)."""
    try:
        return importlib.util.find_spec("moto.server") is not None
    except ModuleNotFoundError:
        return False


def free_port(host: str = HOST) -> int:
    """A port nobody listens on right now (the server may still lose a race for it: retried)."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind((host, 0))
        port: int = sock.getsockname()[1]
        return port


class Emulator:
    """moto_server as a context manager; see the module docstring."""

    def __init__(self, *, startup_timeout: float = 30.0, port: int | None = None) -> None:
        self.startup_timeout = startup_timeout
        # A fixed port (standalone use); None picks a free one, and a lost race is retried.
        self.requested_port = port
        self._process: subprocess.Popen[bytes] | None = None
        self._log_path: Path | None = None
        self._port: int | None = None

    @property
    def endpoint_url(self) -> str:
        if self._port is None or not self.running:
            raise EmulatorError("the emulator is not running")
        return f"http://{HOST}:{self._port}"

    @property
    def running(self) -> bool:
        return self._process is not None and self._process.poll() is None

    @property
    def pid(self) -> int | None:
        return self._process.pid if self._process is not None else None

    def exit_report(self, lines: int = 15) -> str | None:
        """None while the server runs (or was never started or stopped on purpose); once it
        exited by itself, a message that says so, with its exit status and its last lines."""
        process = self._process
        if process is None or process.poll() is None:
            return None
        code = process.returncode
        how = f"was killed by signal {-code}" if code < 0 else f"exited with code {code}"
        tail = self.log_tail(lines)
        return f"the emulator (moto_server, pid {process.pid}, port {self._port}) {how}; " + (
            f"its last lines:\n{tail}" if tail else "it printed nothing"
        )

    def start(self) -> Emulator:
        """Start moto_server and wait until it answers; a lost port race is retried."""
        if self.running:
            return self
        if not moto_available():
            raise EmulatorError(
                f"moto_server is not installed for {sys.executable}: run `make install` "
                "(moto[server] is in the Pipfile)"
            )
        last_error = ""
        for _attempt in range(3 if self.requested_port is None else 1):
            try:
                self._launch()
                self._wait_until_ready()
                return self
            except EmulatorError as err:
                last_error = str(err)
                self.stop()
        raise EmulatorError(last_error)

    def stop(self) -> None:
        """Stop the server (terminate, then kill) and remove its log. Safe to call twice."""
        process, self._process = self._process, None
        _RUNNING.discard(self)
        if process is not None and process.poll() is None:
            process.terminate()
            try:
                process.wait(timeout=5)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait(timeout=5)
        if self._log_path is not None:
            self._log_path.unlink(missing_ok=True)
            self._log_path = None

    def reset(self) -> None:
        """Forget every emulated resource, in every region and account."""
        request = urllib.request.Request(self.endpoint_url + RESET_PATH, method="POST", data=b"")
        try:
            with urllib.request.urlopen(request, timeout=30) as response:
                response.read()
        except (urllib.error.URLError, OSError) as err:
            raise EmulatorError(
                f"could not reset the emulator at {self.endpoint_url}: {err}"
            ) from None

    def env(self) -> dict[str, str]:
        """The variables that point trailwatch (stacks, state, drill) at this emulator."""
        return {"TRAILWATCH_ENDPOINT_URL": self.endpoint_url}

    @property
    def log_path(self) -> Path | None:
        """The server's log (a temporary file, removed by `stop()`)."""
        return self._log_path

    def log_tail(self, lines: int = 15) -> str:
        """The last lines moto_server printed (for error messages)."""
        if self._log_path is None or not self._log_path.exists():
            return ""
        text = self._log_path.read_text(encoding="utf-8", errors="replace")
        return "\n".join(text.splitlines()[-lines:])

    def __enter__(self) -> Emulator:
        return self.start()

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.stop()

    def _launch(self) -> None:
        self._port = self.requested_port or free_port()
        handle, log_name = tempfile.mkstemp(prefix="trailwatch-moto-", suffix=".log")
        self._log_path = Path(log_name)
        with os.fdopen(handle, "wb") as log:
            self._process = subprocess.Popen(
                [
                    sys.executable,
                    "-m",
                    "trailwatch.tooling.emulator",
                    "--serve",
                    HOST,
                    str(self._port),
                ],
                stdin=subprocess.DEVNULL,
                stdout=log,
                stderr=subprocess.STDOUT,
                # Its own session: a terminal's Ctrl-C reaches the program that started it, which
                # stops it last (after Terraform, say, stopped talking to it).
                start_new_session=True,
            )
        _RUNNING.add(self)
        _install_signal_handlers()

    def _wait_until_ready(self) -> None:
        assert self._process is not None and self._port is not None
        url = f"http://{HOST}:{self._port}{READY_PATH}"
        deadline = time.monotonic() + self.startup_timeout
        while time.monotonic() < deadline:
            if self._process.poll() is not None:
                raise EmulatorError(
                    f"moto_server exited with code {self._process.returncode} on port "
                    f"{self._port}: {self.log_tail(5) or 'no output'}"
                )
            try:
                with urllib.request.urlopen(url, timeout=2) as response:
                    response.read(1)
                return
            except urllib.error.HTTPError:
                return  # it answered, if not with 200
            except (urllib.error.URLError, OSError):
                time.sleep(0.1)
        raise EmulatorError(
            f"moto_server did not answer on {HOST}:{self._port} within "
            f"{self.startup_timeout:g} s: {self.log_tail(5) or 'no output'}"
        )


# Every started emulator, so that interpreter exit and SIGTERM stop them all.
_RUNNING: set[Emulator] = set()
_HANDLERS_INSTALLED = False


def _stop_all() -> None:
    for emulator in list(_RUNNING):
        emulator.stop()


def _exit_on_signal(signum: int, _frame: FrameType | None) -> None:
    # SystemExit unwinds `with Emulator()` blocks and then runs atexit: the server is stopped.
    raise SystemExit(128 + signum)


def _install_signal_handlers() -> None:
    """Turn SIGTERM/SIGHUP into SystemExit, unless the program installed its own handlers."""
    global _HANDLERS_INSTALLED
    if _HANDLERS_INSTALLED or threading.current_thread() is not threading.main_thread():
        return
    _HANDLERS_INSTALLED = True
    for signum in (signal.SIGTERM, signal.SIGHUP):
        if signal.getsignal(signum) is signal.SIG_DFL:
            signal.signal(signum, _exit_on_signal)


atexit.register(_stop_all)


def _fix_cloudtrail() -> None:
    """Make moto's CloudTrail take names and ARNs the way AWS does, where the provider needs it.

    - DescribeTrails ignored `trailNameList` and returned every trail visible in the region,
      other regions' multi-region trails included. The provider reads a trail with
      DescribeTrails(trailNameList=[its ARN]) and takes more than one result for "gone": with
      the default config the eu trail left state after every apply (the primary target's
      multi-region trail is visible in eu-west-1) and every plan wanted to create it again.
    - DeleteTrail took only a name; given the ARN (the provider's id) it silently did nothing,
      so `terraform destroy` left every trail behind.
    """
    from moto.cloudtrail.models import CloudTrailBackend
    from moto.cloudtrail.responses import CloudTrailResponse

    describe = CloudTrailResponse.describe_trails

    def describe_trails(self: CloudTrailResponse) -> str:
        body = describe(self)
        wanted = self._get_param("trailNameList") or []
        if not wanted:
            return body
        data = json.loads(body)
        data["trailList"] = [
            trail
            for trail in data["trailList"]
            if trail.get("Name") in wanted or trail.get("TrailARN") in wanted
        ]
        return json.dumps(data)

    delete = CloudTrailBackend.delete_trail

    def delete_trail(self: CloudTrailBackend, name: str) -> None:
        by_arn = [key for key, trail in self.trails.items() if trail.arn == name]
        delete(self, by_arn[0] if by_arn else name)

    CloudTrailResponse.describe_trails = describe_trails  # type: ignore[method-assign]
    CloudTrailBackend.delete_trail = delete_trail  # type: ignore[method-assign]


def _fix_put_metric_filter() -> None:
    """Make moto's PutMetricFilter replace a filter of the same name, as AWS does.

    moto appended a second filter instead. Reads then found the old one first: a pattern
    changed outside Terraform (or by a Terraform update) never showed in a refresh, and
    destroy removed one copy and left the other behind.
    """
    from moto.logs.metric_filters import MetricFilters

    add = MetricFilters.add_filter

    def add_filter(
        self: MetricFilters,
        filter_name: str,
        filter_pattern: str,
        log_group_name: str,
        metric_transformations: str,
    ) -> None:
        self.metric_filters = [
            f
            for f in self.metric_filters
            if (f["filterName"], f["logGroupName"]) != (filter_name, log_group_name)
        ]
        add(self, filter_name, filter_pattern, log_group_name, metric_transformations)

    MetricFilters.add_filter = add_filter  # type: ignore[method-assign]


def _fix_test_event_pattern() -> None:
    """Give moto's EventBridge the TestEventPattern it stubs out (an empty answer in 5.2.5).

    The answer comes from moto's own event matcher, the one its buses use to deliver events:
    the drill asks the emulator whether a deployed rule's pattern matches a drilled record, as
    it would ask AWS.
    """
    from moto.events.models import EventPattern
    from moto.events.responses import EventsHandler

    def test_event_pattern(self: EventsHandler) -> tuple[str, dict[str, Any]]:
        pattern = EventPattern.load(self._get_param("EventPattern"))
        event = json.loads(self._get_param("Event"))
        return json.dumps({"Result": pattern.matches_event(event)}), self.response_headers

    EventsHandler.test_event_pattern = test_event_pattern  # type: ignore[method-assign,assignment]


def _serve(host: str, port: str) -> None:
    """`python -m trailwatch.tooling.emulator --serve HOST PORT`: moto_server with the fixes
    above (what `Emulator` starts)."""
    from moto.server import main

    _fix_cloudtrail()
    _fix_put_metric_filter()
    _fix_test_event_pattern()
    main(["-H", host, "-p", port])


def standalone(port: int | None, out: TextIO | None = None) -> int:
    """`make emulator`: start the emulator, say how to use it, echo its log until Ctrl-C."""
    from trailwatch.spec.config import EMULATOR_OUTDIR
    from trailwatch.spec.model import EMULATOR_STATE_DIR

    out = out or sys.stdout
    emulator = Emulator(port=port)
    try:
        emulator.start()
    except EmulatorError as err:
        print(f"trailwatch: {err}", file=sys.stderr)
        return 2
    url = emulator.endpoint_url
    print(
        f"emulator at {url} (moto_server with trailwatch's corrections, state in memory)\n"
        "Point trailwatch at it from another shell (PATH as in the README):\n"
        f"  export TRAILWATCH_ENDPOINT_URL={url}\n"
        f"  cdktf deploy '*' --output {EMULATOR_OUTDIR} --skip-provider-lock\n"
        "  trailwatch state && trailwatch drill\n"
        f"Stacks then synthesize into {EMULATOR_OUTDIR} and keep state in {EMULATOR_STATE_DIR}, "
        "apart from real ones.\n"
        f"A new emulator holds nothing: remove {EMULATOR_STATE_DIR} before deploying onto it.\n"
        "Ctrl-C stops it. Requests:",
        file=out,
        flush=True,
    )
    offset = 0
    try:
        while emulator.running:
            offset = _echo_log(emulator, offset, out)
            time.sleep(0.5)
        _echo_log(emulator, offset, out)
        print(f"trailwatch: {emulator.exit_report(lines=5)}", file=sys.stderr)
        return 1
    except KeyboardInterrupt:
        print("\nemulator stopped", file=out)
        return 0
    finally:
        emulator.stop()


def _echo_log(emulator: Emulator, offset: int, out: TextIO) -> int:
    """Print what the server logged since `offset`; the new offset."""
    path = emulator.log_path
    if path is None or not path.exists():
        return offset
    with path.open("rb") as log:
        log.seek(offset)
        chunk = log.read()
    if chunk:
        out.write(chunk.decode("utf-8", errors="replace"))
        out.flush()
    return offset + len(chunk)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m trailwatch.tooling.emulator",
        description="The local AWS emulator in the foreground, until Ctrl-C.",
    )
    parser.add_argument("--port", type=int, help="port on 127.0.0.1 (default: a free one)")
    parser.add_argument("--serve", nargs=2, metavar=("HOST", "PORT"), help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.serve:
        _serve(*args.serve)
        return 0
    return standalone(args.port)


if __name__ == "__main__":
    sys.exit(main())
