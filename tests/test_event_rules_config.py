"""`delivery: [alarms, events]`: the config's paths, and the EventBridge rules the model places
(a global-service event's rule in the account's us-east-1 target, or a refusal)."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
import yaml

from tests.helpers import default_config
from trailwatch.errors import ConfigError
from trailwatch.eventbridge import translate
from trailwatch.spec.config import Environment
from trailwatch.spec.model import Deployment, load_deployment

GLOBAL = (
    "console-signin-failures",
    "console-signin-without-mfa",
    "iam-policy-changes",
    "organizations-changes",
)


def deployment(tmp_path: Path, config: dict[str, Any]) -> Deployment:
    path = tmp_path / "trailwatch.yaml"
    path.write_text(yaml.safe_dump(config, sort_keys=False))
    return load_deployment(path, Environment(config_path=path, outdir=tmp_path / "out"))


def refusal(tmp_path: Path, config: dict[str, Any]) -> str:
    with pytest.raises(ConfigError) as caught:
        deployment(tmp_path, config)
    message = str(caught.value)
    assert "\n" not in message and "Traceback" not in message
    return message


def with_delivery(primary: list[str] | None, eu: list[str] | None) -> dict[str, Any]:
    config = default_config()
    for target, delivery in zip(config["targets"], (primary, eu), strict=True):
        target.pop("delivery", None)
        if delivery is not None:
            target["delivery"] = delivery
    return config


def translatable(d: Deployment) -> list[str]:
    return [a.id for a in d.alarms if translate(a.pattern).event_pattern is not None]


def test_alarms_alone_is_the_default_and_makes_no_rule(tmp_path: Path) -> None:
    d = deployment(tmp_path, with_delivery(None, None))
    assert d.config.delivery == ("alarms",)
    for target in d.targets:
        assert d.delivery_for(target) == ("alarms",)
        assert d.event_rules_for(target) == ()


@pytest.mark.parametrize(
    ("delivery", "expected"),
    [
        ([], "name at least one delivery path (alarms, events)"),
        (["alarms", "pager"], "unknown delivery path(s) pager; allowed: alarms, events"),
        (["events", "events"], "events is named twice; name each path once"),
    ],
)
def test_a_wrong_delivery_is_refused_in_one_line(
    tmp_path: Path, delivery: list[str], expected: str
) -> None:
    config = with_delivery(None, None)
    config["delivery"] = delivery
    assert refusal(tmp_path, config).endswith(
        f"trailwatch.yaml: delivery: {expected} (got {delivery!r})"
    )
    config = with_delivery(None, delivery)
    assert refusal(tmp_path, config).endswith(
        f": targets[1].delivery: {expected} (got {delivery!r})"
    )


def test_the_us_east_1_target_gets_every_translatable_event_with_its_routes(
    tmp_path: Path,
) -> None:
    d = deployment(tmp_path, with_delivery(["alarms", "events"], None))
    primary, eu = d.targets
    rules = d.event_rules_for(primary)
    assert [r.id for r in rules] == translatable(d)
    assert set(GLOBAL) <= {r.id for r in rules}
    assert d.event_rules_for(eu) == ()
    for rule in rules:
        alarm = d.alarm(rule.id, primary)
        assert rule.channels == alarm.channels
        assert rule.rule_name == f"trailwatch-{rule.id}"
        assert rule.requested_by == ("primary",)
        # Compact, sorted, and exactly the compiler's pattern of the deployed filter pattern.
        assert rule.pattern_json == json.dumps(
            translate(alarm.pattern).event_pattern, sort_keys=True, separators=(",", ":")
        )
    by_id = {r.id: r for r in rules}
    assert by_id["iam-policy-changes"].channels == ("default", "oncall")
    assert by_id["authorization-failures"].channels == ("default",)


def test_global_events_of_another_region_go_to_the_accounts_us_east_1_target(
    tmp_path: Path,
) -> None:
    d = deployment(tmp_path, with_delivery(None, ["alarms", "events"]))
    primary, eu = d.targets
    assert "events" not in d.delivery_for(primary)
    hosted = d.event_rules_for(primary)
    assert [r.id for r in hosted] == [e for e in GLOBAL if e in translatable(d)]
    assert all(r.requested_by == ("eu",) for r in hosted)
    regional = [r.id for r in d.event_rules_for(eu)]
    assert regional == [e for e in translatable(d) if e not in GLOBAL]
    # With both asking, one rule, asked for by both.
    d = deployment(tmp_path, with_delivery(["alarms", "events"], ["alarms", "events"]))
    by_id = {r.id: r for r in d.event_rules_for(d.targets[0])}
    assert by_id["iam-policy-changes"].requested_by == ("primary", "eu")


def test_without_a_us_east_1_target_in_the_account_global_events_are_refused(
    tmp_path: Path,
) -> None:
    config = with_delivery(None, ["events"])
    config["targets"] = config["targets"][1:]
    message = refusal(tmp_path, config)
    assert message.endswith(
        "targets[0].delivery: events: console-signin-failures is a global-service event (IAM, "
        "STS, sign-in, Organizations), which CloudTrail sends to EventBridge in us-east-1 only, "
        "and the account of target 'eu' has no target in us-east-1: add one, or disable "
        "console-signin-failures in this target"
    )
    # A us-east-1 target of another account does not count.
    config = with_delivery(None, ["events"])
    config["targets"][1]["account_id"] = "111122223333"
    assert "the account of target 'eu' has no target in us-east-1" in refusal(tmp_path, config)
    # Disabling the global events in that target is the other way out.
    config = with_delivery(None, ["events"])
    config["targets"] = config["targets"][1:]
    config["targets"][0]["disabled_events"] = list(GLOBAL)
    d = deployment(tmp_path, config)
    assert not {r.id for r in d.event_rules_for(d.targets[0])} & set(GLOBAL)


def test_a_host_that_disables_a_global_event_is_refused(tmp_path: Path) -> None:
    config = with_delivery(None, ["events"])
    config["targets"][0]["disabled_events"] = ["iam-policy-changes"]
    assert refusal(tmp_path, config).endswith(
        "targets[1].delivery: events: iam-policy-changes is a global-service event whose rule "
        "goes in target 'primary' (us-east-1), which disables it: enable it there, or disable "
        "it in this target too"
    )


def test_an_event_with_no_eventbridge_equivalent_is_left_out_with_a_warning(
    tmp_path: Path,
) -> None:
    folder = tmp_path / "my-events"
    folder.mkdir()
    (folder / "raw-text.yaml").write_text(
        yaml.safe_dump(
            {
                "id": "raw-text",
                "title": "Raw text",
                "severity": "low",
                "description": "A term pattern over the raw record.",
                "pattern": '"ConsoleLogin" -Success',
                "metric_name": "RawTextCount",
                "alarm_name": "RawText",
                "alarm": {"threshold": 1},
                "no_samples_reason": "a test of the rules, not of the pattern",
            }
        )
    )
    config = with_delivery(["alarms", "events"], None)
    config["event_directories"] = ["my-events"]
    d = deployment(tmp_path, config)
    translation = translate('"ConsoleLogin" -Success')
    assert translation.event_pattern is None
    assert "raw-text" not in {r.id for r in d.event_rules_for(d.targets[0])}
    (warning,) = [w for w in d.warnings if w.startswith("raw-text")]
    assert warning == (
        "raw-text has no EventBridge rule in target 'primary': "
        + "; ".join(translation.limits)
        + "; its alarm is its only path"
    )


def test_a_rule_name_over_64_characters_is_refused(tmp_path: Path) -> None:
    config = with_delivery(["events"], None)
    config["targets"] = config["targets"][:1]
    # No bucket to make (whose name is refused first at this length).
    config["targets"][0]["trail"] = {"mode": "existing", "log_group_name": "org-trail"}
    config["name_prefix"] = "a-very-long-organisation-prefix-"
    message = refusal(tmp_path, config)
    assert "name_prefix: the EventBridge rule of" in message
    assert "EventBridge allows 64; shorten name_prefix" in message


def test_validate_json_lists_each_targets_delivery_and_rules(tmp_path: Path) -> None:
    d = deployment(tmp_path, with_delivery(["alarms", "events"], None))
    primary, eu = d.to_json()["targets"]
    assert primary["delivery"] == ["alarms", "events"] and eu["delivery"] == ["alarms"]
    assert [r["event"] for r in primary["event_rules"]] == translatable(d)
    assert eu["event_rules"] == []
