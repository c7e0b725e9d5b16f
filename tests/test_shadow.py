"""Shadow alarms (`overrides.<id>.shadow`): filter, metric and alarm deployed, the alarm's actions
off; the model, the synthesized stack and coverage say so. Drift and `state` on a real deploy are
in tests/test_emulator_deploy.py."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from tests.conftest import Synth, SynthFactory
from tests.shadow_fixtures import (
    RULE_EVENT,
    RULE_ID,
    SHADOW_EVENT,
    rule_and_shadow_config,
    write_config,
)
from trailwatch.cli import main
from trailwatch.errors import ConfigError
from trailwatch.spec.alarms import SHADOW_DESCRIPTION
from trailwatch.spec.config import Environment
from trailwatch.spec.model import Deployment, load_deployment

ALARM = "aws_cloudwatch_metric_alarm"


def deployment_of(config: dict[str, Any], folder: Path) -> Deployment:
    path = write_config(config, folder)
    return load_deployment(path, Environment(config_path=path, outdir=folder / "cdktf.out"))


def test_shadow_layers_a_targets_override_over_the_global_one(tmp_path: Path) -> None:
    config = rule_and_shadow_config()
    config["targets"][1]["overrides"] = {SHADOW_EVENT: {"shadow": False}}
    deployment = deployment_of(config, tmp_path)
    primary, eu = deployment.targets
    assert [a.id for a in deployment.alarms_for(primary) if a.shadow] == [SHADOW_EVENT]
    assert [a.id for a in deployment.alarms_for(eu) if a.shadow] == []
    shadow = deployment.alarm(SHADOW_EVENT, primary)
    assert shadow.description.startswith(SHADOW_DESCRIPTION)
    assert not deployment.alarm(SHADOW_EVENT, eu).description.startswith(SHADOW_DESCRIPTION)
    # Shadow changes neither the pattern nor the settings nor whom the alarm would notify.
    live = deployment.alarm(SHADOW_EVENT, eu)
    assert (shadow.pattern, shadow.settings, shadow.channels) == (
        live.pattern,
        live.settings,
        live.channels,
    )
    shadow_warnings = [w for w in deployment.warnings if ".shadow:" in w]
    assert shadow_warnings == [
        f"overrides.{SHADOW_EVENT}.shadow: {SHADOW_EVENT} deploys its alarm with actions off: it "
        "notifies nobody, and Security Hub CloudWatch.17 (alarm actions activated) fails; "
        '`trailwatch state` and `trailwatch coverage` show it as "shadow"'
    ]


def test_a_target_alone_can_make_an_alarm_a_shadow(tmp_path: Path) -> None:
    config = rule_and_shadow_config()
    del config["overrides"]
    config["targets"][1]["overrides"] = {"root-account-usage": {"shadow": True}}
    deployment = deployment_of(config, tmp_path)
    primary, eu = deployment.targets
    assert [a.id for a in deployment.alarms_for(eu) if a.shadow] == ["root-account-usage"]
    assert not any(a.shadow for a in deployment.alarms_for(primary))
    assert not any(a.shadow for a in deployment.alarms)
    assert [w.split(":")[0] for w in deployment.warnings if ".shadow:" in w] == [
        "targets[1].overrides.root-account-usage.shadow"
    ]


@pytest.mark.parametrize("value", ["yes", 1, "true"])
def test_shadow_takes_only_true_or_false(tmp_path: Path, value: object) -> None:
    config = rule_and_shadow_config()
    config["overrides"] = {SHADOW_EVENT: {"shadow": value}}
    with pytest.raises(ConfigError) as raised:
        deployment_of(config, tmp_path)
    (line,) = str(raised.value).splitlines()
    assert line.startswith(f"{tmp_path / 'trailwatch.yaml'}: overrides.{SHADOW_EVENT}.shadow")
    assert "boolean" in line


# -- synthesized ------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def shadow_synth(synth_config: SynthFactory) -> Synth:
    return synth_config("rule-and-shadow", rule_and_shadow_config())


def test_only_the_shadow_alarm_has_its_actions_off_and_keeps_them(
    shadow_synth: Synth, default_synth: Synth
) -> None:
    for stack in shadow_synth.stack_names():
        alarms = shadow_synth.resources(stack, ALARM)
        live = default_synth.resources(stack, ALARM)
        off = sorted(name for name, body in alarms.items() if body["actions_enabled"] is False)
        assert off == ["alarm_vpc_changes"]
        shadow = alarms["alarm_vpc_changes"]
        # Its routes' topics stay: turning shadow off changes actions_enabled and the text only.
        changed = {k for k in shadow if shadow[k] != live["alarm_vpc_changes"][k]}
        assert changed == {"actions_enabled", "alarm_description"}
        assert shadow["alarm_actions"] == live["alarm_vpc_changes"]["alarm_actions"] != []
        assert shadow["alarm_description"].startswith(SHADOW_DESCRIPTION)
        # The metric filter is deployed as ever: the shadow metric counts.
        filters = shadow_synth.resources(stack, "aws_cloudwatch_log_metric_filter")
        default_filters = default_synth.resources(stack, "aws_cloudwatch_log_metric_filter")
        assert filters["filter_vpc_changes"] == default_filters["filter_vpc_changes"]


def test_the_rules_event_deploys_its_compiled_pattern(shadow_synth: Synth) -> None:
    config = shadow_synth.workdir / "trailwatch.yaml"
    alarm = load_deployment(config).alarm(RULE_EVENT)
    assert alarm.exclusions == (f"rules.{RULE_ID}",)
    for stack in shadow_synth.stack_names():
        filters = shadow_synth.resources(stack, "aws_cloudwatch_log_metric_filter")
        pattern = filters["filter_authorization_failures"]["pattern"]
        assert pattern == alarm.pattern != alarm.base_pattern
        assert "stratus-red-team-ec2-get-password-data-role" in pattern


def coverage_json(synth: Synth, capsys: pytest.CaptureFixture[str]) -> tuple[int, dict[str, Any]]:
    config = synth.workdir / "trailwatch.yaml"
    code = main(["coverage", "--json", "--config", str(config), "--synth-dir", str(synth.outdir)])
    return code, json.loads(capsys.readouterr().out)


def test_coverage_shows_the_shadow_as_what_misses_cloudwatch_17(
    shadow_synth: Synth, capsys: pytest.CaptureFixture[str]
) -> None:
    code, report = coverage_json(shadow_synth, capsys)
    assert code == 1
    controls = {(f["id"], c["id"]): c for f in report["frameworks"] for c in f["controls"]}
    actions = controls[("security-hub", "CloudWatch.17")]
    assert (actions["status"], actions["reasons"]) == ("not met", ["shadow"])
    for verdict in actions["stacks"].values():
        assert verdict["detail"] == "actions off, CloudWatch.17 not met (CloudTrailVpcChanges)"
    # CloudWatch.15 (an alarm action) holds: the shadow keeps its topics.
    assert controls[("security-hub", "CloudWatch.15")]["status"] == "met"
    # The event's pattern control is met in letter (the checks do not read actions_enabled),
    # and the verdict says it is a shadow.
    vpc = controls[("security-hub", "CloudWatch.14")]
    assert vpc["event"] == SHADOW_EVENT and vpc["status"] == "met"
    # (eu's regional trail is credited to primary's multi-region one, which says so instead.)
    assert vpc["stacks"]["trailwatch-primary"]["detail"] == (
        "shadow: alarm CloudTrailVpcChanges has its actions off"
    )
    rule = controls[("security-hub", "CloudWatch.2")]
    assert (rule["status"], rule["reasons"]) == (
        "not met",
        [f"exclusion added: {RULE_ID}"],
    )


def test_coverage_text_says_shadow_plainly(
    shadow_synth: Synth, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("COLUMNS", "250")
    config = shadow_synth.workdir / "trailwatch.yaml"
    code = main(["coverage", "--config", str(config), "--synth-dir", str(shadow_synth.outdir)])
    out = capsys.readouterr().out
    assert code == 1
    assert "shadow: actions off, CloudWatch.17 not met (CloudTrailVpcChanges)" in out


def test_validate_prints_the_shadow_warning_and_notes_it_in_the_routing(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("COLUMNS", "300")
    path = write_config(rule_and_shadow_config(), tmp_path)
    assert main(["validate", "--config", str(path)]) == 0
    out, err = capsys.readouterr()
    assert f"overrides.{SHADOW_EVENT}.shadow: {SHADOW_EVENT} deploys its alarm with actions" in err
    rows = [line for line in out.splitlines() if f" {SHADOW_EVENT} " in line]
    # The alarms table, then each target's routing table, whose notes say it (primary's
    # EventBridge rules table between them: the rule has no actions to turn off).
    assert len(rows) == 4
    assert ["shadow: actions off" in row for row in rows] == [False, True, False, True]
