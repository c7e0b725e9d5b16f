"""Routing in the model: channels, routes by severity and event, per-target layering, pattern
overrides and alarm settings that can fire; every bad input is one line naming file and field.
"""

from __future__ import annotations

import copy
import dataclasses
from pathlib import Path
from typing import Any

import pytest
import yaml

from tests.helpers import REPO, default_config, run_synth
from trailwatch.errors import ConfigError
from trailwatch.spec.config import Environment
from trailwatch.spec.model import Deployment, load_deployment

PAGERDUTY = "https://events.pagerduty.com/integration/KEY/enqueue"
LEGACY_TOPIC = "arn:aws:sns:us-east-1:111122223333:existing"
TEAMS = {
    "team_id": "5ad4b2cd-1b25-4a70-a0ad-0bbd9ac9d1a2",
    "tenant_id": "2b1a7c3e-4d5f-4a6b-8c7d-9e0f1a2b3c4d",
    "channel_id": "19%3ab6ef35dc%40thread.tacv2",
}
# A broader vpc-changes pattern that still passes the event's samples, and one that does not.
VPC_BROADER = (
    "{($.eventName=CreateVpc) || ($.eventName=DeleteVpc) || ($.eventName=ModifyVpcAttribute) "
    "|| ($.eventName=CreateDefaultVpc)}"
)
VPC_NARROWER = "{$.eventName=CreateVpc}"


def routed_config() -> dict[str, Any]:
    """Every channel kind (e-mail, https, Slack, Teams, an existing topic), routes by severity
    and by event, and a target with its own routes, disabled events and overrides."""
    config = default_config()
    config["notifications"] = {
        "channels": {
            "security-email": {"emails": ["security@example.com"]},
            "oncall": {"subscriptions": [{"protocol": "https", "endpoint": PAGERDUTY}]},
            "chat": {"slack": {"workspace_id": "T0123ABCD", "channel_id": "C0123ABCD"}},
            "teams": {"teams": TEAMS},
            "legacy": {"topic_arn": LEGACY_TOPIC},
        },
        "default": ["security-email"],
        "routes": [
            {"severity": ["critical", "high"], "channels": ["oncall", "security-email"]},
            {"events": ["authorization-failures"], "channels": ["chat"]},
            {"severity": ["critical"], "events": ["cloudtrail-changes"], "channels": ["teams"]},
        ],
    }
    config["overrides"] = {"console-signin-failures": {"threshold": 5, "period": 600}}
    config["targets"] = [
        {"name": "primary", "region": "us-east-1"},
        {
            "name": "eu",
            "region": "eu-west-1",
            "trail": {"mode": "create", "multi_region": False},
            "routes": [{"severity": ["critical"], "channels": ["legacy"]}],
            "disabled_events": ["ec2-instance-changes"],
            "overrides": {"console-signin-failures": {"threshold": 10}},
        },
    ]
    return config


def write(tmp_path: Path, config: dict[str, Any]) -> Path:
    path = tmp_path / "trailwatch.yaml"
    path.write_text(yaml.safe_dump(config, sort_keys=False))
    return path


def load(tmp_path: Path, config: dict[str, Any]) -> Deployment:
    path = write(tmp_path, config)
    return load_deployment(path, Environment(config_path=path, outdir=tmp_path / "out"))


def target(deployment: Deployment, name: str) -> Any:
    return next(t for t in deployment.targets if t.name == name)


def channels(deployment: Deployment, target_name: str) -> dict[str, tuple[str, ...]]:
    return {a.id: a.channels for a in deployment.alarms_for(target(deployment, target_name))}


# --- what routes resolve to ----------------------------------------------------------------------


def test_routes_add_their_channels_and_unrouted_alarms_go_to_the_default(tmp_path: Path) -> None:
    routed = channels(load(tmp_path, routed_config()), "primary")
    # Two routes match cloudtrail-changes (critical, and critical and that event): the union.
    assert routed["cloudtrail-changes"] == ("security-email", "oncall", "teams")
    assert routed["root-account-usage"] == ("security-email", "oncall")
    assert routed["iam-policy-changes"] == ("security-email", "oncall")
    assert routed["authorization-failures"] == ("chat",)
    # No route matches: the default channel only.
    assert routed["vpc-changes"] == ("security-email",)
    assert routed["ec2-instance-changes"] == ("security-email",)


def test_a_route_with_severity_and_events_needs_both(tmp_path: Path) -> None:
    config = routed_config()
    routed = channels(load(tmp_path, config), "primary")
    # root-account-usage is critical too, but not cloudtrail-changes: no Teams.
    assert "teams" not in routed["root-account-usage"]


def test_a_target_replaces_routes_adds_disabled_events_and_layers_overrides(
    tmp_path: Path,
) -> None:
    deployment = load(tmp_path, routed_config())
    eu = target(deployment, "eu")
    routed = channels(deployment, "eu")
    assert routed["root-account-usage"] == ("legacy",)
    # The global routes do not apply: high and authorization-failures go to the default.
    assert routed["iam-policy-changes"] == ("security-email",)
    assert routed["authorization-failures"] == ("security-email",)
    assert "ec2-instance-changes" not in routed
    assert deployment.disabled_for(eu) == ("ec2-instance-changes",)
    signin = deployment.alarm("console-signin-failures", eu)
    # threshold from the target, period from the global override.
    assert (signin.settings.threshold, signin.settings.period) == (10, 600)
    assert deployment.alarm("console-signin-failures").settings.threshold == 5
    # Only the channels its alarms use.
    assert list(deployment.channels_for(eu)) == ["security-email", "legacy"]
    assert list(deployment.channels_for(target(deployment, "primary"))) == [
        "security-email",
        "oncall",
        "chat",
        "teams",
    ]


def test_a_target_without_settings_of_its_own_deploys_the_global_alarms(tmp_path: Path) -> None:
    deployment = load(tmp_path, routed_config())
    assert deployment.alarms_for(target(deployment, "primary")) is deployment.alarms
    assert set(deployment.target_alarms) == {"eu"}


def test_the_single_topic_form_is_the_channel_default(tmp_path: Path) -> None:
    config = default_config()
    config["notifications"] = {"emails": ["security-alerts@example.com"]}
    deployment = load(tmp_path, config)
    for alarm in deployment.alarms:
        assert alarm.channels == ("default",)
    assert list(deployment.channels_for(deployment.targets[0])) == ["default"]


def test_the_default_config_pages_oncall_for_critical_and_high(tmp_path: Path) -> None:
    # The single-topic form (top-level emails: the channel "default") beside another channel.
    routed = channels(load(tmp_path, default_config()), "primary")
    assert routed["root-account-usage"] == ("default", "oncall")
    assert routed["kms-key-disable-or-deletion"] == ("default", "oncall")
    assert routed["vpc-changes"] == ("default",)
    assert routed["authorization-failures"] == ("default",)


def test_an_alarm_description_carries_severity_and_what_to_do_within_1024(
    tmp_path: Path,
) -> None:
    deployment = load(tmp_path, default_config())
    root = deployment.alarm("root-account-usage")
    assert root.description.startswith(
        "Root account usage (trailwatch event root-account-usage, severity critical). "
    )
    assert "When it fires:" in root.description
    long = deployment.alarm("authorization-failures")
    event = long.event.model_copy(update={"description": "word " * 400})
    cut = dataclasses.replace(long, event=event).description
    assert len(cut) <= 1024 and cut.endswith("...") and "severity low" in cut


def test_a_pattern_override_that_passes_the_samples_is_deployed(tmp_path: Path) -> None:
    config = default_config()
    config["overrides"] = {"vpc-changes": {"pattern": VPC_BROADER}}
    deployment = load(tmp_path, config)
    alarm = deployment.alarm("vpc-changes")
    assert (alarm.pattern, alarm.exact, alarm.pattern_override) == (
        VPC_BROADER,
        False,
        "overrides.vpc-changes.pattern",
    )
    assert deployment.warnings == ()


def test_a_pattern_override_may_skip_the_samples_with_a_reason(tmp_path: Path) -> None:
    config = default_config()
    config["overrides"] = {
        "vpc-changes": {
            "pattern": VPC_NARROWER,
            "samples": "skip",
            "reason": "we only care about new VPCs",
        }
    }
    deployment = load(tmp_path, config)
    alarm = deployment.alarm("vpc-changes")
    assert (alarm.pattern, alarm.samples_skipped) == (VPC_NARROWER, "we only care about new VPCs")
    (warning,) = deployment.warnings
    assert warning.startswith("overrides.vpc-changes.pattern is deployed without passing")
    assert '"pattern overridden"' in warning


def test_a_per_target_pattern_override_names_the_target_field(tmp_path: Path) -> None:
    config = default_config()
    config["targets"][1]["overrides"] = {"vpc-changes": {"pattern": VPC_BROADER}}
    deployment = load(tmp_path, config)
    assert deployment.alarm("vpc-changes").pattern_override is None
    eu = target(deployment, "eu")
    assert deployment.alarm("vpc-changes", eu).pattern_override == (
        "targets[1].overrides.vpc-changes.pattern"
    )


def test_default_value_is_off_unless_asked_globally_or_per_event(tmp_path: Path) -> None:
    config = default_config()
    assert not any(a.default_value for a in load(tmp_path, config).alarms)
    config["default_value"] = True
    config["overrides"] = {"vpc-changes": {"default_value": False}}
    deployment = load(tmp_path, config)
    assert {a.id for a in deployment.alarms if not a.default_value} == {"vpc-changes"}


def test_settings_that_can_fire_are_accepted(tmp_path: Path) -> None:
    config = default_config()
    config["default_value"] = True
    config["overrides"] = {
        # Maximum >= 1 fires on any match; Average > 0 too.
        "root-account-usage": {"statistic": "Maximum", "threshold": 1},
        "vpc-changes": {
            "statistic": "Average",
            "comparison": "GreaterThanThreshold",
            "threshold": 0,
        },
        "nacl-changes": {"statistic": "SampleCount", "default_value": False},
    }
    deployment = load(tmp_path, config)
    assert deployment.alarm("root-account-usage").settings.statistic == "Maximum"


# --- bad input: one line, naming file and field ---------------------------------------------------


def routed(**notifications: Any) -> dict[str, Any]:
    config = routed_config()
    config["notifications"].update(notifications)
    return config


def changed(edit: Any) -> dict[str, Any]:
    config = copy.deepcopy(routed_config())
    edit(config)
    return config


def skip_without_reason(config: dict[str, Any]) -> None:
    config["overrides"]["vpc-changes"] = {"pattern": VPC_NARROWER, "samples": "skip"}


ROUTING_ERRORS: list[tuple[str, dict[str, Any], str]] = [
    (
        "unknown channel in a route",
        routed(routes=[{"severity": ["critical"], "channels": ["pager"]}]),
        "notifications.routes[0].channels: unknown channel(s) pager; known: security-email",
    ),
    (
        "unknown default channel",
        routed(default=["mail"]),
        "notifications.default: unknown channel(s) mail",
    ),
    (
        "route names an unknown event",
        routed(
            routes=[
                {"events": ["root-usage"], "channels": ["chat"]},
                {"severity": ["low"], "channels": ["oncall", "teams", "legacy"]},
            ]
        ),
        "notifications.routes[0].events: unknown event id(s) root-usage; known: ",
    ),
    (
        "route names an unknown severity",
        routed(routes=[{"severity": ["urgent"], "channels": ["oncall"]}]),
        "notifications.routes[0].severity[0]: Input should be 'low', 'medium', 'high' or "
        "'critical'",
    ),
    (
        "a channel nobody uses",
        routed(routes=[{"severity": ["critical"], "channels": ["oncall", "chat", "legacy"]}]),
        "notifications.channels.teams: no route and not notifications.default names this channel",
    ),
    (
        "route without severity or events",
        routed(routes=[{"channels": ["oncall"]}]),
        "notifications.routes[0]: a route needs severity, events or both",
    ),
    (
        "channel without subscriber",
        changed(lambda c: c["notifications"]["channels"].update(chat={})),
        "notifications.channels.chat: a channel needs a subscriber",
    ),
    (
        "channel with topic_arn and subscribers",
        changed(
            lambda c: c["notifications"]["channels"]["legacy"].update(emails=["a@example.com"])
        ),
        "notifications.channels.legacy: with topic_arn, subscribe on that topic yourself",
    ),
    (
        "several channels and no default",
        changed(lambda c: c["notifications"].pop("default")),
        "notifications: default: name the channel(s) for alarms that no route matches",
    ),
    (
        "channel default beside the single-topic form",
        routed(emails=["old@example.com"], channels={"default": {"emails": ["a@example.com"]}}),
        "notifications: channels.default: emails, subscriptions and topic_arn already make",
    ),
    (
        "bad Slack workspace id",
        changed(
            lambda c: c["notifications"]["channels"]["chat"]["slack"].update(workspace_id="x y")
        ),
        "notifications.channels.chat.slack.workspace_id: must be a Slack workspace id",
    ),
    (
        "bad Teams tenant id",
        changed(lambda c: c["notifications"]["channels"]["teams"]["teams"].update(tenant_id="t")),
        "notifications.channels.teams.teams.tenant_id: must be a Microsoft Teams id",
    ),
    (
        "bad channel name",
        changed(
            lambda c: c["notifications"]["channels"].update({"On Call": {"emails": ["a@b.cc"]}})
        ),
        "notifications.channels.On Call.[key]: must be 1-32 lower-case letters",
    ),
    (
        "target route names an unknown channel",
        changed(lambda c: c["targets"][1]["routes"][0].update(channels=["pager"])),
        "targets[1].routes[0].channels: unknown channel(s) pager",
    ),
    (
        "target disables an unknown event",
        changed(lambda c: c["targets"][1].update(disabled_events=["vpc"])),
        "targets[1].disabled_events: unknown event id(s) vpc",
    ),
    (
        "target overrides an unknown event",
        changed(lambda c: c["targets"][1]["overrides"].update(vpc={"threshold": 2})),
        "targets[1].overrides: unknown event id(s) vpc",
    ),
    (
        "target disables every event",
        changed(
            lambda c: c["targets"][1].update(
                disabled_events=sorted(p.stem for p in (REPO / "events").glob("*.yaml")),
            )
        ),
        "targets[1].disabled_events: every event is disabled",
    ),
    (
        "Average above 1",
        changed(
            lambda c: c["overrides"].update(
                {"authorization-failures": {"statistic": "Average", "threshold": 2}}
            )
        ),
        "overrides.authorization-failures: statistic Average of a metric whose every datapoint "
        "is 1 per matching record never exceeds 1, so >= 2 can never be reached",
    ),
    (
        "Maximum above exactly 1",
        changed(
            lambda c: c["overrides"].update(
                {
                    "vpc-changes": {
                        "statistic": "Maximum",
                        "comparison": "GreaterThanThreshold",
                        "threshold": 1,
                    }
                }
            )
        ),
        "overrides.vpc-changes: statistic Maximum of a metric whose every datapoint is 1",
    ),
    (
        "a per-target threshold layered over a global Minimum",
        changed(
            lambda c: (
                c["overrides"].update({"vpc-changes": {"statistic": "Minimum"}}),
                c["targets"][1]["overrides"].update({"vpc-changes": {"threshold": 3}}),
            )
        ),
        "targets[1].overrides.vpc-changes: statistic Minimum",
    ),
    (
        "LessThan comparison",
        changed(
            lambda c: c["overrides"].update(
                {"vpc-changes": {"comparison": "LessThanOrEqualToThreshold"}}
            )
        ),
        "overrides.vpc-changes: comparison LessThanOrEqualToThreshold fires when matching "
        "records are few",
    ),
    (
        "more datapoints than periods",
        changed(lambda c: c["overrides"].update({"vpc-changes": {"datapoints_to_alarm": 3}})),
        "overrides.vpc-changes: datapoints_to_alarm (3) cannot exceed evaluation_periods (1): "
        "the alarm would need more breaching periods than it looks at",
    ),
    (
        "SampleCount with default_value",
        changed(
            lambda c: c["overrides"].update(
                {"vpc-changes": {"statistic": "SampleCount", "default_value": True}}
            )
        ),
        "overrides.vpc-changes: statistic SampleCount with default_value counts every record",
    ),
    (
        "SampleCount with a global default_value",
        changed(
            lambda c: (
                c.update(default_value=True),
                c["overrides"].update({"vpc-changes": {"statistic": "SampleCount"}}),
            )
        ),
        "overrides.vpc-changes: statistic SampleCount with default_value",
    ),
    (
        "Average diluted by default_value",
        changed(
            lambda c: c["overrides"].update(
                {"vpc-changes": {"statistic": "Average", "default_value": True}}
            )
        ),
        "overrides.vpc-changes: statistic Average with default_value is diluted by the zeros",
    ),
    (
        "pattern override with a syntax error",
        changed(lambda c: c["overrides"].update({"vpc-changes": {"pattern": "{$.eventName = }"}})),
        "overrides.vpc-changes.pattern: column",
    ),
    (
        "pattern override over 1,024 characters",
        changed(
            lambda c: c["overrides"].update(
                {"vpc-changes": {"pattern": "{$.eventName = " + "x" * 1020 + "}"}}
            )
        ),
        "overrides.vpc-changes.pattern: String should have at most 1024 characters",
    ),
    (
        "pattern override that fails a sample",
        changed(lambda c: c["overrides"].update({"vpc-changes": {"pattern": VPC_NARROWER}})),
        "overrides.vpc-changes.pattern: 'VPC attribute changed' should match but does not "
        "(the event's samples; give samples: skip and a reason to deploy it anyway)",
    ),
    (
        "per-target pattern override that fails a sample",
        changed(
            lambda c: c["targets"][1]["overrides"].update({"vpc-changes": {"pattern": "{$.x=1}"}})
        ),
        "targets[1].overrides.vpc-changes.pattern: 'VPC created' should match but does not",
    ),
    (
        "samples skipped without a reason",
        changed(skip_without_reason),
        "overrides.vpc-changes: samples: skip needs a reason",
    ),
    (
        "a reason without samples: skip",
        changed(
            lambda c: c["overrides"].update(
                {"vpc-changes": {"pattern": VPC_BROADER, "reason": "broader"}}
            )
        ),
        "overrides.vpc-changes: reason goes with samples: skip",
    ),
    (
        "samples skipped without a pattern",
        changed(
            lambda c: c["overrides"].update(
                {"vpc-changes": {"samples": "skip", "reason": "no reason"}}
            )
        ),
        "overrides.vpc-changes: samples: skip goes with a pattern override",
    ),
    (
        "pattern override of an event an exclusion changes",
        changed(
            lambda c: (
                c.update(exclusions={"assumed_role_console_signins": True}),
                c["overrides"].update(
                    {"console-signin-failures": {"pattern": '{$.eventName = "ConsoleLogin"}'}}
                ),
            )
        ),
        "overrides.console-signin-failures.pattern: exclusions.assumed_role_console_signins "
        "also changes the pattern",
    ),
    (
        "Chatbot role name over IAM's 64 characters",
        changed(
            lambda c: (
                c.update(name_prefix="acme-security-"),
                c["notifications"]["channels"].update(
                    {"chat": {"slack": {"workspace_id": "T1", "channel_id": "C1"}}}
                ),
                c["notifications"]["channels"].update(
                    {
                        "a-very-long-chat-channel-name-xx": {
                            "slack": {"workspace_id": "T1", "channel_id": "C2"}
                        }
                    }
                ),
                c["notifications"]["routes"].append(
                    {"severity": ["low"], "channels": ["a-very-long-chat-channel-name-xx"]}
                ),
            )
        ),
        "notifications.channels.a-very-long-chat-channel-name-xx: the AWS Chatbot role of target "
        "'primary'",
    ),
]


@pytest.mark.parametrize(
    ("case", "config", "message"), ROUTING_ERRORS, ids=[c[0] for c in ROUTING_ERRORS]
)
def test_bad_routing_is_one_line_naming_file_and_field(
    tmp_path: Path, case: str, config: dict[str, Any], message: str
) -> None:
    with pytest.raises(ConfigError) as raised:
        load(tmp_path, config)
    text = str(raised.value)
    assert len(text.splitlines()) == 1, text
    assert text.startswith(f"{tmp_path / 'trailwatch.yaml'}: "), text
    assert message in text, text


@pytest.mark.parametrize(
    ("case", "config", "message"),
    [ROUTING_ERRORS[i] for i in (0, 4, 17, 26)],
    ids=[ROUTING_ERRORS[i][0] for i in (0, 4, 17, 26)],
)
def test_synth_refuses_bad_routing_in_one_line_and_writes_nothing(
    tmp_path: Path, case: str, config: dict[str, Any], message: str
) -> None:
    result = run_synth(config, tmp_path)
    assert result.returncode == 2
    assert "Traceback" not in result.stderr
    (line,) = result.stderr.strip().splitlines()
    assert message in line
    assert not (tmp_path / "cdktf.out").exists()


def test_validate_prints_each_targets_routing_table(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    from trailwatch.cli import main

    monkeypatch.setenv("COLUMNS", "200")
    assert main(["validate", "--config", str(write(tmp_path, routed_config()))]) == 0
    out = capsys.readouterr().out
    assert "routing of primary" in out and "routing of eu (disabled: ec2-instance-changes)" in out
    rows = [
        [cell.strip() for cell in line.strip("│ ").split("│")]
        for line in out.splitlines()
        if line.startswith("│")
    ]
    assert ["cloudtrail-changes", "critical", "security-email, oncall, teams", "1"] in rows
    assert ["authorization-failures", "low", "chat", "1"] in rows
    assert ["root-account-usage", "critical", "legacy", "1"] in rows
    assert ["console-signin-failures", "medium", "security-email", "10"] in rows


def test_validate_json_lists_each_targets_routing(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    import json

    from trailwatch.cli import main

    assert main(["validate", "--json", "--config", str(write(tmp_path, routed_config()))]) == 0
    targets = {t["name"]: t for t in json.loads(capsys.readouterr().out)["targets"]}
    assert targets["eu"]["channels"] == ["security-email", "legacy"]
    assert targets["eu"]["disabled_events"] == ["ec2-instance-changes"]
    routing = {r["event"]: r for r in targets["primary"]["routing"]}
    assert routing["authorization-failures"] == {
        "event": "authorization-failures",
        "severity": "low",
        "channels": ["chat"],
        "threshold": 1.0,
        "pattern_override": None,
        "shadow": False,
    }
