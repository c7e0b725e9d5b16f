"""The emulator lab: one local AWS emulator and one deploy of the default config, shared by the
emulator tests (the `lab` fixture in conftest.py builds it once per session).

The deploy is real: synth with TRAILWATCH_ENDPOINT_URL set, then `terraform init` and `apply` per
stack (both stacks at once) through `trailwatch.tooling.terraform`, against moto_server on
loopback: the AWS provider alone spends 55 s on each S3 lifecycle configuration. Tests that
change or destroy the shared deployment ask for the `emulator_teardown` fixture: they run after
every other test of the session.
"""

from __future__ import annotations

import contextlib
import io
import json
import os
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any, TypeVar
from unittest import mock

from tests.helpers import run_synth
from trailwatch.spec.config import Environment
from trailwatch.spec.model import Deployment, load_deployment
from trailwatch.spec.targets import Target
from trailwatch.tooling.terraform import Terraform

T = TypeVar("T")


class Lab:
    """The emulator, the deployed default config and ways to look at both."""

    def __init__(self, workdir: Path, endpoint_url: str, terraform_env: dict[str, str]) -> None:
        self.workdir = workdir
        self.endpoint_url = endpoint_url
        self.terraform_env = terraform_env
        self.config_path = workdir / "trailwatch.yaml"
        self.outdir = workdir / "cdktf.out"
        self.state_dir = workdir / ".emulator" / "state"

    def env(self) -> dict[str, str]:
        """What points trailwatch (config, synth output, emulator) at this lab."""
        return {
            "TRAILWATCH_CONFIG": str(self.config_path),
            "TRAILWATCH_ENDPOINT_URL": self.endpoint_url,
            "CDKTF_OUTDIR": str(self.outdir),
            "TF_CLI_CONFIG_FILE": self.terraform_env["TF_CLI_CONFIG_FILE"],
        }

    def synth(self, config: dict[str, Any]) -> None:
        """Write the config into the lab and synthesize it (state stays where it was)."""
        result = run_synth(config, self.workdir, {"TRAILWATCH_ENDPOINT_URL": self.endpoint_url})
        assert result.returncode == 0, result.stderr

    def deployment(self) -> Deployment:
        env = Environment(
            config_path=self.config_path, endpoint_url=self.endpoint_url, outdir=self.outdir
        )
        return load_deployment(self.config_path, env)

    def target(self, name: str) -> Target:
        return next(t for t in self.deployment().targets if t.name == name)

    def terraform(self, target: Target) -> Terraform:
        deployment = self.deployment()
        return Terraform(
            deployment.stack_dir(target),
            stack=deployment.stack_name(target),
            env=self.terraform_env,
        )

    def each(self, work: Callable[[Target], T]) -> dict[str, T]:
        """Run `work` for every target at once (Terraform spends most time waiting)."""
        targets = self.deployment().targets
        with ThreadPoolExecutor(max_workers=len(targets)) as pool:
            results = list(pool.map(work, targets))
        return {t.name: r for t, r in zip(targets, results, strict=True)}

    def client(self, service: str, region: str) -> Any:
        import boto3  # type: ignore[import-untyped]

        return boto3.client(
            service,
            region_name=region,
            endpoint_url=self.endpoint_url,
            aws_access_key_id="test",
            aws_secret_access_key="test",
        )

    def state_file(self, stack: str) -> dict[str, Any]:
        data: dict[str, Any] = json.loads((self.state_dir / f"{stack}.tfstate").read_text())
        return data

    def cli(self, args: list[str], **extra_env: str) -> tuple[int, str, str]:
        """Run `trailwatch ARGS` in this process against the lab: exit code, stdout, stderr."""
        from trailwatch.cli import main

        out, err = io.StringIO(), io.StringIO()
        with (
            mock.patch.dict(os.environ, {**self.env(), **extra_env}),
            contextlib.redirect_stdout(out),
            contextlib.redirect_stderr(err),
        ):
            code = main(args)
        return code, out.getvalue(), err.getvalue()
