"""Prowler's own CloudWatch checks over the synthesized stacks, per pattern profile.

Prowler (pinned in tools/prowler/Pipfile, synced into .tools/prowler) runs in its own
environment: tools/prowler/run_checks.py imports its real check modules, feeds them the stacks'
filters, alarms, log groups and trails, and prints each check's status as JSON.
"""

from __future__ import annotations

import json
import re
import subprocess
from functools import cache
from typing import Any

import pytest

from tests.conftest import REPO, Synth, SynthFactory, default_config, missing_tool
from trailwatch.spec.catalog import load_catalog
from trailwatch.spec.frameworks import Frameworks, PatternCheck, load_frameworks

CATALOG = load_catalog([REPO / "events"])

PROWLER_PYTHON = REPO / ".tools" / "prowler" / "bin" / "python"
RUNNER = REPO / "tools" / "prowler" / "run_checks.py"
# Prowler's route-table check wants `$.eventSource = ec2.amazonaws.com`, its Organizations
# check three more event names: Security Hub's exact texts have neither.
FAILS_IN_SECURITYHUB_PROFILE = {
    "cloudwatch_changes_to_network_route_tables_alarm_configured",
    "cloudwatch_log_metric_filter_aws_organizations_changes",
}


@cache
def frameworks() -> Frameworks:
    return load_frameworks()


def prowler_profile_config() -> dict[str, Any]:
    config = default_config()
    config["pattern_profile"] = "prowler"
    return config


def without_root_alarm_config() -> dict[str, Any]:
    config = prowler_profile_config()
    config["disabled_events"] = ["root-account-usage"]
    return config


def run_prowler(synth: Synth) -> dict[str, dict[str, Any]]:
    """Prowler's verdicts per stack: {stack: {check id: {status, detail, regex}}}."""
    if not PROWLER_PYTHON.is_file():
        missing_tool(f"{PROWLER_PYTHON} is missing: run `make install`")
    stacks = synth.stack_names()
    result = subprocess.run(
        [str(PROWLER_PYTHON), str(RUNNER), *(str(synth.path(s)) for s in stacks)],
        capture_output=True,
        text=True,
        timeout=300,
        cwd=REPO,
    )
    assert result.returncode == 0, result.stderr[-2000:]
    by_path: dict[str, dict[str, Any]] = json.loads(result.stdout)
    return {stack: by_path[str(synth.path(stack))] for stack in stacks}


@pytest.fixture(scope="module")
def securityhub_profile(default_synth: Synth) -> dict[str, dict[str, Any]]:
    return run_prowler(default_synth)


@pytest.fixture(scope="module")
def prowler_profile(synth_config: SynthFactory) -> dict[str, dict[str, Any]]:
    return run_prowler(synth_config("profile-prowler", prowler_profile_config()))


def metric_filter_checks() -> list[str]:
    return [c.id for c in frameworks().prowler_checks()]


def failing(checks: dict[str, Any]) -> set[str]:
    return {check for check, result in checks.items() if result["status"] != "PASS"}


def test_runner_covers_every_prowler_metric_filter_check(
    securityhub_profile: dict[str, dict[str, Any]],
) -> None:
    for checks in securityhub_profile.values():
        assert set(metric_filter_checks()) <= set(checks)
        assert len(metric_filter_checks()) == 15


@pytest.mark.parametrize("stack", ["trailwatch-primary", "trailwatch-eu"])
def test_prowler_profile_passes_every_prowler_check(
    prowler_profile: dict[str, dict[str, Any]], stack: str
) -> None:
    checks = prowler_profile[stack]
    assert failing(checks) == set(), {c: checks[c]["detail"] for c in failing(checks)}
    for check in metric_filter_checks():
        assert checks[check]["detail"][0].endswith("and alarms set."), check


@pytest.mark.parametrize("stack", ["trailwatch-primary", "trailwatch-eu"])
def test_securityhub_profile_fails_only_route_tables_and_organizations(
    securityhub_profile: dict[str, dict[str, Any]], stack: str
) -> None:
    assert failing(securityhub_profile[stack]) == FAILS_IN_SECURITYHUB_PROFILE


def test_every_option_config_passes_prowler_in_every_stack(synth_config: SynthFactory) -> None:
    # Name prefix, own namespace, an existing trail's log group and an S3 backend: Prowler
    # matches alarms to filters by metric name and namespace, so a prefix applied to one side
    # only would fail here.
    from tests.test_checkov import every_option_config

    config = every_option_config()
    assert config["pattern_profile"] == "prowler"
    for stack, checks in run_prowler(synth_config("checkov-every-option", config)).items():
        assert {c for c in failing(checks) if c in metric_filter_checks()} == set(), stack


def test_prowler_fails_a_check_whose_alarm_is_disabled(synth_config: SynthFactory) -> None:
    # The runner must be able to fail: without the root filter Prowler finds nothing.
    checks = run_prowler(synth_config("prowler-without-root", without_root_alarm_config()))
    assert failing(checks["trailwatch-primary"]) == {"cloudwatch_log_metric_filter_root_usage"}


def test_frameworks_data_holds_prowlers_own_regexes(
    securityhub_profile: dict[str, dict[str, Any]],
) -> None:
    # trailwatch coverage judges Prowler's checks from trailwatch/spec/frameworks.yaml without
    # importing Prowler; the data must build exactly the regex each check hands its matcher.
    checks = securityhub_profile["trailwatch-primary"]
    for check in frameworks().prowler_checks():
        assert check.regex() == checks[check.id]["regex"], check.id


@pytest.mark.parametrize("profile", ["securityhub", "prowler"])
def test_coverage_judges_prowler_checks_as_prowler_does(
    securityhub_profile: dict[str, dict[str, Any]],
    prowler_profile: dict[str, dict[str, Any]],
    default_synth: Synth,
    synth_config: SynthFactory,
    profile: str,
) -> None:
    from trailwatch.audit.coverage import trail_log_groups
    from trailwatch.inventory.synth import read_synth_stacks

    synth = (
        default_synth
        if profile == "securityhub"
        else synth_config("profile-prowler", prowler_profile_config())
    )
    verdicts = securityhub_profile if profile == "securityhub" else prowler_profile
    for stack in read_synth_stacks(synth.outdir, synth.stack_names()):
        for check in frameworks().prowler_checks():
            passes: PatternCheck = check
            alarmed = [
                f
                for f in stack.filters
                if f.log_group_name in trail_log_groups(stack) and stack.alarms_on(f)
            ]
            ours = any(passes.matches(f.pattern) for f in alarmed)
            assert ours == (verdicts[stack.stack][check.id]["status"] == "PASS"), check.id


def ordered_regex(check: PatternCheck) -> str:
    """The check as Prowler before 5.x's lookaheads wrote it: every clause, in this order."""
    parts = []
    if check.event_source:
        parts.append(rf"\$\.eventSource\s*=\s*.?{re.escape(check.event_source)}")
    parts += [rf"\$\.eventName\s*=\s*.?{re.escape(name)}" for name in check.event_names]
    for field, operator, value in check.extra_clauses:
        parts.append(rf"\$\.{re.escape(field)}\s*{re.escape(operator)}\s*.?{re.escape(value)}")
    return ".+".join(parts) + ".?"


@pytest.mark.parametrize(
    "check", [c for c in frameworks().prowler_checks() if c.event_names], ids=lambda c: c.id
)
def test_prowler_profile_keeps_prowlers_clause_order(check: PatternCheck) -> None:
    # Prowler releases before the lookahead rewrite (still run by many teams) require the
    # clauses in their list's order: the prowler profile's patterns follow that order.
    pattern = CATALOG[check.event].pattern_for("prowler")
    assert re.search(ordered_regex(check), pattern, flags=re.DOTALL), check.event
