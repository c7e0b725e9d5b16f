"""The `trailwatch` command line: one subcommand per module in `trailwatch.commands`."""

from __future__ import annotations

import argparse
import importlib
import sys
from collections.abc import Sequence

from trailwatch.errors import TrailwatchError

# name -> (module, one-line help)
COMMANDS: dict[str, tuple[str, str]] = {
    "validate": ("trailwatch.commands.validate", "check the config and the event catalog"),
    "test": ("trailwatch.commands.selftest", "run every event's sample records"),
    "replay": ("trailwatch.commands.replay", "what would have fired for CloudTrail records"),
    "state": ("trailwatch.commands.state", "what each stack's state holds, and drift"),
    "drill": ("trailwatch.commands.drill", "perform safe API calls and check each alarm's filter"),
    "coverage": ("trailwatch.commands.coverage", "compliance controls the synthesized stacks meet"),
    "plan-report": ("trailwatch.commands.plan_report", "review Terraform plans for weakenings"),
}


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="trailwatch", description="CloudTrail security alarms as code."
    )
    sub = parser.add_subparsers(dest="command", metavar="COMMAND", required=True)
    for name, (module_name, help_text) in COMMANDS.items():
        try:
            module = importlib.import_module(module_name)
        except ModuleNotFoundError as err:
            if err.name != module_name:
                raise
            continue  # a command not built yet
        command = sub.add_parser(name, help=help_text, description=help_text)
        module.add_arguments(command)
        command.set_defaults(run=module.run)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    try:
        code: int = args.run(args)
    except TrailwatchError as err:
        print(f"trailwatch: {err}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        print("trailwatch: interrupted", file=sys.stderr)
        return 130
    return code


if __name__ == "__main__":
    sys.exit(main())
