"""The drill's EventBridge check is built from the model, not only from ListRules: a rule the
config delivers that AWS lacks fails, a target without an events path says so, and a global-service
event placed in the us-east-1 target says where its rule lives. No call reaches EventBridge in
these verdicts (each is decided before TestEventPattern), so no emulator runs here."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import yaml

from tests.conftest import default_config
from trailwatch.drill.event_rules import NO_EVENTS_PATH, RULE_MISSING
from trailwatch.drill.run import rule_check
from trailwatch.inventory.model import EventRule
from trailwatch.spec.config import Environment
from trailwatch.spec.model import Deployment, load_deployment


def _deployment(tmp_path: Path, eu_delivery: list[str] | None = None) -> Deployment:
    config: dict[str, Any] = default_config()
    if eu_delivery is not None:
        next(t for t in config["targets"] if t["name"] == "eu")["delivery"] = eu_delivery
    path = tmp_path / "trailwatch.yaml"
    path.write_text(yaml.safe_dump(config))
    return load_deployment(path, Environment(config_path=path, outdir=tmp_path / "out"))


def _record(deployment: Deployment, event_id: str) -> dict[str, Any]:
    return dict(deployment.catalog[event_id].samples.match[0].record)


def test_a_rule_the_model_deploys_that_listrules_lacks_is_missing(tmp_path: Path) -> None:
    deployment = _deployment(tmp_path)
    primary = deployment.targets[0]
    rules = deployment.event_rules_for(primary)
    assert len(rules) == 17
    # Every rule listed but vpc-changes': that one fails, the others are not decided here.
    listed = [
        EventRule(name=r.rule_name, event_pattern=r.pattern_json, state=r.state)
        for r in rules
        if r.id != "vpc-changes"
    ]
    check = rule_check(deployment, primary, None, listed)
    verdict = check.judge("vpc-changes", _record(deployment, "vpc-changes"))
    assert (verdict.rule_name, verdict.matched, verdict.note) == (
        "trailwatch-vpc-changes",
        False,
        RULE_MISSING,
    )
    # With nothing listed at all, every event of the target is missing (not "no events path").
    empty = rule_check(deployment, primary, None, [])
    for rule in rules:
        assert empty.judge(rule.id, _record(deployment, rule.id)).note == RULE_MISSING


def test_a_target_without_events_has_no_events_path(tmp_path: Path) -> None:
    deployment = _deployment(tmp_path)
    eu = deployment.targets[1]
    assert deployment.event_rules_for(eu) == ()
    check = rule_check(deployment, eu, None, [])
    verdict = check.judge("vpc-changes", _record(deployment, "vpc-changes"))
    assert (verdict.rule_name, verdict.matched, verdict.note) == (None, None, NO_EVENTS_PATH)


def test_global_service_events_say_which_target_holds_their_rule(tmp_path: Path) -> None:
    deployment = _deployment(tmp_path, ["alarms", "events"])
    eu = deployment.targets[1]
    check = rule_check(deployment, eu, None, [])
    placed = check.judge("iam-policy-changes", _record(deployment, "iam-policy-changes"))
    assert placed.matched is None and placed.rule_name is None
    assert placed.note == "rule in target primary (us-east-1): trailwatch-iam-policy-changes"
    # A regional event of eu has its rule in eu, which ListRules did not find.
    missing = check.judge("vpc-changes", _record(deployment, "vpc-changes"))
    assert (missing.matched, missing.note) == (False, RULE_MISSING)
