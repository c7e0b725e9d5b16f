"""Shared fixtures: paths, and synthesized stacks (synth once per config per session)."""

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


@pytest.fixture(scope="session")
def repo_root() -> Path:
    return REPO


@pytest.fixture(scope="session")
def shared_samples_dir() -> Path:
    path = SHARED / "cloudtrail-samples"
    assert path.is_dir(), f"{path} is missing: the tests read the shared CloudTrail samples"
    return path


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


@pytest.fixture(scope="session")
def synth_config(tmp_path_factory: pytest.TempPathFactory) -> SynthFactory:
    """Synthesize a config once per session under a name; later calls reuse it."""
    cache: dict[str, Synth] = {}

    def synth(name: str, config: dict[str, Any]) -> Synth:
        if name not in cache:
            workdir = tmp_path_factory.mktemp(f"synth-{name}")
            result = run_synth(config, workdir)
            assert result.returncode == 0, result.stderr
            cache[name] = Synth(workdir)
        return cache[name]

    return synth


@pytest.fixture(scope="session")
def default_synth(synth_config: SynthFactory) -> Synth:
    return synth_config("default", default_config())


def missing_tool(reason: str) -> None:
    """Skip a test whose tool is absent here; in CI (TRAILWATCH_REQUIRE_TOOLS=1) fail instead."""
    if os.environ.get("TRAILWATCH_REQUIRE_TOOLS") == "1":
        pytest.fail(f"required in CI: {reason}")
    pytest.skip(reason)


@pytest.fixture(scope="session")
def terraform_env() -> dict[str, str]:
    """Environment for running Terraform offline against the provider mirror."""
    from trailwatch.tooling.terraform import environment
    from trailwatch.tooling.toolchain import provider_mirror, terraform_binary

    if terraform_binary() is None:
        missing_tool("terraform is not on PATH")
    if provider_mirror() is None:
        missing_tool("no offline AWS provider mirror (no registry is reachable here)")
    env = environment(os.environ)
    config = env.get("TF_CLI_CONFIG_FILE", "")
    if not Path(config).is_file():
        missing_tool(
            f"Terraform CLI config {config or '.tools/terraform.rc'} is missing: run `make install`"
        )
    return env
