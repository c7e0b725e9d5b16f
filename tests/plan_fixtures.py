"""Real Terraform plans against the local emulator, for the plan-report tests.

The deployment is the session's shared one (the `lab` fixture in tests/conftest.py: the
default config deployed onto moto). Each variant config below is synthesized beside it and
planned against the same state. Plans are never applied, so the variants disturb neither one
another nor the other emulator tests.

Every config file sits in the lab's folder and only CDKTF_OUTDIR differs: the local backend's
state path is relative to the stack folder but computed from the config's folder (model.py
`Deployment.state`), so every variant's stacks point at the deployed state files.
"""

from __future__ import annotations

import json
import subprocess
import sys
from collections.abc import Callable
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

import yaml

from tests.conftest import REPO, default_config

if TYPE_CHECKING:
    from trailwatch.tooling.terraform import Terraform

Config = dict[str, Any]
PRIMARY, EU = "trailwatch-primary", "trailwatch-eu"
EXTERNAL_TOPIC = "arn:aws:sns:eu-west-1:123456789012:security-alerts"


def weakened(config: Config) -> None:
    """Many weakenings at once, each on its own resource or attribute so each stays apart."""
    config["pattern_profile"] = "prowler"
    config["disabled_events"] = ["vpc-changes"]
    config["overrides"] = {
        "console-signin-failures": {"threshold": 10},
        "root-account-usage": {"period": 900},
        "iam-policy-changes": {"evaluation_periods": 3, "datapoints_to_alarm": 3},
    }
    # The e-mail subscriber replaced by a webhook; OK actions added (harmless).
    config["notifications"] = {
        "subscriptions": [{"protocol": "https", "endpoint": "https://hooks.example.com/alarms"}],
        "ok_actions": True,
    }
    primary = config["targets"][0]
    primary["trail"] = {
        "mode": "create",
        "multi_region": False,
        "retention_days": 90,
        "allow_short_retention": True,
    }


def torn_down(config: Config) -> None:
    """The eu target hands its trail and topic to things trailwatch does not manage."""
    config["notifications"] = {"topic_arn": EXTERNAL_TOPIC}
    config["targets"][1]["trail"] = {
        "mode": "existing",
        "log_group_name": "/trailwatch/eu/cloudtrail",
    }


def rerouted(config: Config) -> None:
    """The route narrowed to critical alarms: high ones no longer page on-call."""
    config["notifications"]["routes"] = [
        {"severity": ["critical"], "channels": ["oncall", "default"]}
    ]


def tagged(config: Config) -> None:
    """A harmless change on primary only: eu's plan is then a plan without changes."""
    config["targets"][0]["tags"] = {"cost-center": "security"}


# name -> (change to the default config, stacks to plan)
VARIANTS: dict[str, tuple[Callable[[Config], None], tuple[str, ...]]] = {
    "weakened": (weakened, (PRIMARY, EU)),
    "torn-down": (torn_down, (EU,)),
    "rerouted": (rerouted, (PRIMARY,)),
    "tagged": (tagged, (PRIMARY, EU)),
}


@dataclass
class PlanLab:
    """A workdir of configs, their synthesized stacks and the plans made from them."""

    workdir: Path
    endpoint_url: str
    terraform_env: dict[str, str]
    # variant -> stack -> the JSON of `terraform show -json PLANFILE`
    plans: dict[str, dict[str, Path]] = field(default_factory=dict)

    def config_path(self, name: str) -> Path:
        return self.workdir / f"{name}.yaml"

    def outdir(self, name: str) -> Path:
        return self.workdir / f"out-{name}"

    def env(self, name: str) -> dict[str, str]:
        """What `python main.py` and `trailwatch` need to see the variant's stacks."""
        return {
            **self.terraform_env,
            "TRAILWATCH_CONFIG": str(self.config_path(name)),
            "CDKTF_OUTDIR": str(self.outdir(name)),
            "TRAILWATCH_ENDPOINT_URL": self.endpoint_url,
        }

    def synth(self, name: str, config: Config) -> None:
        self.config_path(name).write_text(yaml.safe_dump(config, sort_keys=False))
        result = subprocess.run(
            [sys.executable, str(REPO / "main.py")],
            cwd=self.workdir,
            env=self.env(name),
            capture_output=True,
            text=True,
            timeout=300,
        )
        assert result.returncode == 0, f"synth of {name} failed: {result.stderr[-2000:]}"

    def terraform(self, name: str, stack: str, **extra_env: str) -> Terraform:
        from trailwatch.tooling.terraform import Terraform

        env = {**self.env(name), **extra_env}
        return Terraform(self.outdir(name) / "stacks" / stack, stack=stack, env=env)

    def plan(self, name: str, stack: str) -> Path:
        # Variants plan the same stack's state at once; plans that are never applied need no
        # lock (plan-report --stacks plans the same way).
        terraform = self.terraform(name, stack, TF_CLI_ARGS_plan="-lock=false")
        terraform.init()
        plan_file = self.workdir / "plans" / name / f"{stack}.tfplan"
        plan_file.parent.mkdir(parents=True, exist_ok=True)
        terraform.plan(out=plan_file)
        shown = plan_file.with_suffix(".json")
        shown.write_text(json.dumps(terraform.show_plan(plan_file), indent=1))
        return shown


def plan_variants(workdir: Path, endpoint_url: str, terraform_env: dict[str, str]) -> PlanLab:
    """Synthesize every variant beside the deployed config in `workdir`, and plan each."""
    lab = PlanLab(workdir, endpoint_url, terraform_env)
    with ThreadPoolExecutor(max_workers=4) as pool:
        synths = [pool.submit(_synth_variant, lab, name) for name in VARIANTS]
        for synth in synths:
            synth.result()
        plans: dict[tuple[str, str], Future[Path]] = {
            (name, stack): pool.submit(lab.plan, name, stack)
            for name, (_, stacks) in VARIANTS.items()
            for stack in stacks
        }
        for (name, stack), future in plans.items():
            lab.plans.setdefault(name, {})[stack] = future.result()
    return lab


def _synth_variant(lab: PlanLab, name: str) -> None:
    config = default_config()
    VARIANTS[name][0](config)
    lab.synth(name, config)
