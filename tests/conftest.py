"""Fixtures: paths, and synthesized stacks (synth once per config per session).

Tests are marked by kind (pyproject.toml registers the markers): a test that asks for a synth,
Terraform or emulator fixture gets that marker here, explicit module marks are kept, and every
other test is `unit`, the fast set `make check` runs.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

# Helper modules with asserts of their own: pytest rewrites them when they are imported.
pytest.register_assert_rewrite("tests.emulator_lab", "tests.plan_fixtures")

from tests.emulator_lab import Lab  # noqa: E402

# Names tests used to import from here; they live in tests/helpers.py now.
from tests.helpers import (  # noqa: E402, F401
    REPO,
    SHARED,
    Synth,
    SynthFactory,
    default_config,
    missing_tool,
    run_synth,
)
from trailwatch.spec.targets import Target  # noqa: E402


@pytest.fixture(scope="session")
def repo_root() -> Path:
    return REPO


@pytest.fixture(scope="session")
def shared_samples_dir() -> Path:
    path = SHARED / "cloudtrail-samples"
    assert path.is_dir(), f"{path} is missing: the tests read the shared CloudTrail samples"
    return path


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


# Fixtures that make a test slow, and the marker each one implies.
SLOW_FIXTURES = {
    "synth_config": "synth",
    "default_synth": "synth",
    "terraform_env": "terraform",
    "lab": "emulator",
    "plan_lab": "emulator",
    "emulator": "emulator",
}
KINDS = ("synth", "terraform", "emulator", "scale")


# Tests that change or destroy the shared emulator deployment ask for this fixture: they run
# after every other test of the session.
TEARDOWN = "emulator_teardown"


@pytest.fixture
def emulator_teardown() -> None:
    """Requested by tests that change or destroy the shared deployment: they run last."""


@pytest.fixture(scope="session")
def lab(tmp_path_factory: pytest.TempPathFactory, terraform_env: dict[str, str]) -> Iterator[Lab]:
    """The default config deployed onto a fresh emulator; the emulator stops after the session."""
    from trailwatch.tooling.emulator import Emulator, moto_available

    if not moto_available():
        missing_tool("moto[server] is not installed (make install)")
    with Emulator() as emulator:
        lab = Lab(tmp_path_factory.mktemp("emulator-lab"), emulator.endpoint_url, terraform_env)
        lab.synth(default_config())

        def deploy(target: Target) -> None:
            terraform = lab.terraform(target)
            terraform.init()
            terraform.apply()

        lab.each(deploy)
        yield lab


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    # A stable sort: everything else keeps its order, the teardown tests keep theirs, last.
    items.sort(key=lambda item: TEARDOWN in getattr(item, "fixturenames", ()))
    for item in items:
        kinds = {m.name for m in item.iter_markers()} & set(KINDS)
        for fixture, kind in SLOW_FIXTURES.items():
            if fixture in getattr(item, "fixturenames", ()) and kind not in kinds:
                item.add_marker(kind)
                kinds.add(kind)
        if not kinds:
            item.add_marker("unit")
