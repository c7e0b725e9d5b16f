"""Compliance frameworks as data: which control needs what (`frameworks.yaml`).

`load_frameworks()` validates the file; `framework_controls(spec, catalog)` lists a framework's
controls with the catalog events that serve them. `trailwatch.audit.coverage` judges them.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path
from typing import Literal, Protocol

import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError

from trailwatch.errors import CoverageError, describe_validation_error
from trailwatch.spec.catalog import Catalog
from trailwatch.spec.yaml_files import load_yaml

FRAMEWORKS_FILE = Path(__file__).with_name("frameworks.yaml")

Rule = Literal["alarm-action", "actions-enabled", "retention", "log-group-kms"]
Operator = Literal["=", "!="]


def normalized(pattern: str) -> str:
    """A pattern without whitespace outside quoted strings: Security Hub ignores spacing."""
    parts = re.split(r'("(?:[^"\\]|\\.)*")', pattern)
    return "".join(p if p.startswith('"') else re.sub(r"\s+", "", p) for p in parts)


# -- frameworks.yaml ------------------------------------------------------------------------


class _Spec(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class PatternCheck(_Spec):
    """A Prowler check: a regex its metric filter's pattern text must match."""

    id: str
    event: str
    # Prowler's literal regex for checks that have one (`regex` in the file); otherwise the
    # regex is built from the clauses.
    fixed_regex: str | None = Field(default=None, alias="regex")
    event_source: str | None = None
    event_names: tuple[str, ...] = ()
    extra_clauses: tuple[tuple[str, Operator, str], ...] = ()

    def regex(self) -> str:
        """The regex Prowler's check hands its matcher (as its build_metric_filter_pattern)."""
        if self.fixed_regex is not None:
            return self.fixed_regex
        parts = []
        if self.event_source is not None:
            parts.append(rf"(?=.*\$\.eventSource\s*=\s*.?{re.escape(self.event_source)})")
        for name in self.event_names:
            parts.append(rf"(?=.*\$\.eventName\s*=\s*.?{re.escape(name)}\b)")
        for field, operator, value in self.extra_clauses:
            op = r"\s*!=\s*" if operator == "!=" else r"\s*=\s*"
            parts.append(rf"(?=.*\$\.{re.escape(field)}{op}.?{re.escape(value)})")
        return "".join(parts)

    def matches(self, pattern: str) -> bool:
        return re.search(self.regex(), pattern, flags=re.DOTALL) is not None


class ResourceControl(_Spec):
    """A control over every alarm or log group of a stack."""

    id: str
    title: str
    rule: Rule
    min_days: int = 365


class FrameworkSpec(_Spec):
    """One framework: its controls, and the pattern profile meant to meet them."""

    id: str
    title: str
    profile: str
    # Controls that need an event's exact catalog pattern, named by the events' compliance field.
    compliance_field: Literal["cis_v1_2", "cis_v1_4", "security_hub"] | None = None
    needs_sns_action: bool = False
    needs_subscriber: bool = False
    pattern_checks: tuple[PatternCheck, ...] = ()
    resource_controls: tuple[ResourceControl, ...] = ()


class Frameworks(_Spec):
    frameworks: tuple[FrameworkSpec, ...]

    def framework(self, framework_id: str) -> FrameworkSpec:
        for spec in self.frameworks:
            if spec.id == framework_id:
                return spec
        raise KeyError(framework_id)

    def prowler_checks(self) -> list[PatternCheck]:
        return list(self.framework("prowler").pattern_checks)


def load_frameworks(path: Path = FRAMEWORKS_FILE) -> Frameworks:
    """Read and validate the frameworks file."""
    try:
        data = load_yaml(path.read_text(encoding="utf-8"))
        return Frameworks.model_validate(data)
    except OSError as err:
        raise CoverageError(f"{path}: cannot read: {err.strerror or err}") from None
    except yaml.YAMLError as err:
        raise CoverageError(f"{path}: not valid YAML: {err}") from None
    except ValidationError as err:
        raise CoverageError(describe_validation_error(path, err)) from None


# -- what a control needs ---------------------------------------------------------------------


class PatternRequirement(Protocol):
    def matches(self, pattern: str) -> bool: ...


@dataclass(frozen=True)
class ExactPattern:
    """The catalog's exact text, spacing aside (how Security Hub compares)."""

    text: str

    def matches(self, pattern: str) -> bool:
        return normalized(pattern) == normalized(self.text)


@dataclass(frozen=True)
class Control:
    """One control of a framework: a pattern on an event's filter, or a rule over resources."""

    framework: FrameworkSpec
    id: str
    title: str
    event_id: str | None = None
    pattern: PatternRequirement | None = None
    resource: ResourceControl | None = None


def _control_order(control_id: str) -> tuple[int, ...]:
    return tuple(int(n) for n in re.findall(r"\d+", control_id))


def framework_controls(spec: FrameworkSpec, catalog: Catalog) -> list[Control]:
    """The controls of a framework, with the events of the catalog that serve them."""
    controls: dict[str, Control] = {}
    if spec.compliance_field:
        for event in catalog.values():
            control_id = getattr(event.compliance, spec.compliance_field)
            # An extra event claiming a control that a built-in event serves does not replace it.
            if control_id and control_id not in controls:
                controls[control_id] = Control(
                    spec, control_id, event.title, event.id, ExactPattern(event.pattern)
                )
        controls = dict(sorted(controls.items(), key=lambda item: _control_order(item[0])))
    for check in spec.pattern_checks:
        title = catalog[check.event].title if check.event in catalog else check.event
        controls[check.id] = Control(spec, check.id, title, check.event, check)
    for resource in spec.resource_controls:
        controls[resource.id] = Control(spec, resource.id, resource.title, resource=resource)
    return list(controls.values())
