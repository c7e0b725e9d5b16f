"""Review Terraform plans of trailwatch stacks: what changes, and what weakens the alarms.

Pure: reads the JSON that `terraform show -json PLANFILE` prints (format 1.x) and the catalog;
never imports cdktf, and runs Terraform only in `plan_stacks` (`plan-report --stacks`).

    stack = parse_plan(json.loads(text), source="primary.json")   # or load_plan(path)
    report = review([stack, ...], catalog, profile="securityhub")
    report.verdict            # "No security-relevant change" | "3 changes to review (2 weakenings)"
    report.findings           # what a reviewer must look at, weakenings first
    stack.changes[0].attributes()   # before -> after of each changing attribute, masked
    render_markdown(report)   # the pull request comment; report.to_json() for --format json

The stages, one module each:

- `parse`: plan JSON into `StackPlan` / `ResourceChange`, and which stack a plan is of.
- `masking`: `Hidden` markers for what a plan marks sensitive or knows only at apply.
- `rules`: one rule per resource type (`RULES`) and the stack-wide ones; `pattern_review`
  judges filter pattern changes by the catalog's samples.
- `review`: the rules over every stack, grouped into a `Report` of `Finding`s (`report`).
- `render`: the report as Markdown; `run`: Terraform plans of every synthesized stack.

Values a plan marks sensitive are never shown (`Hidden.SENSITIVE`); values Terraform learns only
at apply are `Hidden.UNKNOWN`. Findings compare raw values but word them with masked ones.
Errors in the input are `trailwatch.errors.PlanError`.
"""

from trailwatch.audit.plan.masking import Hidden, hide
from trailwatch.audit.plan.parse import (
    ACTIONS,
    Action,
    AttributeChange,
    ResourceChange,
    StackPlan,
    load_plan,
    parse_plan,
    stack_of_plan,
)
from trailwatch.audit.plan.render import render_json, render_markdown
from trailwatch.audit.plan.report import Finding, Kind, PatternChange, Report, ResourceRef
from trailwatch.audit.plan.review import review
from trailwatch.audit.plan.rules import RULES
from trailwatch.audit.plan.run import plan_stacks

__all__ = [
    "ACTIONS",
    "RULES",
    "Action",
    "AttributeChange",
    "Finding",
    "Hidden",
    "Kind",
    "PatternChange",
    "Report",
    "ResourceChange",
    "ResourceRef",
    "StackPlan",
    "hide",
    "load_plan",
    "parse_plan",
    "plan_stacks",
    "render_json",
    "render_markdown",
    "review",
    "stack_of_plan",
]
