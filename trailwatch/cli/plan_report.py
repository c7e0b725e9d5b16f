"""`trailwatch plan-report`: review Terraform plans for changes that weaken the security alarms.

Reads the output of `terraform show -json PLANFILE` (one file per stack), or with `--stacks`
plans every synthesized stack itself, and prints a report for a pull request comment: the
security review first, then per stack the counts and the changing attributes.

Exit status: 0; 1 with `--fail-on-weakening` when a weakening is flagged; 2, as for every
command, for a usage or input error such as a missing or malformed plan file.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from trailwatch.cli import exit_codes, options


def add_arguments(parser: argparse.ArgumentParser) -> None:
    options.add_config(parser)
    parser.add_argument(
        "--format", choices=("markdown", "json"), default="markdown", help="default: markdown"
    )
    parser.add_argument(
        "--fail-on-weakening",
        action="store_true",
        help="exit with 1 when a change weakens the alarms (for a CI gate)",
    )
    parser.add_argument(
        "--stacks",
        action="store_true",
        help="run `terraform plan` in every synthesized stack instead of reading PLAN_JSON",
    )
    parser.add_argument(
        "--save-plans",
        type=Path,
        metavar="DIR",
        help="with --stacks: also write each plan's JSON to DIR/<stack>.json",
    )
    parser.add_argument(
        "plans",
        metavar="PLAN_JSON",
        nargs="*",
        type=Path,
        help="output of `terraform show -json PLANFILE`, one file per stack",
    )


def run(args: argparse.Namespace) -> int:
    from trailwatch.audit.plan import load_plan, plan_stacks, render_json, render_markdown, review
    from trailwatch.errors import TrailwatchError
    from trailwatch.spec.model import load_deployment

    if args.stacks == bool(args.plans):
        raise TrailwatchError("plan-report: give PLAN_JSON files or --stacks (one of the two)")
    if args.save_plans and not args.stacks:
        raise TrailwatchError("plan-report: --save-plans only goes with --stacks")
    # The catalog (for the pattern samples) and, with --stacks, the stack folders.
    deployment = load_deployment(args.config)
    if args.stacks:
        stacks = plan_stacks(deployment, args.save_plans)
    else:
        stacks = [load_plan(path) for path in args.plans]
    report = review(
        stacks, deployment.catalog, deployment.profile, deployment.config.exclusions.rules
    )
    if args.format == "json":
        print(render_json(report))
    else:
        sys.stdout.write(render_markdown(report))
    return exit_codes.FINDINGS if args.fail_on_weakening and report.weakenings else exit_codes.OK
