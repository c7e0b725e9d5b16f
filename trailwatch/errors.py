"""Every error a user can fix, in one place, and how validation problems are worded.

The CLI maps `TrailwatchError` to exit status 2 and prints it as one message, never a
traceback. The pattern engine's `PatternSyntaxError` lives here too; the engine re-exports it.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    # Only for typing: the pattern engine imports this module and must stay dependency-free.
    from pydantic import ValidationError


class TrailwatchError(Exception):
    """An error a user can fix; the CLI prints it as one message, never a traceback."""


class ConfigError(TrailwatchError):
    """The config file is missing, unreadable or invalid."""


class CatalogError(TrailwatchError):
    """An event definition is missing, unreadable or invalid."""


class CoverageError(TrailwatchError):
    """The frameworks file cannot be read or judged."""


class SynthError(TrailwatchError):
    """Synthesized stacks are missing or are not what cdktf writes."""


class StateError(TrailwatchError):
    """A Terraform state file or `terraform show` output cannot be read."""


class PlanError(TrailwatchError):
    """A Terraform plan file is missing or malformed."""


class InputError(TrailwatchError):
    """Replay input that does not exist (unreadable files are skipped and counted instead)."""


class DrillError(TrailwatchError):
    """A drill could not run against a target (credentials, missing resources, API errors)."""


class AthenaError(TrailwatchError):
    """Athena refused or failed a query, or could not be reached."""


class TerraformError(TrailwatchError):
    """Terraform is missing or one of its commands failed."""


class EmulatorError(TrailwatchError):
    """The local AWS emulator cannot start or stopped answering."""


class DemoStepFailed(TrailwatchError):
    """A `make demo` step failed; the message says which and why."""


class PatternSyntaxError(TrailwatchError):
    """A filter pattern that CloudWatch Logs would reject, with the column where it goes wrong.

    `position` is a 0-based column into `pattern`; the message shows the same number so that a
    reader and a test agree on it.
    """

    def __init__(self, pattern: str, position: int, reason: str) -> None:
        self.pattern = pattern
        self.position = position
        self.reason = reason
        super().__init__(f"column {position}: {reason} in {_one_line(pattern)}")

    def __reduce__(self) -> tuple[type[PatternSyntaxError], tuple[str, int, str]]:
        # Exceptions pickle their args by default; ours are the three fields.
        return (type(self), (self.pattern, self.position, self.reason))


def _one_line(pattern: str) -> str:
    # The CLI prints the error as one line: show line breaks and tabs as escapes.
    return pattern.replace("\n", "\\n").replace("\r", "\\r").replace("\t", "\\t")


@dataclass(frozen=True)
class FieldPattern:
    """A field's regular expression and what it means in words, for messages a stranger can
    act on. Models list theirs in a module-level tuple handed to `describe_validation_error`."""

    regex: str
    words: str


def field_path(loc: tuple[int | str, ...]) -> str:
    """Render a pydantic location as `targets[1].region`."""
    out = ""
    for part in loc:
        if isinstance(part, int):
            out += f"[{part}]"
        else:
            out += f".{part}" if out else part
    return out or "(top level)"


def describe_validation_error(
    source: Path | str, err: ValidationError, patterns: Iterable[FieldPattern] = ()
) -> str:
    """One line per problem: the file, the field, what is wrong and what would be valid."""
    hints = {p.regex: p.words for p in patterns}
    lines = []
    for problem in err.errors(include_url=False):
        # Discriminated unions add the tag to the location (`trail.create.retention_days`);
        # users wrote `trail.retention_days`, so drop the tag.
        loc = tuple(p for p in problem["loc"] if p not in _UNION_TAGS)
        message = problem["msg"].removeprefix("Value error, ")
        if problem["type"] == "extra_forbidden":
            message = "unknown field (check the spelling; see the README for the allowed fields)"
        elif problem["type"] in ("tuple_type", "list_type"):
            # YAML users write lists; pydantic's "tuple" is the model's spelling of one.
            message = "must be a list, such as [a, b]"
        elif problem["type"] == "string_pattern_mismatch":
            expected = hints.get(str(problem.get("ctx", {}).get("pattern")))
            if expected:
                message = f"must be {expected}"
        if "input" in problem and problem["type"] not in ("missing",):
            shown = repr(problem["input"])
            if len(shown) <= 60:
                message = f"{message} (got {shown})"
        lines.append(f"{source}: {field_path(loc)}: {message}")
    return "\n".join(lines)


# Tags of the discriminated unions in the config model.
_UNION_TAGS = {"create", "existing", "local", "s3"}
