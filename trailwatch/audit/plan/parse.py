"""Terraform plans as data: the JSON of `terraform show -json PLANFILE` (format 1.x), parsed.

Which stack a plan belongs to: the plan JSON carries no backend settings, but every trailwatch
stack's provider sets the default tag `naming.TARGET_TAG`, and the stack is named after that
target. A plan without it (another tool's plan, say) is named after the first trailwatch stack
name in its file name, else after the file name itself.
"""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Literal

from trailwatch.audit.plan.masking import any_marked, hide, mask_at, plain
from trailwatch.errors import PlanError
from trailwatch.spec import naming

Action = Literal["create", "update", "replace", "delete", "forget"]
ACTIONS: tuple[Action, ...] = ("create", "update", "replace", "delete", "forget")


def unset(value: Any) -> bool:
    """No value: null, or an empty string, list or object."""
    return value is None or value == "" or value == [] or value == {}


def same(before: Any, after: Any) -> bool:
    """Equal, counting every kind of unset as one value."""
    # The provider reports unset as null in state and as "" / [] / {} in the plan, and back:
    # not a change anyone made.
    return before == after or (unset(before) and unset(after))


@dataclass(frozen=True)
class AttributeChange:
    """One top-level attribute that changes: masked values for display."""

    name: str
    before: Any
    after: Any
    forces_replacement: bool

    def to_json(self) -> dict[str, Any]:
        return {
            "name": self.name,
            "before": plain(self.before),
            "after": plain(self.after),
            "forces_replacement": self.forces_replacement,
        }


@dataclass(frozen=True)
class ResourceChange:
    """One managed resource the plan would change, with Terraform's raw values and masks."""

    address: str
    type: str
    action: Action
    before: Mapping[str, Any]
    after: Mapping[str, Any]
    after_unknown: Any
    before_sensitive: Any
    after_sensitive: Any
    replace_paths: frozenset[str]

    @property
    def name(self) -> str:
        """The resource's logical name (the address without type or module path)."""
        return self.address.rsplit(".", 1)[-1].split("[", 1)[0]

    def known(self, attribute: str) -> bool:
        """True when the attribute's value after apply is known now, all of it."""
        return not any_marked(mask_at(self.after_unknown, attribute))

    def sensitive(self, attribute: str) -> bool:
        """True when the plan marks the attribute, or a part of it, sensitive on either side."""
        return any_marked(mask_at(self.before_sensitive, attribute)) or any_marked(
            mask_at(self.after_sensitive, attribute)
        )

    def shown_before(self, attribute: str) -> Any:
        return hide(self.before.get(attribute), mask_at(self.before_sensitive, attribute))

    def shown_after(self, attribute: str) -> Any:
        return hide(
            self.after.get(attribute),
            mask_at(self.after_sensitive, attribute),
            mask_at(self.after_unknown, attribute),
        )

    def changed(self, attribute: str) -> bool:
        """The attribute differs after apply, or cannot be known before it."""
        if self.action not in ("update", "replace"):
            return False
        if not self.known(attribute):
            return True
        return not same(self.before.get(attribute), self.after.get(attribute))

    def attributes(self) -> tuple[AttributeChange, ...]:
        """Every changing top-level attribute of an update or replace, sorted by name."""
        names = set(self.before) | set(self.after)
        if isinstance(self.after_unknown, Mapping):
            names |= {k for k, v in self.after_unknown.items() if any_marked(v)}
        return tuple(
            AttributeChange(
                name=name,
                before=self.shown_before(name),
                after=self.shown_after(name),
                forces_replacement=name in self.replace_paths,
            )
            for name in sorted(names)
            if self.changed(name)
        )

    def to_json(self) -> dict[str, Any]:
        return {
            "address": self.address,
            "type": self.type,
            "action": self.action,
            "attributes": [a.to_json() for a in self.attributes()],
        }


@dataclass(frozen=True)
class StackPlan:
    """The plan of one stack: its name, where it came from, and what it changes."""

    stack: str
    source: str
    region: str | None
    changes: tuple[ResourceChange, ...]
    # The stack of a target no longer in the config (`destroy_plan`): review says so.
    removed_target: bool = False

    def counts(self) -> dict[Action, int]:
        """Resources per action, every action present (0 when none)."""
        return {a: sum(1 for c in self.changes if c.action == a) for a in ACTIONS}

    def to_json(self) -> dict[str, Any]:
        return {
            "stack": self.stack,
            "region": self.region,
            "source": self.source,
            "counts": self.counts(),
            "changes": [c.to_json() for c in self.changes],
        }


def load_plan(path: Path) -> StackPlan:
    """Read one `terraform show -json PLANFILE` output; errors name the file."""
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise PlanError(f"{path}: plan JSON not found") from None
    except (OSError, UnicodeDecodeError) as err:
        raise PlanError(f"{path}: cannot read: {getattr(err, 'strerror', None) or err}") from None
    try:
        data = json.loads(text)
    except json.JSONDecodeError as err:
        raise PlanError(
            f"{path}: not JSON ({err.msg} at line {err.lineno}); give the output of "
            "`terraform show -json PLANFILE`, not the binary plan file"
        ) from None
    return parse_plan(data, source=path.name, origin=str(path))


def parse_plan(
    data: Any, *, source: str, stack: str | None = None, origin: str | None = None
) -> StackPlan:
    """A plan's managed resource changes (no-ops and data reads left out), sorted by address.

    `source` is what the report calls the plan (a file name); errors name `origin` (the path
    as given) when it is set.
    """
    where = origin or source
    _check_format(data, where)
    changes = []
    for index, raw in enumerate(data.get("resource_changes") or []):
        try:
            change = _resource_change(raw)
        except (KeyError, TypeError, AttributeError):
            raise PlanError(f"{where}: resource_changes[{index}] is malformed") from None
        if change is not None:
            changes.append(change)
    return StackPlan(
        stack=stack or stack_of_plan(data, source),
        source=source,
        region=_provider_constant(data, "region"),
        changes=tuple(sorted(changes, key=lambda c: c.address)),
        removed_target=data.get(REMOVED_TARGET_KEY) is True,
    )


# A key of trailwatch's own in a plan document it writes for a removed target (Terraform's
# plan JSON has no such key): read back, the plan is reviewed as a removed target again.
REMOVED_TARGET_KEY = "trailwatch_removed_target"


def destroy_plan_document(
    state: Mapping[str, Any], *, source: str, region: str | None
) -> dict[str, Any]:
    """Every managed resource of a raw state (format 4) deleted, as plan JSON.

    A target removed from the config leaves its stack deployed, and cdktf no longer synthesizes
    it, so there is nothing for Terraform to plan. The config now says the stack should not
    exist: this is the plan `terraform plan -destroy` would make (every resource in state, each
    deleted, its state values as `before`), built from the state itself, without Terraform, in
    the shape of `terraform show -json` so that `plan-report --save-plans` can keep it and a CI
    gate reading the saved plans sees the removed target too.
    """
    changes = []
    try:
        for resource in state.get("resources") or []:
            if resource.get("mode") != "managed":
                continue
            module = f"{resource['module']}." if resource.get("module") else ""
            base = f"{module}{resource['type']}.{resource['name']}"
            for instance in resource.get("instances") or []:
                key = instance.get("index_key")
                changes.append(
                    {
                        "address": base if key is None else f"{base}[{json.dumps(key)}]",
                        "mode": "managed",
                        "type": resource["type"],
                        "name": resource["name"],
                        "change": {
                            "actions": ["delete"],
                            "before": instance.get("attributes") or {},
                            "after": None,
                            "after_unknown": {},
                            "before_sensitive": _sensitive(instance.get("sensitive_attributes")),
                            "after_sensitive": False,
                        },
                    }
                )
    except (KeyError, TypeError, AttributeError) as err:
        raise PlanError(f"{source}: not a Terraform state file ({err})") from None
    provider = {"expressions": {"region": {"constant_value": region}}} if region else {}
    return {
        "format_version": "1.2",
        REMOVED_TARGET_KEY: True,
        "resource_changes": changes,
        "configuration": {"provider_config": {"aws": provider}},
    }


def destroy_plan(
    state: Mapping[str, Any], *, stack: str, source: str, region: str | None
) -> StackPlan:
    """The plan of a removed target (see `destroy_plan_document`), ready for review."""
    document = destroy_plan_document(state, source=source, region=region)
    return parse_plan(document, source=source, stack=stack)


def _sensitive(paths: Any) -> dict[str, bool]:
    """State's sensitive attribute paths as a plan's mask: every attribute named, all of it."""
    mask = {}
    for path in paths if isinstance(paths, list) else []:
        step = path[0] if isinstance(path, list) and path else None
        if isinstance(step, Mapping) and step.get("type") == "get_attr":
            mask[str(step.get("value"))] = True
    return mask


def _check_format(data: Any, where: str) -> None:
    if not isinstance(data, dict) or "format_version" not in data:
        raise PlanError(f"{where}: not the JSON of a Terraform plan (no format_version)")
    if "planned_values" not in data and "resource_changes" not in data:
        raise PlanError(
            f"{where}: this is state, not a plan: run `terraform plan -out=PLANFILE` and "
            "give `terraform show -json PLANFILE`"
        )
    if not str(data["format_version"]).startswith("1."):
        raise PlanError(f"{where}: plan format {data['format_version']} is not 1.x")
    if data.get("errored"):
        raise PlanError(f"{where}: the plan errored; fix the plan before reviewing it")


def stack_of_plan(data: Mapping[str, Any], source: str) -> str:
    """The stack of the target in the provider's default tags, else from the file name."""
    target = _provider_default_tags(data).get(naming.TARGET_TAG)
    if isinstance(target, str):
        return naming.stack_name(target)
    name = Path(source).name
    return naming.stack_in_text(name) or Path(source).stem


def _resource_change(raw: Mapping[str, Any]) -> ResourceChange | None:
    if raw.get("mode", "managed") != "managed":
        return None
    change = raw["change"]
    action = _action(change["actions"])
    if action is None:
        return None
    for side in ("before", "after", "after_unknown"):
        if not isinstance(change.get(side) or {}, Mapping):
            # Raised as the caller's "malformed" message, naming the resource.
            raise TypeError(f"change.{side} is not an object")
    return ResourceChange(
        address=raw["address"],
        type=raw["type"],
        action=action,
        before=change.get("before") or {},
        after=change.get("after") or {},
        after_unknown=change.get("after_unknown") or {},
        before_sensitive=change.get("before_sensitive") or {},
        after_sensitive=change.get("after_sensitive") or {},
        replace_paths=frozenset(
            str(p[0]) for p in change.get("replace_paths") or [] if isinstance(p, list) and p
        ),
    )


def _action(actions: Sequence[str]) -> Action | None:
    if "delete" in actions and "create" in actions:
        return "replace"  # either order: create_before_destroy only changes the sequence
    for action in ACTIONS:
        if list(actions) == [action]:
            return action
    return None  # no-op, read


def _provider_config(data: Mapping[str, Any]) -> Mapping[str, Any]:
    providers = (data.get("configuration") or {}).get("provider_config") or {}
    for key, config in providers.items():
        if key == "aws" or key.startswith("aws."):
            return config.get("expressions") or {}
    return {}


def _provider_constant(data: Mapping[str, Any], name: str) -> str | None:
    value = (_provider_config(data).get(name) or {}).get("constant_value")
    return value if isinstance(value, str) else None


def _provider_default_tags(data: Mapping[str, Any]) -> Mapping[str, Any]:
    blocks = _provider_config(data).get("default_tags") or []
    for block in blocks if isinstance(blocks, list) else []:
        tags = ((block or {}).get("tags") or {}).get("constant_value")
        if isinstance(tags, dict):
            return tags
    return {}
