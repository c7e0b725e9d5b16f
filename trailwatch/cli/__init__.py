"""The `trailwatch` command line: one module per command, registered below.

Each command module has a docstring (its first line is the command's help), `add_arguments(parser)`
and `run(args) -> int`. Exit status, for every command (`exit_codes`): 0 ok, 1 findings, 2 usage
or input error, 130 interrupted.
"""

from __future__ import annotations

import argparse
import importlib
import sys
from collections.abc import Sequence
from typing import Protocol, cast

from trailwatch.cli import exit_codes
from trailwatch.errors import TrailwatchError

# Command name -> module, in the order `trailwatch --help` lists them.
COMMANDS: dict[str, str] = {
    "validate": "trailwatch.cli.validate",
    "test": "trailwatch.cli.selftest",
    "replay": "trailwatch.cli.replay",
    "tune": "trailwatch.cli.tune",
    "athena-ddl": "trailwatch.cli.athena_ddl",
    "state": "trailwatch.cli.state",
    "drill": "trailwatch.cli.drill",
    "coverage": "trailwatch.cli.coverage",
    "plan-report": "trailwatch.cli.plan_report",
    "destroy": "trailwatch.cli.destroy",
}


class Command(Protocol):
    __doc__: str | None

    def add_arguments(self, parser: argparse.ArgumentParser) -> None: ...

    def run(self, args: argparse.Namespace) -> int: ...


def _help(module: Command) -> tuple[str, str]:
    """The first docstring line (after the command's name) as help; the whole as description."""
    doc = (module.__doc__ or "").strip()
    first = doc.splitlines()[0] if doc else ""
    summary = first.split(": ", 1)[1] if ": " in first else first
    return summary.rstrip("."), doc


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="trailwatch",
        description="CloudTrail security alarms as code.",
        epilog="exit status: 0 ok, 1 findings, 2 usage or input error, 130 interrupted",
    )
    sub = parser.add_subparsers(dest="command", metavar="COMMAND", required=True)
    for name, module_name in COMMANDS.items():
        module = cast(Command, importlib.import_module(module_name))
        summary, description = _help(module)
        command = sub.add_parser(
            name,
            help=summary,
            description=description,
            formatter_class=argparse.RawDescriptionHelpFormatter,
        )
        module.add_arguments(command)
        command.set_defaults(run=module.run)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    try:
        code: int = args.run(args)
    except TrailwatchError as err:
        print(f"trailwatch: {err}", file=sys.stderr)
        return exit_codes.USAGE
    except KeyboardInterrupt:
        print("trailwatch: interrupted", file=sys.stderr)
        return exit_codes.INTERRUPTED
    return code


if __name__ == "__main__":
    sys.exit(main())
