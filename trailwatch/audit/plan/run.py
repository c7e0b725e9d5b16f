"""Plan every synthesized stack with Terraform (`plan-report --stacks`); never applied.

Stacks no target names any more (a target removed from the config, its state still holding
resources: `trailwatch.inventory.state.orphaned_states`) cannot be planned, cdktf no longer
synthesizes them. Each gets the plan its removal means instead, built from its state without
Terraform (`parse.destroy_plan_document`: every resource deleted, in plan JSON's shape), which
review flags as a removed target. `save_to` keeps those too (`<stack>.json`, marked as a removed
target), so a gate that reads the saved plans sees the removal as well.
"""

from __future__ import annotations

import json
import os
import sys
import tempfile
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import TYPE_CHECKING

from trailwatch.audit.plan.parse import StackPlan, destroy_plan_document, parse_plan
from trailwatch.errors import TrailwatchError

if TYPE_CHECKING:
    from trailwatch.spec.model import Deployment

# Stacks planned at once (each is a Terraform and a provider process).
PARALLEL_PLANS = 4


def plan_stacks(deployment: Deployment, save_to: Path | None = None) -> list[StackPlan]:
    """Init and plan every target's synthesized stack; with `save_to`, keep each plan's JSON."""
    # Imported here: reading plan files needs no Terraform.
    from trailwatch.tooling.terraform import Terraform

    env = _review_env()
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
            plans = list(pool.map(plan_one, range(len(deployment.targets))))
    return plans + orphan_plans(deployment, save_to)


def orphan_plans(deployment: Deployment, save_to: Path | None = None) -> list[StackPlan]:
    """The plan of every orphaned stack: all its resources deleted (see the module docstring)."""
    from trailwatch.inventory.state import orphaned_states

    scan = orphaned_states(deployment)
    for problem in scan.problems:
        print(f"trailwatch: warning: {problem}", file=sys.stderr, flush=True)
    plans = []
    for state in scan.states:
        print(
            f"reviewing {state.stack}: no target of the config names it; its "
            f"{len(state.resources())} resources in {state.source} are planned as destroyed",
            file=sys.stderr,
            flush=True,
        )
        regions = state.regions()
        document = destroy_plan_document(
            state.data, source=state.source, region=regions[0] if regions else None
        )
        if save_to:
            save_to.mkdir(parents=True, exist_ok=True)
            (save_to / f"{state.stack}.json").write_text(json.dumps(document), encoding="utf-8")
        plans.append(parse_plan(document, source=state.source, stack=state.stack))
    return plans


def _review_env() -> dict[str, str]:
    """The environment for review plans: without a state lock."""
    env = dict(os.environ)
    # A review plan is never applied, so it needs no state lock, and read-only credentials
    # cannot take one (S3-native locking writes an object).
    plan_args = env.get("TF_CLI_ARGS_plan", "")
    if "-lock=false" not in plan_args.split():
        env["TF_CLI_ARGS_plan"] = f"{plan_args} -lock=false".strip()
    return env
