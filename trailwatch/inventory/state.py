"""The inventory from Terraform state: a state file, `terraform show -json`, or a refresh.

`read_state(deployment, target)` reads one stack: the local state file directly (no Terraform
needed), or `terraform show -json` for an S3 backend. With `refresh=True` it runs `terraform
plan -refresh-only` and reads the refreshed values from that plan instead: state only learns
about changes made outside Terraform (a pattern edited in the console or through boto3) after a
refresh, and a refresh-only *plan* never writes state, so a refresh stays read-only.
"""

from __future__ import annotations

import json
import tempfile
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import Any

from trailwatch.errors import StateError
from trailwatch.inventory.model import Inventory
from trailwatch.inventory.resources import Resource, build_inventory
from trailwatch.spec.config import LocalBackend, Target
from trailwatch.spec.model import Deployment
from trailwatch.tooling.terraform import Terraform

TerraformFactory = Callable[[Path, str], Terraform]


def _terraform(stack_dir: Path, stack: str) -> Terraform:
    return Terraform(stack_dir, stack=stack)


def read_state(
    deployment: Deployment,
    target: Target,
    *,
    refresh: bool = False,
    terraform: TerraformFactory = _terraform,
) -> tuple[Inventory | None, str]:
    """The stack's inventory (None: no state at all) and where it was read from."""
    stack = deployment.stack_name(target)
    location = deployment.state(target)
    if refresh:
        tf = terraform(deployment.stack_dir(target), stack)
        # The folder may have been initialized for another backend (a real deploy, the demo).
        tf.init(reconfigure=True)
        with tempfile.TemporaryDirectory(prefix="trailwatch-refresh-") as tmp:
            plan_file = Path(tmp) / "refresh.tfplan"
            tf.plan(out=plan_file, refresh_only=True)
            plan = tf.show_plan(plan_file)
        # A refresh-only plan's prior_state is the refreshed state.
        prior = plan.get("prior_state", {}).get("values")
        source = f"{stack} (refreshed)"
        return build_inventory(stack, source, resources_from_values(prior) if prior else ()), source
    if isinstance(location.backend, LocalBackend):
        path = deployment.state_dir() / f"{stack}.tfstate"
        if not path.is_file():
            return None, str(path)
        return read_state_file(path, stack), str(path)
    tf = terraform(deployment.stack_dir(target), stack)
    tf.init(reconfigure=True)
    values = tf.show_state().get("values")
    source = f"s3://{location.backend.bucket}/{location.path}"
    if not values:
        return None, source
    return build_inventory(stack, source, _parsed(source, resources_from_values, values)), source


def read_state_file(path: Path, stack: str) -> Inventory:
    """One raw state file (format version 4)."""
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, json.JSONDecodeError) as err:
        raise StateError(f"{path}: cannot read Terraform state: {err}") from None
    resources = _parsed(str(path), resources_from_state_file, data)
    return build_inventory(stack, str(path), resources)


def _parsed(
    source: str, parse: Callable[[Mapping[str, Any]], tuple[Resource, ...]], data: Any
) -> tuple[Resource, ...]:
    # A truncated or hand-edited state must be one clear message, not a traceback.
    try:
        if not isinstance(data, Mapping):
            raise TypeError("not a JSON object")
        return parse(data)
    except (KeyError, TypeError, AttributeError) as err:
        raise StateError(f"{source}: not a Terraform state file ({err})") from None


def resources_from_state_file(data: Mapping[str, Any]) -> tuple[Resource, ...]:
    """Managed resources of a raw state file (format version 4)."""
    if data.get("version") != 4:
        raise TypeError(
            f"Terraform state format version {data.get('version')} is not supported (want 4)"
        )
    resources = []
    for resource in data.get("resources", []):
        if resource.get("mode") != "managed":
            continue
        for instance in resource.get("instances", []):
            resources.append(
                Resource(resource["type"], resource["name"], instance.get("attributes", {}))
            )
    return tuple(resources)


def resources_from_values(values: Mapping[str, Any]) -> tuple[Resource, ...]:
    """Managed resources of `terraform show -json` values (state, or a plan's prior_state)."""
    resources = []
    modules = [values.get("root_module", {})]
    while modules:
        module = modules.pop()
        for resource in module.get("resources", []):
            if resource.get("mode") == "managed":
                resources.append(
                    Resource(resource["type"], resource["name"], resource.get("values", {}))
                )
        modules.extend(module.get("child_modules", []))
    return tuple(resources)
