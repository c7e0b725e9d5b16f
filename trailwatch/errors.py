"""Errors a user can fix, and how they are worded."""

from __future__ import annotations

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


def field_path(loc: tuple[int | str, ...]) -> str:
    """Render a pydantic location as `targets[1].region`."""
    out = ""
    for part in loc:
        if isinstance(part, int):
            out += f"[{part}]"
        else:
            out += f".{part}" if out else part
    return out or "(top level)"


def describe_validation_error(source: Path | str, err: ValidationError) -> str:
    """One line per problem: the file, the field, what is wrong and what would be valid."""
    lines = []
    for problem in err.errors(include_url=False):
        # Discriminated unions add the tag to the location (`trail.create.retention_days`);
        # users wrote `trail.retention_days`, so drop the tag.
        loc = tuple(p for p in problem["loc"] if p not in _UNION_TAGS)
        message = problem["msg"].removeprefix("Value error, ")
        if problem["type"] == "extra_forbidden":
            message = "unknown field (check the spelling; see the README for the allowed fields)"
        elif problem["type"] == "string_pattern_mismatch":
            expected = PATTERN_HINTS.get(str(problem.get("ctx", {}).get("pattern")))
            if expected:
                message = f"must be {expected}"
        if "input" in problem and problem["type"] not in ("missing",):
            shown = repr(problem["input"])
            if len(shown) <= 60:
                message = f"{message} (got {shown})"
        lines.append(f"{source}: {field_path(loc)}: {message}")
    return "\n".join(lines)


# Regular expressions of the models, in words, for messages a stranger can act on.
PATTERN_HINTS: dict[str, str] = {}


def described(pattern: str, words: str) -> str:
    """Register what a field pattern means in words; returns the pattern."""
    PATTERN_HINTS[pattern] = words
    return pattern


# Tags of the discriminated unions in the config model.
_UNION_TAGS = {"create", "existing", "local", "s3"}
