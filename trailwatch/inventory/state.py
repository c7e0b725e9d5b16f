"""The inventory from Terraform state: a state file, `terraform show -json`, or a refresh.

`read_state(deployment, target)` reads one stack: the local state file directly (no Terraform
needed), or `terraform show -json` for an S3 backend. With `refresh=True` it runs `terraform
plan -refresh-only` and reads the refreshed values from that plan instead: state only learns
about changes made outside Terraform (a pattern edited in the console or through boto3) after a
refresh, and a refresh-only *plan* never writes state, so a refresh stays read-only.

`stored_states(deployment)` finds every trailwatch stack's state where the config keeps state
(state files in the state folder, or objects under the S3 key prefix), and `orphaned_states`
those that still hold resources but that no target names: a target removed from the config
leaves its stack deployed, and neither cdktf nor a plan of the configured stacks sees it.
"""

from __future__ import annotations

import json
import tempfile
from collections import Counter
from collections.abc import Callable, Collection, Iterable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from trailwatch.errors import StateError
from trailwatch.inventory.model import Inventory
from trailwatch.inventory.resources import Resource, build_inventory
from trailwatch.spec import naming
from trailwatch.spec.model import Deployment
from trailwatch.spec.targets import LocalBackend, S3Backend, Target
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


# --- every trailwatch stack's stored state, and the orphans among them ----------------------


@dataclass(frozen=True)
class StoredState:
    """One trailwatch stack's state as stored (a local file or an S3 object), read raw."""

    stack: str
    # The file's path, or s3://bucket/key.
    source: str
    data: Mapping[str, Any]

    @property
    def target(self) -> str:
        """The target the stack was made for (its name without the stack prefix)."""
        return naming.target_of_stack(self.stack) or self.stack

    def resources(self) -> tuple[Resource, ...]:
        return _parsed(self.source, resources_from_state_file, self.data)

    def inventory(self) -> Inventory:
        return build_inventory(self.stack, self.source, self.resources())

    def regions(self) -> tuple[str, ...]:
        """The regions in the resources' own ARNs, most frequent first (IAM's have none)."""
        return tuple(name for name, _ in _arn_parts(self.resources(), 3).most_common())

    def accounts(self) -> tuple[str, ...]:
        """The accounts in the resources' own ARNs, most frequent first."""
        return tuple(name for name, _ in _arn_parts(self.resources(), 4).most_common())


@dataclass(frozen=True)
class StateScan:
    """Stored states found, and why some place could not be looked at (best effort: S3)."""

    states: tuple[StoredState, ...]
    problems: tuple[str, ...] = ()


def _arn_parts(resources: Iterable[Resource], index: int) -> Counter[str]:
    found: Counter[str] = Counter()
    for resource in resources:
        arn = resource.values.get("arn")
        parts = arn.split(":") if isinstance(arn, str) and arn.startswith("arn:") else []
        if len(parts) > index and parts[index]:
            found[parts[index]] += 1
    return found


def stored_states(
    deployment: Deployment, *, skip: Collection[str] = (), s3_client: Any = None
) -> StateScan:
    """Every trailwatch stack's state where this config keeps state, but the stacks in `skip`.

    Local backend (and always with the emulator): `<state dir>/trailwatch-*.tfstate`. S3: the
    objects `<key_prefix>/trailwatch-*.tfstate`, listed and read with boto3 (`s3_client`, else
    one with the first target's profile in the backend's region); an access error there is one
    of the scan's `problems`, not an exception: the scan is best effort.
    """
    backend = deployment.state(deployment.targets[0]).backend
    if isinstance(backend, LocalBackend):
        states = []
        for path in sorted(deployment.state_dir().glob(f"{naming.STACK_PREFIX}*.tfstate")):
            stack = path.name.removesuffix(".tfstate")
            if _is_stack(stack) and stack not in skip and path.is_file():
                states.append(StoredState(stack, str(path), _read_json(path, str(path))))
        return StateScan(tuple(states))
    return _s3_states(deployment, backend, skip, s3_client)


def orphaned_states(deployment: Deployment, *, s3_client: Any = None) -> StateScan:
    """Stored states with resources in them that no target of the config names."""
    configured = {deployment.stack_name(t) for t in deployment.targets}
    scan = stored_states(deployment, skip=configured, s3_client=s3_client)
    return StateScan(tuple(s for s in scan.states if s.resources()), scan.problems)


def _is_stack(name: str) -> bool:
    return naming.stack_in_text(name) == name and naming.target_of_stack(name) is not None


def _read_json(path: Path, source: str) -> Mapping[str, Any]:
    try:
        body = path.read_bytes()
    except OSError as err:
        raise StateError(f"{source}: cannot read Terraform state: {err}") from None
    return _loads(body, source)


def s3_state_key(backend: S3Backend, stack: str) -> str:
    """The object key of a stack's state (as `Deployment.state` makes it)."""
    return f"{backend.key_prefix.strip('/')}/{stack}.tfstate"


def s3_client_for(deployment: Deployment, backend: S3Backend) -> Any:
    """boto3's S3 client for the state bucket: the first target's profile, the bucket's region."""
    import boto3  # type: ignore[import-untyped]

    session = boto3.Session(profile_name=deployment.targets[0].profile)
    return session.client("s3", region_name=backend.region)


def _s3_states(
    deployment: Deployment, backend: S3Backend, skip: Collection[str], client: Any
) -> StateScan:
    from botocore.exceptions import BotoCoreError, ClientError  # type: ignore[import-untyped]

    prefix = f"{backend.key_prefix.strip('/')}/"
    where = f"s3://{backend.bucket}/{prefix}"
    try:
        client = client or s3_client_for(deployment, backend)
        keys = []
        for page in client.get_paginator("list_objects_v2").paginate(
            Bucket=backend.bucket, Prefix=prefix + naming.STACK_PREFIX
        ):
            keys += [entry["Key"] for entry in page.get("Contents", [])]
    except (BotoCoreError, ClientError) as err:
        return StateScan((), (f"cannot list {where} (stacks no target names go unseen): {err}",))
    states, problems = [], []
    for key in sorted(keys):
        stack = key.removeprefix(prefix).removesuffix(".tfstate")
        if not key.endswith(".tfstate") or not _is_stack(stack) or stack in skip:
            continue
        source = f"s3://{backend.bucket}/{key}"
        try:
            body = client.get_object(Bucket=backend.bucket, Key=key)["Body"].read()
        except (BotoCoreError, ClientError) as err:
            problems.append(f"cannot read {source}: {err}")
            continue
        states.append(StoredState(stack, source, _loads(body, source)))
    return StateScan(tuple(states), tuple(problems))


def _loads(body: bytes, source: str) -> Mapping[str, Any]:
    try:
        data = json.loads(body)
    except (UnicodeDecodeError, json.JSONDecodeError) as err:
        raise StateError(f"{source}: cannot read Terraform state: {err}") from None
    if not isinstance(data, Mapping):
        raise StateError(f"{source}: not a Terraform state file (not a JSON object)")
    return data
