"""`trailwatch plan-report`: review Terraform plans for changes that weaken the security alarms.

Reads the output of `terraform show -json PLANFILE` (one file per stack), or with `--stacks`
plans every synthesized stack itself, and prints a report for a pull request comment: the
security review first, then per stack the counts and the changing attributes.

Exit status: 0; 1 with `--fail-on-weakening` when a weakening is flagged; 2, as for every
command, for a usage or input error such as a missing or malformed plan file.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import tempfile
from collections.abc import Mapping
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import TYPE_CHECKING, Any

from trailwatch.cli import exit_codes, options

if TYPE_CHECKING:
    from trailwatch.audit.plan.rules import Action, Finding, Report, StackPlan
    from trailwatch.spec.model import Deployment

# Characters of a value shown in a table cell; the Security review shows patterns in full.
CELL_LIMIT = 80
# Resources listed per stack in a finding before "and N more".
LISTED_RESOURCES = 4
# Stacks planned at once with --stacks (each is a Terraform and a provider process).
PARALLEL_PLANS = 4


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
    from trailwatch.audit.plan.rules import load_plan, review
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
    report = review(stacks, deployment.catalog, deployment.profile)
    if args.format == "json":
        print(json.dumps(report_json(report), indent=2, default=_hidden_json))
    else:
        sys.stdout.write(render_markdown(report))
    return exit_codes.FINDINGS if args.fail_on_weakening and report.weakenings else exit_codes.OK


def plan_stacks(deployment: Deployment, save_to: Path | None = None) -> list[StackPlan]:
    """Init and plan every target's synthesized stack; the plans are never applied."""
    from trailwatch.audit.plan.rules import parse_plan
    from trailwatch.errors import TrailwatchError
    from trailwatch.tooling.terraform import Terraform

    env = dict(os.environ)
    # A review plan is never applied, so it needs no state lock, and read-only credentials
    # cannot take one (S3-native locking writes an object).
    plan_args = env.get("TF_CLI_ARGS_plan", "")
    if "-lock=false" not in plan_args.split():
        env["TF_CLI_ARGS_plan"] = f"{plan_args} -lock=false".strip()
    for target in deployment.targets:
        if not (deployment.stack_dir(target) / "cdk.tf.json").is_file():
            raise TrailwatchError(
                f"{deployment.stack_name(target)}: not synthesized in "
                f"{deployment.stack_dir(target)}: run `make synth` with the same config first"
            )
    if save_to:
        save_to.mkdir(parents=True, exist_ok=True)

    with tempfile.TemporaryDirectory(prefix="trailwatch-plan-") as tmp:

        def plan_one(index: int) -> StackPlan:
            target = deployment.targets[index]
            name = deployment.stack_name(target)
            print(f"planning {name} ...", file=sys.stderr, flush=True)
            terraform = Terraform(deployment.stack_dir(target), stack=name, env=env)
            # Always init: a backend changed since the last init would fail the plan.
            terraform.init()
            plan_file = Path(tmp) / f"{name}.tfplan"
            terraform.plan(out=plan_file)
            data = terraform.show_plan(plan_file)
            if save_to:
                (save_to / f"{name}.json").write_text(json.dumps(data), encoding="utf-8")
            return parse_plan(data, source=str(deployment.stack_dir(target)), stack=name)

        with ThreadPoolExecutor(max_workers=PARALLEL_PLANS) as pool:
            return list(pool.map(plan_one, range(len(deployment.targets))))


# --- JSON -------------------------------------------------------------------------------------


def report_json(report: Report) -> dict[str, Any]:
    """The report as one JSON object (masked values appear as their marker text)."""
    return {
        "verdict": report.verdict,
        "weakenings": report.weakenings,
        "to_review": len(report.findings),
        "findings": [
            {
                "kind": f.kind,
                "reason": f.reason,
                "resources": [{"stack": r.stack, "address": r.address} for r in f.resources],
                "pattern": None
                if f.pattern is None
                else {
                    "event": f.pattern.event_id,
                    "before": f.pattern.before,
                    "after": f.pattern.after,
                    "no_longer_match": list(f.pattern.stops_matching),
                    "now_match": list(f.pattern.starts_matching),
                    "unchecked": f.pattern.unchecked,
                },
            }
            for f in report.findings
        ],
        "stacks": [
            {
                "stack": s.stack,
                "region": s.region,
                "source": s.source,
                "counts": s.counts(),
                "changes": [
                    {
                        "address": c.address,
                        "type": c.type,
                        "action": c.action,
                        "attributes": [
                            {
                                "name": a.name,
                                "before": a.before,
                                "after": a.after,
                                "forces_replacement": a.forces_replacement,
                            }
                            for a in c.attributes()
                        ],
                    }
                    for c in s.changes
                ],
            }
            for s in report.stacks
        ],
    }


def _hidden_json(value: object) -> str:
    from trailwatch.audit.plan.rules import Hidden

    if isinstance(value, Hidden):
        return value.value
    raise TypeError(f"{type(value).__name__} is not JSON serializable")


# --- Markdown ---------------------------------------------------------------------------------


def render_markdown(report: Report) -> str:
    """The pull request comment: verdict, security review, then the changes per stack."""
    icon = "⚠️" if report.findings else "✅"
    stacks = len(report.stacks)
    lines = [
        "## trailwatch plan review",
        "",
        f"{icon} **{report.verdict}** · {_counts(report.counts())} in {stacks} "
        f"stack{'s' if stacks != 1 else ''}",
        "",
        "### Security review",
        "",
    ]
    if not report.findings:
        lines += ["No change weakens or needs a second look at the security alarms.", ""]
    for finding in report.findings:
        lines += _finding(finding)
    if report.findings:
        lines.append("")
    lines += ["### Changes by stack", ""]
    for stack in report.stacks:
        lines += _stack(stack)
    return "\n".join(lines).rstrip("\n") + "\n"


def _counts(counts: Mapping[Action, int]) -> str:
    words = [
        f"{counts['create']} to add",
        f"{counts['update']} to change",
        f"{counts['replace']} to replace",
        f"{counts['delete']} to destroy",
    ]
    if counts["forget"]:
        words.append(f"{counts['forget']} to forget")
    return ", ".join(words)


def _finding(finding: Finding) -> list[str]:
    label = "**weakening**" if finding.weakening else "review"
    lines = [f"- {label}: {finding.reason}"]
    by_stack: dict[str, list[str]] = {}
    for resource in finding.resources:
        by_stack.setdefault(resource.stack, []).append(resource.address)
    for stack, addresses in by_stack.items():
        shown = ", ".join(_code(a) for a in addresses[:LISTED_RESOURCES])
        if len(addresses) > LISTED_RESOURCES:
            shown += f" and {len(addresses) - LISTED_RESOURCES} more"
        lines.append(f"  - {_code(stack)}: {shown}")
    pattern = finding.pattern
    if pattern is not None:
        lines.append(f"  - before: {_code(pattern.before)}")
        lines.append(f"  - after: {_code(pattern.after)}")
        for title, notes in (
            ("no longer match", pattern.stops_matching),
            ("now match", pattern.starts_matching),
        ):
            if notes:
                lines.append(f"  - catalog samples that {title}:")
                lines += [f"    - {note}" for note in notes]
    return lines


def _stack(stack: StackPlan) -> list[str]:
    region = f" ({stack.region})" if stack.region else ""
    lines = [f"#### {stack.stack}{region}", ""]
    if not stack.changes:
        return lines + [
            f"No changes: the deployed resources match the configuration (plan: "
            f"{_code(stack.source)}).",
            "",
        ]
    lines += [
        f"{_counts(stack.counts())} (plan: {_code(stack.source)})",
        "",
        f"<details><summary>{len(stack.changes)} changed resource"
        f"{'s' if len(stack.changes) != 1 else ''}</summary>",
        "",
        "| action | resource | attribute | before | after |",
        "|---|---|---|---|---|",
    ]
    for change in stack.changes:
        first = f"| {change.action} | {_code(change.address, table=True)} |"
        attributes = change.attributes()
        if not attributes:
            lines.append(f"{first} | | |")
        for index, attribute in enumerate(attributes):
            name = _code(attribute.name, table=True)
            if attribute.forces_replacement:
                name += " (forces replacement)"
            lead = first if index == 0 else "| | |"
            before, after = _cells(attribute.before, attribute.after)
            lines.append(f"{lead} {name} | {before} | {after} |")
    return lines + ["", "</details>", ""]


def _cells(before: Any, after: Any) -> tuple[str, str]:
    """Both sides of a change for a table; long values are cut around where they differ."""
    from trailwatch.audit.plan.rules import Hidden

    texts = [None if isinstance(v, Hidden) else _text(v) for v in (before, after)]
    start = 0
    if texts[0] is not None and texts[1] is not None:
        # Long values (patterns, policies) often share a long prefix: start shortly before
        # the first difference, so that the cells do not look the same.
        common = next(
            (i for i, (a, b) in enumerate(zip(texts[0], texts[1], strict=False)) if a != b),
            min(len(texts[0]), len(texts[1])),
        )
        if common > CELL_LIMIT // 2:
            start = common - CELL_LIMIT // 4
    cells = []
    for value, text in zip((before, after), texts, strict=True):
        if text is None:
            cells.append(f"*{value.value}*")
            continue
        if start:
            text = "…" + text[start:]
        if len(text) > CELL_LIMIT:
            text = text[: CELL_LIMIT - 1] + "…"
        cells.append(_code(text, table=True))
    return cells[0], cells[1]


def _text(value: Any) -> str:
    if isinstance(value, str):
        return value if value else '""'
    return json.dumps(value, default=_hidden_json, sort_keys=True, separators=(",", ":"))


def _code(text: str, *, table: bool = False) -> str:
    """A Markdown code span that survives backticks, newlines and (in tables) pipes."""
    text = text.replace("\r", "").replace("\n", "\\n")
    if table:
        text = text.replace("|", "\\|")
    longest = run = 0
    for char in text:
        run = run + 1 if char == "`" else 0
        longest = max(longest, run)
    fence = "`" * (longest + 1)
    pad = " " if text.startswith("`") or text.endswith("`") else ""
    return f"{fence}{pad}{text}{pad}{fence}"
