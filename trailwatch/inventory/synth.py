"""The inventory from synthesized stacks (`cdktf.out/stacks/<stack>/cdk.tf.json`).

References between resources (`${aws_cloudwatch_log_group.x.name}`) are resolved to the literal
argument they point at; values computed at apply time (ARNs, ids) stay as the reference, which
is how alarm actions and subscriptions are matched to their topic.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterable
from pathlib import Path
from typing import Any

from trailwatch.errors import SynthError
from trailwatch.inventory.model import Inventory
from trailwatch.inventory.resources import Resource, build_inventory, log_group_name_of_arn

REFERENCE = re.compile(r"^\$\{(aws_[a-z0-9_]+)\.([A-Za-z0-9_-]+)\.([A-Za-z0-9_.\[\]]+)\}(.*)$")
_LOG_GROUP_ARN = re.compile(r"^\$\{aws_cloudwatch_log_group\.([A-Za-z0-9_-]+)\.arn\}")


class _Resolver:
    """Terraform references of one stack resolved to the literal arguments they point at."""

    def __init__(self, data: dict[str, Any]) -> None:
        self.resources: dict[str, dict[str, dict[str, Any]]] = data.get("resource", {})

    def of(self, kind: str) -> dict[str, dict[str, Any]]:
        return self.resources.get(kind, {})

    def value(self, value: Any) -> Any:
        """The literal behind `${type.name.attr}`; the reference itself when it is computed."""
        if isinstance(value, dict):
            return {k: self.value(v) for k, v in value.items()}
        if isinstance(value, list):
            return [self.value(v) for v in value]
        match = REFERENCE.match(value) if isinstance(value, str) else None
        if not match:
            return value
        kind, name, path, rest = match.groups()
        node: Any = self.of(kind).get(name)
        for part in re.findall(r"[A-Za-z0-9_]+|\[\d+\]", path):
            if part.startswith("["):
                # cdktf writes single blocks as objects; Terraform indexes them as lists.
                node = node[int(part[1:-1])] if isinstance(node, list) else node
            elif isinstance(node, dict) and part in node:
                node = node[part]
            else:
                return value  # computed at apply time (an ARN, an id): keep the reference
        resolved = self.value(node)
        return f"{resolved}{rest}" if rest else resolved

    def log_group_of_arn(self, arn: str) -> str | None:
        """The log group name in a trail's `cloud_watch_logs_group_arn`."""
        match = _LOG_GROUP_ARN.match(arn)
        if match:
            group = self.of("aws_cloudwatch_log_group").get(match.group(1), {})
            return str(group["name"]) if "name" in group else None
        return log_group_name_of_arn(arn)

    def all_resources(self) -> list[Resource]:
        """Every resource of the stack, its references resolved, in a stable order."""
        return [
            Resource(kind, name, self.value(values))
            for kind, by_name in sorted(self.resources.items())
            for name, values in sorted(by_name.items())
        ]


def read_synth_stack(path: Path, name: str) -> Inventory:
    """Read one synthesized `cdk.tf.json`."""
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError) as err:
        raise SynthError(f"{path}: cannot read the synthesized stack: {err}") from None
    try:
        return inventory_of_synth(data, name, str(path))
    except (KeyError, TypeError, AttributeError, IndexError, ValueError) as err:
        # A hand-edited or foreign file: one message, not a traceback.
        raise SynthError(f"{path}: not a stack cdktf synthesized ({err!r})") from None


def inventory_of_synth(data: dict[str, Any], name: str, source: str = "") -> Inventory:
    refs = _Resolver(data)
    return build_inventory(
        name,
        source or name,
        refs.all_resources(),
        account=_account(data),
        log_group_of_arn=refs.log_group_of_arn,
    )


def _account(data: dict[str, Any]) -> str:
    """The account a stack's provider is pinned to, else the credentials that pick it."""
    providers = data.get("provider", {}).get("aws") or [{}]
    provider = providers[0] if isinstance(providers, list) else {}
    allowed = provider.get("allowed_account_ids")
    if allowed:
        return "account " + ",".join(map(str, allowed))
    roles = provider.get("assume_role") or [{}]
    role = roles[0].get("role_arn") if isinstance(roles, list) and roles else None
    return f"profile {provider.get('profile') or 'default'}, role {role or 'none'}"


def read_synth_stacks(outdir: Path, names: Iterable[str]) -> list[Inventory]:
    """The named stacks of a synth output folder; a missing one says to run `make synth`."""
    stacks_dir = outdir / "stacks"
    if not stacks_dir.is_dir():
        raise SynthError(
            f"{stacks_dir}: no synthesized stacks; run `make synth` first (or pass --synth-dir)"
        )
    inventories = []
    for name in names:
        path = stacks_dir / name / "cdk.tf.json"
        if not path.is_file():
            raise SynthError(
                f"{path}: stack {name} of the config is not synthesized; run `make synth`"
            )
        inventories.append(read_synth_stack(path, name))
    return inventories
