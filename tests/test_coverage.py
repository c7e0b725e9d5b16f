"""`trailwatch coverage` over real synthesized stacks: what is met, why not, and the exit code."""

from __future__ import annotations

import dataclasses
import json
from pathlib import Path
from typing import Any

import pytest
import yaml

from tests.conftest import Synth, SynthFactory, default_config
from trailwatch.audit.coverage import assess
from trailwatch.cli import main
from trailwatch.inventory.synth import read_synth_stacks
from trailwatch.spec.alarms import Alarm
from trailwatch.spec.config import Environment
from trailwatch.spec.frameworks import load_frameworks
from trailwatch.spec.model import Deployment, load_deployment

SECURITY_HUB = [f"CloudWatch.{n}" for n in range(1, 18)]


def prowler_profile_config() -> dict[str, Any]:
    config = default_config()
    config["pattern_profile"] = "prowler"
    return config


def without_root_alarm_config() -> dict[str, Any]:
    config = default_config()
    config["disabled_events"] = ["root-account-usage"]
    return config


def coverage(
    synth: Synth, *args: str, capsys: pytest.CaptureFixture[str], config: Path | None = None
) -> tuple[int, str, str]:
    """Run the CLI on a synthesized config; (exit code, stdout, stderr)."""
    code = main(
        [
            "coverage",
            "--config",
            str(config or synth.workdir / "trailwatch.yaml"),
            "--synth-dir",
            str(synth.outdir),
            *args,
        ]
    )
    out, err = capsys.readouterr()
    return code, out, err


def report_json(
    synth: Synth, capsys: pytest.CaptureFixture[str], config: Path | None = None
) -> tuple[int, dict[str, Any]]:
    code, out, _ = coverage(synth, "--json", capsys=capsys, config=config)
    data: dict[str, Any] = json.loads(out)
    return code, data


def controls(report: dict[str, Any], framework: str) -> dict[str, dict[str, Any]]:
    (found,) = [f for f in report["frameworks"] if f["id"] == framework]
    return {c["id"]: c for c in found["controls"]}


def test_default_config_meets_every_security_hub_control(
    default_synth: Synth, capsys: pytest.CaptureFixture[str]
) -> None:
    code, report = report_json(default_synth, capsys)
    assert code == 0 and report["ok"] is True
    security_hub = controls(report, "security-hub")
    assert list(security_hub) == SECURITY_HUB
    assert {c["status"] for c in security_hub.values()} == {"met"}
    for framework in ("cis-v1.2", "cis-v1.4"):
        assert {c["status"] for c in controls(report, framework).values()} == {"met"}


def test_default_profile_claims_cis_and_security_hub_not_prowler(
    default_synth: Synth, capsys: pytest.CaptureFixture[str]
) -> None:
    _, report = report_json(default_synth, capsys)
    assert report["claimed_frameworks"] == ["cis-v1.2", "cis-v1.4", "security-hub"]
    prowler = controls(report, "prowler")
    missed = {c["id"]: c for c in prowler.values() if c["status"] == "not met"}
    assert set(missed) == {
        "cloudwatch_changes_to_network_route_tables_alarm_configured",
        "cloudwatch_log_metric_filter_aws_organizations_changes",
    }
    assert all(c["reasons"] == ["wrong profile"] and not c["claimed"] for c in missed.values())


def test_disabled_event_fails_its_controls_and_the_exit_code(
    synth_config: SynthFactory, capsys: pytest.CaptureFixture[str]
) -> None:
    synth = synth_config("coverage-without-root", without_root_alarm_config())
    code, report = report_json(synth, capsys)
    assert code == 1 and report["ok"] is False
    root = controls(report, "security-hub")["CloudWatch.1"]
    assert (root["status"], root["reasons"]) == ("not met", ["disabled"])
    assert root["stacks"]["trailwatch-eu"]["detail"] == "root-account-usage is in disabled_events"
    assert controls(report, "cis-v1.2")["3.3"]["reasons"] == ["disabled"]
    others = [c for c in controls(report, "security-hub").values() if c["id"] != "CloudWatch.1"]
    assert {c["status"] for c in others} == {"met"}


def test_disabled_event_is_named_in_the_text_report(
    synth_config: SynthFactory,
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("COLUMNS", "250")  # rich wraps table cells to the terminal's width
    synth = synth_config("coverage-without-root", without_root_alarm_config())
    code, out, _ = coverage(synth, capsys=capsys)
    assert code == 1
    assert "disabled: root-account-usage is in disabled_events" in out
    assert (
        out.strip()
        .splitlines()[-1]
        .endswith("not met: CIS v1.2 3.3, CIS v1.4+ 4.3, Security Hub CloudWatch.1")
    )


def test_prowler_profile_shows_variant_patterns_and_meets_prowler(
    synth_config: SynthFactory, capsys: pytest.CaptureFixture[str]
) -> None:
    synth = synth_config("profile-prowler", prowler_profile_config())
    code, report = report_json(synth, capsys)
    assert code == 0 and report["claimed_frameworks"] == ["prowler"]
    assert {c["status"] for c in controls(report, "prowler").values()} == {"met"}
    security_hub = controls(report, "security-hub")
    variants = {i for i, c in security_hub.items() if c["reasons"] == ["variant pattern"]}
    # Route tables (ec2 eventSource) and CIS v5's ModifySecurityGroupRules; Organizations has
    # no Security Hub control, only CIS v1.4+ 4.15.
    assert variants == {"CloudWatch.13", "CloudWatch.10"}
    assert controls(report, "cis-v1.4")["4.15"]["reasons"] == ["variant pattern"]
    assert not any(c["claimed"] for c in security_hub.values())


def test_a_synth_older_than_the_config_is_called_stale(
    default_synth: Synth, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    config = tmp_path / "trailwatch.yaml"
    config.write_text(json.dumps(prowler_profile_config()))
    code, report = report_json(default_synth, capsys, config=config)
    prowler = controls(report, "prowler")
    route = prowler["cloudwatch_changes_to_network_route_tables_alarm_configured"]
    assert code == 1 and route["reasons"] == ["stale synth"]


def test_json_shape(default_synth: Synth, capsys: pytest.CaptureFixture[str]) -> None:
    _, report = report_json(default_synth, capsys)
    assert set(report) == {"profile", "stacks", "ok", "claimed_frameworks", "frameworks"}
    assert report["profile"] == "securityhub"
    assert report["stacks"] == ["trailwatch-primary", "trailwatch-eu"]
    assert [f["id"] for f in report["frameworks"]] == [
        "cis-v1.2",
        "cis-v1.4",
        "security-hub",
        "prowler",
    ]
    framework = report["frameworks"][2]
    assert set(framework) == {"id", "title", "profile", "claimed", "met", "total", "controls"}
    assert (framework["met"], framework["total"]) == (17, 17)
    control = framework["controls"][0]
    assert control == {
        "id": "CloudWatch.1",
        "title": control["title"],
        "event": "root-account-usage",
        "status": "met",
        "claimed": True,
        "reasons": [],
        # The primary target delivers both paths (the default config), eu alarms only.
        "path": "trailwatch-primary: both; trailwatch-eu: alarm",
        "stacks": {
            "trailwatch-primary": {"status": "met", "reason": None, "detail": None},
            "trailwatch-eu": {
                "status": "met",
                "reason": None,
                "detail": "covered by trailwatch-primary's multi-region trail "
                "(profile default, role none)",
            },
        },
    }
    retention = framework["controls"][15]
    assert retention["id"] == "CloudWatch.16" and retention["event"] is None
    assert retention["path"] == ""


def test_markdown_table_has_a_row_per_control(
    default_synth: Synth, capsys: pytest.CaptureFixture[str]
) -> None:
    code, out, _ = coverage(default_synth, "--markdown", capsys=capsys)
    rows = out.strip().splitlines()
    assert code == 0
    assert rows[0] == "| Framework | Control | Event | Met | Path | Why not |"
    both = "trailwatch-primary: both; trailwatch-eu: alarm"
    assert f"| Security Hub | CloudWatch.13 | route-table-changes | met | {both} |  |" in rows
    assert "| Security Hub | CloudWatch.15 | every alarm / log group | met |  |  |" in rows
    assert len(rows) == 2 + 14 + 15 + 17 + 19


def test_missing_synth_says_to_run_make_synth(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], repo_root: Path
) -> None:
    code = main(
        [
            "coverage",
            "--config",
            str(repo_root / "trailwatch.yaml"),
            "--synth-dir",
            str(tmp_path / "nowhere"),
        ]
    )
    _, err = capsys.readouterr()
    assert code == 2
    assert err.strip().endswith(
        "no synthesized stacks; run `make synth` first (or pass --synth-dir)"
    )
    assert "Traceback" not in err and len(err.strip().splitlines()) == 1


def with_exclusion(alarm: Alarm, pattern: str, exclusion: str) -> Alarm:
    """The alarm as the model builds it once a config adds an exclusion to it."""
    if "exclusions" in {f.name for f in dataclasses.fields(Alarm)}:
        replace: Any = dataclasses.replace  # the field is newer than this test's type check
        changed: Alarm = replace(alarm, pattern=pattern, exact=False, exclusions=(exclusion,))
        return changed

    @dataclasses.dataclass(frozen=True)
    class ExcludingAlarm(Alarm):
        exclusions: tuple[str, ...] = ()

    fields = {f.name: getattr(alarm, f.name) for f in dataclasses.fields(Alarm)}
    return ExcludingAlarm(
        **{**fields, "pattern": pattern, "exact": False, "exclusions": (exclusion,)}
    )


def test_exclusion_is_reported_as_breaking_exact_compliance(default_synth: Synth) -> None:
    env = Environment.from_os({"CDKTF_OUTDIR": str(default_synth.outdir)})
    deployment = load_deployment(default_synth.workdir / "trailwatch.yaml", env)
    alarm = deployment.alarm("authorization-failures")
    excluded = (
        '{ (($.errorCode="*UnauthorizedOperation") || ($.errorCode="AccessDenied*")) && '
        "(($.userIdentity.sessionContext.sessionIssuer.userName NOT EXISTS) || "
        '($.userIdentity.sessionContext.sessionIssuer.userName != "AWSServiceRoleForConfig")) }'
    )
    changed: Deployment = dataclasses.replace(
        deployment,
        alarms=tuple(
            with_exclusion(a, excluded, "service_linked_role_denials") if a is alarm else a
            for a in deployment.alarms
        ),
    )
    stacks = [
        dataclasses.replace(
            stack,
            filters=tuple(
                dataclasses.replace(f, pattern=excluded)
                if f.metric_name == alarm.metric_name
                else f
                for f in stack.filters
            ),
        )
        for stack in read_synth_stacks(default_synth.outdir, ["trailwatch-primary"])
    ]
    report = assess(changed, stacks, load_frameworks())
    by_id = {c.control.id: c for f in report.frameworks for c in f.controls}
    verdict = by_id["CloudWatch.2"].verdicts["trailwatch-primary"]
    assert (verdict.status, verdict.reason) == ("not met", "exclusion added")
    assert "service_linked_role_denials" in verdict.detail
    # Prowler's regex only needs both errorCode clauses in order: the exclusion keeps it.
    assert by_id["cloudwatch_log_metric_filter_unauthorized_api_calls"].status == "met"
    assert not report.ok


def test_regional_trails_alone_meet_no_pattern_control(
    synth_config: SynthFactory, capsys: pytest.CaptureFixture[str]
) -> None:
    config = default_config()
    config["targets"] = [
        {"name": "eu", "region": "eu-west-1", "trail": {"mode": "create", "multi_region": False}}
    ]
    synth = synth_config("regional-only", config)
    code, report = report_json(synth, capsys)
    assert code == 1
    security_hub = controls(report, "security-hub")
    for number in range(1, 15):
        control = security_hub[f"CloudWatch.{number}"]
        assert control["status"] == "not met", number
        assert json.dumps(control).count("no multi-region trail") >= 1


def test_a_regional_stack_is_covered_by_its_accounts_multi_region_trail(
    default_synth: Synth, capsys: pytest.CaptureFixture[str]
) -> None:
    _, report = report_json(default_synth, capsys)
    root = controls(report, "security-hub")["CloudWatch.1"]
    assert root["status"] == "met"
    assert "covered by trailwatch-primary's multi-region trail" in json.dumps(root)


def test_an_exclusion_rule_is_named_where_it_breaks_a_control(
    synth_config: SynthFactory, capsys: pytest.CaptureFixture[str], repo_root: Path
) -> None:
    config = yaml.safe_load((repo_root / "examples" / "tuned.yaml").read_text())
    # Synth refuses the rule once its date has passed; this test is not about that.
    del config["exclusions"]["rules"][0]["expires"]
    synth = synth_config("coverage-exclusion-rule", config)
    code, report = report_json(synth, capsys)
    assert code == 1
    unauthorized = controls(report, "security-hub")["CloudWatch.2"]
    assert (unauthorized["status"], unauthorized["reasons"]) == (
        "not met",
        ["exclusion added: inventory-ec2-probes"],
    )
    assert unauthorized["stacks"]["trailwatch-primary"]["detail"] == (
        "exclusions.rules.inventory-ec2-probes changes the pattern of authorization-failures "
        "(inventory-ec2-probes: the inventory role describes every instance attribute; it has "
        "no write access)"
    )
    assert controls(report, "cis-v1.4")["4.1"]["reasons"] == [
        "exclusion added: inventory-ec2-probes"
    ]
    others = [c for c in controls(report, "security-hub").values() if c["id"] != "CloudWatch.2"]
    assert {c["status"] for c in others} == {"met"}
