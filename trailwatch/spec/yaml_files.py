"""Reading the YAML files trailwatch is configured by, with errors that name the file."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import yaml

from trailwatch.errors import TrailwatchError

# libyaml's loader when PyYAML was built with it: the catalog loads on every command.
SAFE_LOADER: type[yaml.SafeLoader] = getattr(yaml, "CSafeLoader", yaml.SafeLoader)


def load_yaml(text: str) -> object:
    """Safe-load YAML text with the fastest safe loader available."""
    return yaml.load(text, Loader=SAFE_LOADER)  # noqa: S506 - a safe loader either way


def read_mapping(
    path: Path, error: type[TrailwatchError], *, expected: str, not_found: str | None = None
) -> dict[str, Any]:
    """The YAML mapping in a file; anything else raises `error` naming the file (and place)."""
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        if not_found is None:
            raise error(f"{path}: cannot read: No such file or directory") from None
        raise error(f"{path}: {not_found}") from None
    except OSError as err:
        raise error(f"{path}: cannot read: {err.strerror or err}") from None
    except UnicodeDecodeError:
        raise error(f"{path}: not UTF-8 text; trailwatch reads UTF-8 YAML") from None
    try:
        data = load_yaml(text)
    except yaml.YAMLError as err:
        mark = getattr(err, "problem_mark", None)
        where = f" line {mark.line + 1} column {mark.column + 1}:" if mark else ""
        problem = getattr(err, "problem", None) or str(err)
        raise error(f"{path}:{where} not valid YAML: {problem}") from None
    if not isinstance(data, dict):
        raise error(f"{path}: {expected}")
    return data
