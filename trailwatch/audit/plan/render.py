"""A plan review as a pull request comment (Markdown) or as one JSON document."""

from __future__ import annotations

import json
from collections.abc import Mapping
from typing import Any

from trailwatch.audit.plan.masking import Hidden, marker_json
from trailwatch.audit.plan.parse import Action, ResourceChange, StackPlan
from trailwatch.audit.plan.report import Finding, Report

# Characters of a value shown in a table cell; the Security review shows patterns in full.
CELL_LIMIT = 80
# Resources listed per stack in a finding before "and N more".
LISTED_RESOURCES = 4


def render_json(report: Report) -> str:
    """`Report.to_json()`, indented (no trailing newline)."""
    return json.dumps(report.to_json(), indent=2)


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
    label = "**weakening**" if finding.weakening else finding.kind
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
        lines += _rows(change)
    return lines + ["", "</details>", ""]


def _rows(change: ResourceChange) -> list[str]:
    """A change's table rows: one per changing attribute, the resource on the first."""
    first = f"| {change.action} | {_code(change.address, table=True)} |"
    attributes = change.attributes()
    if not attributes:
        return [f"{first} | | |"]
    rows = []
    for index, attribute in enumerate(attributes):
        name = _code(attribute.name, table=True)
        if attribute.forces_replacement:
            name += " (forces replacement)"
        lead = first if index == 0 else "| | |"
        before, after = _cells(attribute.before, attribute.after)
        rows.append(f"{lead} {name} | {before} | {after} |")
    return rows


def _cells(before: Any, after: Any) -> tuple[str, str]:
    """Both sides of a change for a table; long values are cut around where they differ."""
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
    return json.dumps(value, default=marker_json, sort_keys=True, separators=(",", ":"))


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
