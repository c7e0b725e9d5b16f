"""Bad config and bad event files: one clear message naming the file and the field."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
import yaml

from tests.helpers import REPO, default_config, run_synth
from trailwatch.errors import CatalogError, ConfigError
from trailwatch.spec.catalog import load_catalog
from trailwatch.spec.config import Environment
from trailwatch.spec.model import load_deployment

EVENT = yaml.safe_load((REPO / "events" / "vpc-changes.yaml").read_text())


def load(tmp_path: Path, config: dict[str, Any] | str) -> None:
    path = tmp_path / "trailwatch.yaml"
    text = config if isinstance(config, str) else yaml.safe_dump(config)
    path.write_bytes(text.encode("utf-8", "surrogateescape"))
    load_deployment(path, Environment(config_path=path, outdir=tmp_path / "out"))


def with_changes(**changes: Any) -> dict[str, Any]:
    config = default_config()
    config.update(changes)
    return config


def custom_event(**changes: Any) -> dict[str, Any]:
    # vpc-changes' samples prove its pattern, which the custom event keeps unless changed.
    event = {k: v for k, v in EVENT.items() if k != "profiles"}
    event.update(id="custom-event", metric_name="CustomEventCount", alarm_name="CustomEvent")
    event.update(changes)
    return event


def load_with_event(tmp_path: Path, event: dict[str, Any] | str, name: str = "custom.yaml") -> None:
    extra = tmp_path / "my-events"
    extra.mkdir(exist_ok=True)
    text = event if isinstance(event, str) else yaml.safe_dump(event)
    (extra / name).write_bytes(text.encode("utf-8", "surrogateescape"))
    load(tmp_path, with_changes(event_directories=["my-events"]))


CONFIG_ERRORS = [
    ("missing file", None, "config file not found"),
    ("not yaml", "targets: [unclosed", "not valid YAML"),
    ("not a mapping", "- just\n- a list\n", "must be a YAML mapping"),
    ("not utf-8", "targets: [\udcff]", "not UTF-8 text"),
    ("unknown field", with_changes(namspace="X"), "namspace: unknown field"),
    (
        "a word where a list goes",
        with_changes(delivery="events"),
        "delivery: must be a list, such as [a, b] (got 'events')",
    ),
    (
        "bad region",
        with_changes(targets=[{"name": "a", "region": "europe"}]),
        "targets[0].region: must be",
    ),
    (
        "bad account id",
        with_changes(targets=[{"name": "a", "region": "us-east-1", "account_id": "12345"}]),
        "targets[0].account_id",
    ),
    (
        "duplicate target",
        with_changes(
            targets=[
                {
                    "name": "a",
                    "region": "us-east-1",
                    "trail": {"mode": "existing", "log_group_name": "x"},
                },
                {
                    "name": "a",
                    "region": "us-east-2",
                    "trail": {"mode": "existing", "log_group_name": "y"},
                },
            ]
        ),
        "target name 'a' is used twice",
    ),
    (
        "two multi-region trails",
        with_changes(
            targets=[{"name": "a", "region": "us-east-1"}, {"name": "b", "region": "us-east-2"}]
        ),
        "would both create a multi-region trail",
    ),
    (
        "short retention",
        with_changes(
            targets=[
                {
                    "name": "a",
                    "region": "us-east-1",
                    "trail": {"mode": "create", "retention_days": 90},
                }
            ]
        ),
        "targets[0].trail: retention_days 90 is below a year",
    ),
    (
        "retention not allowed",
        with_changes(
            targets=[
                {
                    "name": "a",
                    "region": "us-east-1",
                    "trail": {"mode": "create", "retention_days": 366},
                }
            ]
        ),
        "targets[0].trail.retention_days: 366 is not a CloudWatch Logs retention",
    ),
    (
        "unknown trail mode",
        with_changes(targets=[{"name": "a", "region": "us-east-1", "trail": {"mode": "import"}}]),
        "targets[0].trail",
    ),
    (
        "existing without log group",
        with_changes(targets=[{"name": "a", "region": "us-east-1", "trail": {"mode": "existing"}}]),
        "targets[0].trail.log_group_name: Field required",
    ),
    ("no subscriber", with_changes(notifications={}), "alarms need a subscriber"),
    (
        "bad email",
        with_changes(notifications={"emails": ["not-an-address"]}),
        "notifications.emails[0]",
    ),
    (
        "bad sqs endpoint",
        with_changes(
            notifications={"subscriptions": [{"protocol": "sqs", "endpoint": "https://queue"}]}
        ),
        "is not a valid sqs endpoint",
    ),
    (
        "unknown disabled event",
        with_changes(disabled_events=["root-usage"]),
        "disabled_events: unknown event id(s) root-usage",
    ),
    (
        "unknown override",
        with_changes(overrides={"vpc": {"threshold": 2}}),
        "overrides: unknown event id(s) vpc",
    ),
    (
        "override breaks datapoints",
        with_changes(overrides={"vpc-changes": {"datapoints_to_alarm": 3}}),
        "datapoints_to_alarm (3) cannot exceed evaluation_periods",
    ),
    (
        "bad period",
        with_changes(overrides={"vpc-changes": {"period": 90}}),
        "overrides.vpc-changes.period",
    ),
    (
        "unknown profile",
        with_changes(pattern_profile="cis-v9"),
        "pattern_profile: 'cis-v9' is not a profile",
    ),
    (
        "s3 backend without bucket",
        with_changes(backend={"type": "s3", "region": "us-east-1"}),
        "backend.bucket: Field required",
    ),
    (
        "all events disabled",
        with_changes(disabled_events=sorted(p.stem for p in (REPO / "events").glob("*.yaml"))),
        "every event is disabled",
    ),
    (
        "bucket name too long",
        with_changes(name_prefix="a-very-long-prefix-for-every-name-"),
        "S3 allows 63",
    ),
]


@pytest.mark.parametrize(
    ("case", "config", "message"), CONFIG_ERRORS, ids=[c[0] for c in CONFIG_ERRORS]
)
def test_bad_config_names_file_and_field(
    tmp_path: Path, case: str, config: dict[str, Any] | str | None, message: str
) -> None:
    if config is None:
        path = tmp_path / "absent.yaml"
        with pytest.raises(ConfigError) as raised:
            load_deployment(path, Environment(config_path=path, outdir=tmp_path))
    else:
        with pytest.raises(ConfigError) as raised:
            load(tmp_path, config)
    text = str(raised.value)
    assert message in text
    expected = tmp_path / ("absent.yaml" if config is None else "trailwatch.yaml")
    assert text.startswith(f"{expected}: ")


EVENT_ERRORS = [
    ("event not yaml", "id: [", "not valid YAML"),
    (
        "event missing pattern",
        custom_event(pattern=None),
        "pattern: Input should be a valid string",
    ),
    ("event unknown field", custom_event(treshold=1), "treshold: unknown field"),
    ("event bad severity", custom_event(severity="urgent"), "severity: Input should be"),
    (
        "event pattern too long",
        custom_event(pattern="{$.a = " + "x" * 1030 + "}"),
        "pattern: String should have at most 1024 characters",
    ),
    (
        "event pattern syntax",
        custom_event(pattern="{($.eventName = CreateVpc) || }"),
        "pattern: column",
    ),
    ("event duplicate id", custom_event(id="vpc-changes"), "id: 'vpc-changes' is already defined"),
    (
        "event duplicate alarm name",
        custom_event(alarm_name="CloudTrailVpcChanges"),
        "alarm_name: 'CloudTrailVpcChanges' is already used",
    ),
    ("event not utf-8", "id: \udcff", "not UTF-8 text"),
    (
        "event duplicate metric",
        custom_event(metric_name="VpcEventCount"),
        "metric_name: 'VpcEventCount' is already used",
    ),
    (
        "event negative threshold",
        custom_event(alarm={**EVENT["alarm"], "threshold": -1}),
        "alarm.threshold",
    ),
]


@pytest.mark.parametrize(
    ("case", "event", "message"), EVENT_ERRORS, ids=[c[0] for c in EVENT_ERRORS]
)
def test_bad_event_file_names_file_and_field(
    tmp_path: Path, case: str, event: dict[str, Any] | str, message: str
) -> None:
    with pytest.raises(CatalogError) as raised:
        load_with_event(tmp_path, event)
    assert "custom.yaml" in str(raised.value)
    assert message in str(raised.value)


def test_missing_event_directory_is_named(tmp_path: Path) -> None:
    with pytest.raises(CatalogError, match="nowhere: event directory does not exist"):
        load_catalog([tmp_path / "nowhere"])


def test_user_event_is_added_beside_the_catalog(tmp_path: Path) -> None:
    extra = tmp_path / "my-events"
    extra.mkdir()
    (extra / "custom.yaml").write_text(yaml.safe_dump(custom_event()))
    config_path = tmp_path / "trailwatch.yaml"
    config_path.write_text(yaml.safe_dump(with_changes(event_directories=["my-events"])))
    deployment = load_deployment(config_path, Environment(config_path=config_path, outdir=tmp_path))
    assert len(deployment.alarms) == 18
    assert deployment.alarm("custom-event").metric_name == "CustomEventCount"


def test_main_exits_2_with_one_line_and_writes_nothing(tmp_path: Path) -> None:
    result = run_synth(
        with_changes(targets=[{"name": "Bad Name", "region": "us-east-1"}]), tmp_path
    )
    assert result.returncode == 2
    assert "Traceback" not in result.stderr
    assert "targets[0].name: must be" in result.stderr
    assert not (tmp_path / "cdktf.out").exists()


def test_cli_validate_reports_bad_config_without_traceback(tmp_path: Path) -> None:
    path = tmp_path / "trailwatch.yaml"
    path.write_text(yaml.safe_dump(with_changes(overrides={"vpc-changes": {"threshold": "high"}})))
    result = subprocess.run(
        [sys.executable, "-m", "trailwatch.cli", "validate", "--config", str(path)],
        capture_output=True,
        text=True,
        cwd=REPO,
    )
    assert result.returncode == 2
    assert "Traceback" not in result.stderr
    assert "overrides.vpc-changes.threshold: Input should be a valid number" in result.stderr


@pytest.mark.parametrize("command", ["state", "drill"])
def test_unknown_target_is_named_with_the_known_ones(
    command: str, capsys: pytest.CaptureFixture[str]
) -> None:
    from trailwatch.cli import main

    assert main([command, "--target", "nope", "--config", str(REPO / "trailwatch.yaml")]) == 2
    assert "--target: unknown target(s) nope; known: primary, eu" in capsys.readouterr().err


def test_targets_with_different_profiles_may_each_create_a_multi_region_trail(
    tmp_path: Path,
) -> None:
    load(
        tmp_path,
        with_changes(
            targets=[
                {"name": "prod", "region": "us-east-1", "profile": "prod"},
                {"name": "dev", "region": "us-east-1", "profile": "dev"},
            ]
        ),
    )
