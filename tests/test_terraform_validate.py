"""Every synthesized stack inits offline from the provider mirror and validates."""

from __future__ import annotations

import json
import subprocess

import pytest
import yaml

from tests.conftest import REPO, Synth, SynthFactory, default_config


def terraform(args: list[str], cwd: str, env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        ["terraform", *args], cwd=cwd, env=env, capture_output=True, text=True, timeout=300
    )


def validate_all(synth: Synth, env: dict[str, str]) -> dict[str, dict[str, object]]:
    results = {}
    for stack in synth.stack_names():
        workdir = str(synth.path(stack).parent)
        init = terraform(["init", "-input=false", "-backend=false", "-no-color"], workdir, env)
        assert init.returncode == 0, init.stderr
        result = terraform(["validate", "-json", "-no-color"], workdir, env)
        results[stack] = json.loads(result.stdout)
    return results


def test_default_stacks_validate(default_synth: Synth, terraform_env: dict[str, str]) -> None:
    results = validate_all(default_synth, terraform_env)
    assert sorted(results) == ["trailwatch-eu", "trailwatch-primary"]
    for stack, result in results.items():
        assert result["valid"] is True, (stack, result["diagnostics"])
        assert result["error_count"] == 0


def test_routed_example_stacks_validate(
    synth_config: SynthFactory, terraform_env: dict[str, str]
) -> None:
    # Every channel kind (AWS Chatbot Slack and Teams, the aliased Chatbot provider), a
    # dashboard, default_value and per-target settings, against the provider in the mirror.
    config = yaml.safe_load((REPO / "examples" / "routed.yaml").read_text())
    results = validate_all(synth_config("routed-example", config), terraform_env)
    assert sorted(results) == ["trailwatch-prod", "trailwatch-staging"]
    for stack, result in results.items():
        assert result["valid"] is True, (stack, result["diagnostics"])


@pytest.mark.parametrize("variant", ["existing-trail-and-topic", "s3-backend-and-options"])
def test_option_stacks_validate(
    synth_config: SynthFactory, terraform_env: dict[str, str], variant: str
) -> None:
    config = default_config()
    if variant == "existing-trail-and-topic":
        config["targets"] = [
            {
                "name": "org",
                "region": "us-east-2",
                "account_id": "123456789012",
                "trail": {"mode": "existing", "log_group_name": "org-trail"},
            }
        ]
        config["notifications"] = {
            "topic_arn": "arn:aws:sns:us-east-2:123456789012:alerts",
            "ok_actions": True,
            "insufficient_data_actions": True,
        }
    else:
        config["backend"] = {"type": "s3", "bucket": "acme-state", "region": "us-east-1"}
        config["name_prefix"] = "Acme_"
        config["notifications"]["subscriptions"] = [
            {"protocol": "https", "endpoint": "https://hooks.example.com/alarms"},
            {"protocol": "sqs", "endpoint": "arn:aws:sqs:us-east-1:123456789012:alarms"},
        ]
    results = validate_all(synth_config(variant, config), terraform_env)
    assert results and all(r["valid"] is True for r in results.values()), results
