"""Helpers the tests share: paths, the default config, synthesizing a config, tool checks.

Fixtures live in conftest.py; everything here is plain functions and classes.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
import yaml

REPO = Path(__file__).resolve().parents[1]
SHARED = REPO.parent / "shared"


def default_config() -> dict[str, Any]:
    """The committed default config, as data to vary in tests."""
    data: dict[str, Any] = yaml.safe_load((REPO / "trailwatch.yaml").read_text())
    return data


def run_synth(
    config: dict[str, Any],
    workdir: Path,
    extra_env: dict[str, str] | None = None,
) -> subprocess.CompletedProcess[str]:
    """Write a config beside an output folder and run `python main.py` on it."""
    workdir.mkdir(parents=True, exist_ok=True)
    config_path = workdir / "trailwatch.yaml"
    config_path.write_text(yaml.safe_dump(config, sort_keys=False))
    env = {k: v for k, v in os.environ.items() if k != "TRAILWATCH_ENDPOINT_URL"}
    env.update(TRAILWATCH_CONFIG=str(config_path), CDKTF_OUTDIR=str(workdir / "cdktf.out"))
    env.update(extra_env or {})
    return subprocess.run(
        [sys.executable, str(REPO / "main.py")],
        cwd=workdir,
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
    )


class Synth:
    """The synthesized stacks of one config."""

    def __init__(self, workdir: Path) -> None:
        self.workdir = workdir
        self.outdir = workdir / "cdktf.out"

    def stack_names(self) -> list[str]:
        return sorted(p.name for p in (self.outdir / "stacks").iterdir())

    def path(self, stack: str) -> Path:
        return self.outdir / "stacks" / stack / "cdk.tf.json"

    def stack(self, stack: str) -> dict[str, Any]:
        data: dict[str, Any] = json.loads(self.path(stack).read_text())
        return data

    def resources(self, stack: str, kind: str) -> dict[str, dict[str, Any]]:
        resources: dict[str, dict[str, Any]] = self.stack(stack).get("resource", {}).get(kind, {})
        # cdktf's "//" metadata (construct path) is not configuration.
        return {
            name: {k: v for k, v in body.items() if k != "//"} for name, body in resources.items()
        }


SynthFactory = Callable[[str, dict[str, Any]], Synth]


SynthFactory = Callable[[str, dict[str, Any]], Synth]


def missing_tool(reason: str) -> None:
    """Skip a test whose tool is absent here; in CI (TRAILWATCH_REQUIRE_TOOLS=1) fail instead."""
    if os.environ.get("TRAILWATCH_REQUIRE_TOOLS") == "1":
        pytest.fail(f"required in CI: {reason}")
    pytest.skip(reason)
