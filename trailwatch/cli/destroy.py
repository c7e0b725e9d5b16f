"""`trailwatch destroy`: destroy an orphaned stack, whose target is no longer in the config.

    trailwatch destroy --orphaned NAME [--yes] [--region REGION] [--profile PROFILE]

A target removed from the config leaves its stack deployed: cdktf no longer synthesizes it, so
`cdktf destroy trailwatch-NAME` cannot find it (`trailwatch state` lists it as orphaned). This
rebuilds just enough of that stack from its state to destroy it: a Terraform configuration with
no resources, the same backend (the same state file, or S3 key) and an AWS provider for the
region in the state's ARNs (`--region` when they name none), limited to the account in them
(`allowed_account_ids`), and pointed at the emulator when TRAILWATCH_ENDPOINT_URL is set. Then
`terraform destroy` removes everything the state holds, and the state is left empty.

NAME is the removed target's name (or its stack name, trailwatch-NAME). It asks for
confirmation, naming the stack and how many resources it holds, on a terminal; elsewhere it
needs `--yes`. Credentials: `--profile`, else the environment's (AWS_PROFILE, ...).

Exit 0 when the stack's state is empty afterwards; 2 for a NAME a configured target still uses
(destroy that with `cdktf destroy`), a NAME with no state, no confirmation, or a resource the
stack shares with a configured target's state (destroying it would pull it from under that one).
"""

from __future__ import annotations

import argparse
import json
import sys
import tempfile
from pathlib import Path
from typing import TYPE_CHECKING, Any

from trailwatch.cli import exit_codes, options

if TYPE_CHECKING:
    from trailwatch.inventory.resources import Resource
    from trailwatch.inventory.state import StoredState
    from trailwatch.spec.model import Deployment
    from trailwatch.tooling.terraform import Message

# Resources of a shared-resource refusal named in its message.
LISTED_SHARED = 5


def add_arguments(parser: argparse.ArgumentParser) -> None:
    options.add_config(parser)
    parser.add_argument(
        "--orphaned",
        required=True,
        metavar="NAME",
        help="the target removed from the config (or its stack, trailwatch-NAME) to destroy",
    )
    parser.add_argument(
        "--yes", action="store_true", help="destroy without asking (required off a terminal)"
    )
    parser.add_argument(
        "--region",
        help="the stack's region, when the ARNs in its state name none (default: from them)",
    )
    parser.add_argument(
        "--profile",
        help="AWS profile for the provider (default: the environment's credentials; ignored "
        "with the emulator)",
    )


def run(args: argparse.Namespace) -> int:
    from trailwatch.errors import TrailwatchError
    from trailwatch.inventory.state import stored_states
    from trailwatch.spec.model import load_deployment

    deployment = load_deployment(args.config)
    stack = _orphan_stack(deployment, args.orphaned)
    configured = {deployment.stack_name(t) for t in deployment.targets}
    scan = stored_states(deployment, skip=configured)
    found = [s for s in scan.states if s.stack == stack]
    if not found:
        orphans = ", ".join(s.stack for s in scan.states if s.resources()) or "none"
        problems = "".join(f"; {p}" for p in scan.problems)
        raise TrailwatchError(
            f"destroy --orphaned {args.orphaned}: no state of {stack} in "
            f"{_where(deployment)} (orphaned stacks there: {orphans}){problems}"
        )
    (state,) = found
    resources = state.resources()
    if not resources:
        print(f"{stack}: its state ({state.source}) holds nothing: nothing to destroy")
        return exit_codes.OK
    _refuse_shared(deployment, state, configured)
    region = _region(state, args.region)
    inventory = state.inventory()
    summary = (
        f"{stack}: {len(resources)} resources ({len(inventory.filters)} filters, "
        f"{len(inventory.alarms)} alarms) in {region}, state {state.source}"
    )
    if not args.yes and not _confirmed(summary):
        raise TrailwatchError(
            f"destroy --orphaned {args.orphaned}: not confirmed, nothing destroyed (answer yes "
            "on a terminal, or pass --yes)"
        )
    print(f"destroying {summary}", file=sys.stderr, flush=True)
    _destroy(deployment, state, region, args.profile)

    after = [s for s in stored_states(deployment, skip=configured).states if s.stack == stack]
    left = after[0].resources() if after else ()
    if left:
        raise TrailwatchError(
            f"{stack}: terraform destroy finished but {len(left)} resources are still in "
            f"{state.source}: " + ", ".join(f"{r.type}.{r.name}" for r in left[:LISTED_SHARED])
        )
    print(f"destroyed {stack}: {len(resources)} resources; its state ({state.source}) is empty")
    return exit_codes.OK


def _orphan_stack(deployment: Deployment, name: str) -> str:
    """The stack NAME means; a target of the config (or its stack) is refused."""
    from trailwatch.errors import ConfigError
    from trailwatch.spec import naming

    configured = {t.name for t in deployment.targets}
    as_stack = naming.target_of_stack(name)
    for target in (name, as_stack):
        if target in configured:
            stack = naming.stack_name(target)
            raise ConfigError(
                f"destroy --orphaned {name}: target {target} is in the config "
                f"({deployment.config_path}): {stack} is not orphaned; remove the target from "
                f"the config first, or destroy a configured stack with `cdktf destroy {stack}`"
            )
    stack = naming.stack_name(name)
    if naming.stack_in_text(stack) != stack:
        raise ConfigError(f"destroy --orphaned {name}: not a target name")
    # "trailwatch-old" names the stack itself unless a target was called that.
    if as_stack is not None and not _has_state(deployment, stack):
        return name
    return stack


def _has_state(deployment: Deployment, stack: str) -> bool:
    from trailwatch.inventory.state import stored_states

    return any(s.stack == stack for s in stored_states(deployment).states)


def _where(deployment: Deployment) -> str:
    from trailwatch.spec.targets import LocalBackend

    backend = deployment.state(deployment.targets[0]).backend
    if isinstance(backend, LocalBackend):
        return str(deployment.state_dir())
    return f"s3://{backend.bucket}/{backend.key_prefix.strip('/')}/"


def _region(state: StoredState, given: str | None) -> str:
    from trailwatch.errors import StateError

    if given:
        return given
    regions = state.regions()
    if len(regions) == 1:
        return regions[0]
    if not regions:
        raise StateError(
            f"{state.source}: no ARN in this state names a region: give the stack's region with "
            "--region"
        )
    raise StateError(
        f"{state.source}: the ARNs in this state name several regions ({', '.join(regions)}): "
        "give the stack's provider region with --region"
    )


def _identity(resource: Resource, region: str) -> tuple[str, str]:
    """What names a resource in AWS: its ARN, else region, name and log group (a filter's)."""
    values = resource.values
    arn = values.get("arn")
    if isinstance(arn, str) and arn:
        return resource.type, arn
    return resource.type, f"{region}:{values.get('log_group_name', '')}:{values.get('id', '')}"


def _refuse_shared(deployment: Deployment, state: StoredState, configured: set[str]) -> None:
    """Refuse when a configured stack's state holds one of the orphan's resources.

    A target renamed in the same region deploys alarms of the same names: its stack took them
    over, and destroying the orphan would delete them from under it.
    """
    from trailwatch.errors import StateError
    from trailwatch.inventory.state import stored_states

    def identities(stored: StoredState) -> dict[tuple[str, str], str]:
        regions = stored.regions()
        region = regions[0] if regions else ""
        return {_identity(r, region): f"{r.type}.{r.name}" for r in stored.resources()}

    mine = identities(state)
    for other in stored_states(deployment, skip={state.stack}).states:
        if other.stack not in configured:
            continue
        shared = sorted(mine[key] for key in mine.keys() & identities(other).keys())
        if shared:
            listed = ", ".join(shared[:LISTED_SHARED])
            more = f" and {len(shared) - LISTED_SHARED} more" if len(shared) > LISTED_SHARED else ""
            raise StateError(
                f"{state.stack}: {len(shared)} of its resources are in {other.stack}'s state too "
                f"({listed}{more}): destroying would delete them from under a configured target; "
                f"remove them from {state.source} first (`terraform state rm`)"
            )


def _confirmed(summary: str) -> bool:
    if not sys.stdin.isatty():
        return False
    answer = input(f"destroy {summary}? This cannot be undone. Type yes to destroy: ")
    return answer.strip().lower() == "yes"


def configuration(
    deployment: Deployment, state: StoredState, region: str, profile: str | None
) -> dict[str, Any]:
    """The stack as Terraform JSON with no resources: its backend and an AWS provider."""
    from trailwatch.inventory.state import s3_state_key
    from trailwatch.spec import naming
    from trailwatch.spec.targets import LocalBackend
    from trailwatch.tooling.terraform import emulator_provider_settings

    backend = deployment.state(deployment.targets[0]).backend
    if isinstance(backend, LocalBackend):
        # The state file itself, wherever Terraform runs.
        backend_block: dict[str, Any] = {"local": {"path": str(Path(state.source).resolve())}}
    else:
        backend_block = {
            "s3": {
                "bucket": backend.bucket,
                "key": s3_state_key(backend, state.stack),
                "region": backend.region,
                "encrypt": backend.encrypt,
                "use_lockfile": backend.use_lockfile,
            }
        }
    provider: dict[str, Any] = {"region": region}
    accounts = state.accounts()
    if len(accounts) == 1:
        # Credentials of another account must not delete that account's look-alikes.
        provider["allowed_account_ids"] = list(accounts)
    endpoint = deployment.endpoint_url
    if endpoint:
        provider.update(emulator_provider_settings(endpoint))
    elif profile:
        provider["profile"] = profile
    return {
        "terraform": {
            "required_providers": {
                "aws": {"source": "hashicorp/aws", "version": naming.AWS_PROVIDER_CONSTRAINT}
            },
            "backend": backend_block,
        },
        "provider": {"aws": [provider]},
    }


def _destroy(deployment: Deployment, state: StoredState, region: str, profile: str | None) -> None:
    from trailwatch.tooling.terraform import Terraform

    def progress(message: Message) -> None:
        if message.get("type") in ("apply_complete", "change_summary"):
            print(message.get("@message", ""), file=sys.stderr, flush=True)

    with tempfile.TemporaryDirectory(prefix=f"trailwatch-destroy-{state.stack}-") as folder:
        config = configuration(deployment, state, region, profile)
        (Path(folder) / "main.tf.json").write_text(json.dumps(config, indent=2), encoding="utf-8")
        terraform = Terraform(Path(folder), stack=state.stack, on_message=progress)
        terraform.init()
        terraform.destroy()
