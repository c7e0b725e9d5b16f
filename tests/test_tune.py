"""`trailwatch tune`: what exclusion rules remove, counted over the shared records.

Every expectation is computed here from the records with plain Python (the rule's fields read
directly, periods as 5-minute buckets of eventTime), never from the compiled patterns.
"""

from __future__ import annotations

import copy
import io
import json
import re
import time
from collections.abc import Callable, Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
import yaml

from tests.helpers import default_config, missing_tool
from trailwatch.cli import main
from trailwatch.replay.replayer import replay
from trailwatch.spec.model import load_deployment
from trailwatch.spec.overrides import ExclusionRule
from trailwatch.tooling.emulator import Emulator, moto_available
from trailwatch.tune import tune, without_rules

Record = dict[str, Any]
STRATUS = "arn:aws:sts::457448411975:assumed-role/stratus-red-team-"
NOBODY = "arn:aws:iam::000000000000:user/nobody"
PERIOD = 300


def shared_records(shared_samples_dir: Path) -> list[Record]:
    return [
        json.loads(line)
        for path in sorted(shared_samples_dir.glob("*.jsonl"))
        for line in path.read_text().splitlines()
    ]


def denied(record: Record) -> bool:
    """authorization-failures, read directly: errorCode *UnauthorizedOperation or AccessDenied*."""
    code = record.get("errorCode")
    return isinstance(code, str) and (
        code.endswith("UnauthorizedOperation") or code.startswith("AccessDenied")
    )


def by_stratus(record: Record) -> bool:
    arn = (record.get("userIdentity") or {}).get("arn")
    return isinstance(arn, str) and arn.startswith(STRATUS)


def password_data(record: Record) -> bool:
    return record.get("eventName") == "GetPasswordData"


def periods(records: list[Record]) -> set[int]:
    """The 5-minute buckets holding a record: a 1-of-1 Sum >= 1 alarm is in ALARM in each."""
    found = set()
    for record in records:
        text = str(record.get("eventTime", ""))[:19].replace(" ", "T")
        if text:
            moment = datetime.strptime(text, "%Y-%m-%dT%H:%M:%S").replace(tzinfo=UTC)
            found.add(int(moment.timestamp()) // PERIOD * PERIOD)
    return found


def rule(rule_id: str, match: dict[str, str], removes: Record, keeps: Record) -> dict[str, Any]:
    return {
        "id": rule_id,
        "events": ["authorization-failures"],
        "match": match,
        "reason": "expected in the lab",
        "removes": [{"note": "a record the rule describes", "record": removes}],
        "keeps": [{"note": "a denial of someone else", "record": keeps}],
    }


def outsider(records: list[Record]) -> Record:
    """A denial no rule of these tests describes: an IAM user's, without the lab's calls."""
    return next(
        r
        for r in records
        if denied(r)
        and not by_stratus(r)
        and not password_data(r)
        and r["userIdentity"]["type"] == "IAMUser"
    )


def write_config(
    tmp_path: Path, rules: list[dict[str, Any]], name: str = "trailwatch.yaml"
) -> Path:
    config = default_config()
    config["exclusions"]["rules"] = rules
    path = tmp_path / name
    path.write_text(yaml.safe_dump(config, sort_keys=False))
    return path


@pytest.fixture(scope="module")
def records(shared_samples_dir: Path) -> list[Record]:
    return shared_records(shared_samples_dir)


@pytest.fixture
def two_rules(tmp_path: Path, records: list[Record]) -> Path:
    """Two overlapping rules on authorization-failures: a role by ARN prefix, an event name."""
    stratus = next(r for r in records if denied(r) and by_stratus(r))
    return write_config(
        tmp_path,
        [
            rule("stratus-probes", {"principal_arn": STRATUS + "*"}, stratus, outsider(records)),
            rule("password-data", {"event_name": "GetPasswordData"}, stratus, outsider(records)),
        ],
    )


def matching(records: list[Record], *tests: Callable[[Record], bool]) -> list[Record]:
    return [r for r in records if all(test(r) for test in tests)]


def test_counts_drop_by_exactly_the_records_each_rule_describes(
    two_rules: Path, records: list[Record], shared_samples_dir: Path
) -> None:
    result = tune([shared_samples_dir], load_deployment(two_rules)).to_json()
    assert result["records"] == len(records) == 853

    base = matching(records, denied)
    kept = [r for r in base if not by_stratus(r) and not password_data(r)]
    # Records without userIdentity.arn stay counted: the rule does not describe them.
    assert any("arn" not in r.get("userIdentity", {}) for r in kept)
    without_stratus = [r for r in base if not password_data(r)]
    without_password = [r for r in base if not by_stratus(r)]
    assert result["events"]["authorization-failures"] == {
        "current": {"matches": len(kept), "alarm_periods": len(periods(kept))},
        "candidate": {"matches": len(base), "alarm_periods": len(periods(base))},
        "removed_by": {
            "stratus-probes": {
                "matches": len(matching(base, by_stratus)),
                "alarm_periods": len(periods(without_stratus) - periods(kept)),
            },
            "password-data": {
                "matches": len(matching(base, password_data)),
                "alarm_periods": len(periods(without_password) - periods(kept)),
            },
        },
    }
    # The figures themselves, so that a predicate above going wrong is seen too.
    assert (len(base), len(kept)) == (87, 56)
    # 31 GetPasswordData denials, but the one outside the lab shares its 5 minutes with another
    # denial: the rule keeps no period quiet on its own.
    assert result["events"]["authorization-failures"]["removed_by"]["password-data"] == {
        "matches": 31,
        "alarm_periods": 0,
    }


def test_events_without_rules_count_the_same_under_both_configs(
    two_rules: Path, shared_samples_dir: Path
) -> None:
    from trailwatch.replay import replay

    deployment = load_deployment(two_rules)
    result = tune([shared_samples_dir], deployment).to_json()["events"]
    replayed = replay([shared_samples_dir], without_rules(deployment)).to_json()
    for event_id, counts in replayed["matches"].items():
        if event_id == "authorization-failures":
            continue
        expected = {"matches": counts, "alarm_periods": len(replayed["alarms"][event_id])}
        assert result[event_id] == {"current": expected, "candidate": expected, "removed_by": {}}


def test_a_candidate_file_adds_its_rules_and_an_idle_rule_is_a_finding(
    tmp_path: Path,
    records: list[Record],
    shared_samples_dir: Path,
    capsys: pytest.CaptureFixture[str],
) -> None:
    stratus = next(r for r in records if denied(r) and by_stratus(r))
    # The idle rule's own sample: a lab record with the rule's principal in place of the lab's.
    nobody = copy.deepcopy(stratus)
    nobody["userIdentity"]["arn"] = NOBODY
    current = write_config(tmp_path, [])
    candidate = write_config(
        tmp_path,
        [
            rule("stratus-probes", {"principal_arn": STRATUS + "*"}, stratus, outsider(records)),
            rule("nobody", {"principal_arn": NOBODY}, nobody, outsider(records)),
        ],
        "candidate.yaml",
    )
    # The candidate also turns an event off: it counts nothing there.
    changed = yaml.safe_load(candidate.read_text())
    changed["disabled_events"] = ["organizations-changes"]
    candidate.write_text(yaml.safe_dump(changed, sort_keys=False))
    args = ["tune", "--config", str(current), "--candidate", str(candidate), "--noisy", "100"]
    assert main([*args, "--json", str(shared_samples_dir)]) == 1
    document = json.loads(capsys.readouterr().out)
    event = document["events"]["authorization-failures"]
    base = matching(records, denied)
    assert event["current"]["matches"] == len(base)
    assert event["candidate"]["matches"] == len(base) - len(matching(base, by_stratus)) == 57
    assert event["removed_by"]["nobody"] == {"matches": 0, "alarm_periods": 0}
    off = document["events"]["organizations-changes"]
    assert off["current"] == {"matches": 6, "alarm_periods": 4}
    assert off["candidate"] == {"matches": 0, "alarm_periods": 0}

    assert main([*args, str(shared_samples_dir)]) == 1
    out = capsys.readouterr().out
    assert "rule nobody (candidate config) on authorization-failures: removed 0 match(es)" in out
    assert "it removed no record: check its match values" in out
    assert re.search(r"│ organizations-changes +│ +6 │ +4 │ +off │ +off │", out)


def test_a_target_is_counted_with_its_own_overrides(
    tmp_path: Path,
    records: list[Record],
    shared_samples_dir: Path,
    capsys: pytest.CaptureFixture[str],
) -> None:
    config = default_config()
    config["targets"][1]["overrides"] = {"authorization-failures": {"threshold": 5}}
    path = tmp_path / "trailwatch.yaml"
    path.write_text(yaml.safe_dump(config, sort_keys=False))
    name = config["targets"][1]["name"]
    args = ["tune", "--json", "--noisy", "100", "--config", str(path), str(shared_samples_dir)]
    assert main([*args, "--target", name]) == 0
    event = json.loads(capsys.readouterr().out)["events"]["authorization-failures"]
    buckets: dict[int, int] = {}
    for record in matching(records, denied):
        for start in periods([record]):
            buckets[start] = buckets.get(start, 0) + 1
    busy = sum(1 for count in buckets.values() if count >= 5)
    assert event["current"] == event["candidate"] == {"matches": 87, "alarm_periods": busy}
    assert busy == 4
    assert main([*args, "--target", name, "--target", "primary"]) == 2
    assert capsys.readouterr().err == (
        "trailwatch: --target: tune replays records for one target's alarms at a time\n"
    )
    assert main([*args, "--target", "nowhere"]) == 2
    assert "--target: unknown target(s) nowhere" in capsys.readouterr().err


def test_examples_are_the_first_five_records_a_rule_removed(
    two_rules: Path, records: list[Record], shared_samples_dir: Path
) -> None:
    result = tune([shared_samples_dir], load_deployment(two_rules))
    (event,) = [e for e in result.events if e.event_id == "authorization-failures"]
    stratus = next(r for r in event.removed_by if r.rule_id == "stratus-probes")
    expected = matching(records, denied, by_stratus)[:5]
    assert [(e.time, e.principal, e.event_name, e.source_ip) for e in stratus.examples] == [
        (r["eventTime"], r["userIdentity"]["arn"], r["eventName"], r["sourceIPAddress"])
        for r in expected
    ]


def test_suggestions_are_rules_that_parse_and_remove_what_they_say(
    tmp_path: Path, records: list[Record], shared_samples_dir: Path
) -> None:
    current = load_deployment(write_config(tmp_path, []))
    result = tune([shared_samples_dir], current, noisy=10)
    # Only alarms in ALARM more than 10 periods get suggestions.
    noisy = {e.event_id for e in result.events if len(e.current.alarm_periods) > 10}
    assert (
        noisy
        == {s.event_id for s in result.suggestions}
        == {
            "authorization-failures",
            "ec2-instance-changes",
        }
    )
    top = next(s for s in result.suggestions if s.event_id == "authorization-failures")
    (pasted,) = yaml.safe_load(top.snippet())
    # Pasted as it is, the rule is valid: it carries a record behind the alarm as `removes:`.
    parsed = ExclusionRule.model_validate(pasted)
    assert parsed.match == {"principal_arn": top.value}
    assert parsed.removes[0].record["userIdentity"]["arn"].startswith(top.value[:-1])
    # The assumed role, any session: the stratus role behind 30 denials.
    assert top.value == STRATUS + "ec2-get-password-data-role/*" and top.count == 30
    # The snippet's text pasted as it is under exclusions.rules, its own removes: and all.
    config = default_config()
    config["exclusions"].pop("rules", None)
    text = yaml.safe_dump(config, sort_keys=False)
    assert "\nexclusions:\n" in text
    snippet = "".join(f"    {line}\n" for line in top.snippet().splitlines())
    text = text.replace("\nexclusions:\n", "\nexclusions:\n  rules:\n" + snippet, 1)
    (tmp_path / "candidate.yaml").write_text(text)
    candidate = load_deployment(tmp_path / "candidate.yaml")
    (rule,) = candidate.config.exclusions.rules
    assert rule.id == top.rule_id and rule.removes[0].record == top.evidence
    again = tune([shared_samples_dir], current, candidate, noisy=10)
    (event,) = [e for e in again.events if e.event_id == "authorization-failures"]
    assert event.candidate.matches == event.current.matches - top.count
    assert tune([shared_samples_dir], current, noisy=100).suggestions == ()


def test_the_readme_example_says_what_the_readme_shows(
    repo_root: Path, shared_samples_dir: Path
) -> None:
    deployment = load_deployment(repo_root / "examples" / "tune.yaml")
    document = tune([shared_samples_dir], deployment).to_json()
    assert document["records"] == 853
    assert document["events"]["authorization-failures"] == {
        "current": {"matches": 57, "alarm_periods": 25},
        "candidate": {"matches": 87, "alarm_periods": 25},
        "removed_by": {"red-team-lab": {"matches": 30, "alarm_periods": 0}},
    }
    assert document["events"]["ec2-instance-changes"] == {
        "current": {"matches": 18, "alarm_periods": 14},
        "candidate": {"matches": 21, "alarm_periods": 15},
        "removed_by": {"autoscaling-fleet": {"matches": 3, "alarm_periods": 1}},
    }
    readme = (repo_root / "README.md").read_text()
    for line in (
        '{"current":{"matches":57,"alarm_periods":25},"candidate":{"matches":87,"alarm_periods":25},'
        '"removed_by":{"red-team-lab":{"matches":30,"alarm_periods":0}}}',
        "rule autoscaling-fleet (current config) on ec2-instance-changes: removed 3 match(es) and "
        "1 alarm period(s)",
    ):
        assert line in readme


def test_input_errors_are_one_line_and_exit_2(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    config = str(write_config(tmp_path, []))
    assert main(["tune", "--config", config]) == 2
    assert capsys.readouterr().err == (
        "trailwatch: tune: give the CloudTrail files or folders to replay (or --from-metrics)\n"
    )
    missing = tmp_path / "gone.yaml"
    assert main(["tune", "--config", config, "--candidate", str(missing), str(tmp_path)]) == 2
    err = capsys.readouterr().err
    assert err.startswith(f"trailwatch: {missing}: config file not found") and err.count("\n") == 1
    with pytest.raises(SystemExit) as exit_:
        main(["tune", "--config", config, "--from-metrics", "--since", "yesterday"])
    assert exit_.value.code == 2
    assert "'yesterday' is not a time" in capsys.readouterr().err


def test_each_mode_refuses_the_other_modes_options(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    config = str(write_config(tmp_path, []))
    metrics = ["tune", "--config", config, "--from-metrics"]
    assert main([*metrics, "--noisy", "3", "--candidate", config, str(tmp_path)]) == 2
    assert capsys.readouterr().err == (
        "trailwatch: tune --from-metrics: PATH, --candidate, --noisy only apply when replaying "
        "records; leave them out\n"
    )
    assert main([*metrics, str(tmp_path)]) == 2
    assert "tune --from-metrics: PATH only apply" in capsys.readouterr().err
    records = ["tune", "--config", config, str(tmp_path)]
    assert main([*records, "--since", "3h", "--event", "vpc-changes"]) == 2
    assert capsys.readouterr().err == (
        "trailwatch: tune: --since, --event only apply with --from-metrics\n"
    )


def test_an_expired_rule_is_a_warning_of_tune(
    tmp_path: Path,
    records: list[Record],
    shared_samples_dir: Path,
    capsys: pytest.CaptureFixture[str],
) -> None:
    stale = rule(
        "lab",
        {"principal_arn": STRATUS + "*"},
        matching(records, denied, by_stratus)[0],
        outsider(records),
    )
    stale["expires"] = "2024-01-31"
    path = write_config(tmp_path, [stale])
    assert (
        main(["tune", "--json", "--noisy", "1000", "--config", str(path), str(shared_samples_dir)])
        == 0
    )
    err = capsys.readouterr().err
    assert err == (
        f"warning: {path}: exclusions.rules[0] (lab): expired on 2024-01-31 (expires); synth "
        "refuses an expired exclusion: look at the alarm's noise again, then renew expires or "
        "remove the rule\n"
    )


def test_the_progress_display_changes_nothing_but_stderr(
    two_rules: Path, shared_samples_dir: Path
) -> None:
    from rich.console import Console

    from trailwatch.cli.tune import _with_progress

    deployment = load_deployment(two_rules)
    screen = io.StringIO()
    console = Console(file=screen, force_terminal=True, width=100)
    shown = _with_progress([shared_samples_dir], deployment, None, 10, console)
    assert shown.to_json() == tune([shared_samples_dir], deployment).to_json()
    assert "tuning over 5 files" in screen.getvalue()


def test_no_readable_record_is_a_finding(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    empty = tmp_path / "empty"
    empty.mkdir()
    assert main(["tune", "--json", "--config", str(write_config(tmp_path, [])), str(empty)]) == 1
    out, err = capsys.readouterr()
    assert json.loads(out)["records"] == 0
    assert err == "trailwatch: no CloudTrail record could be read\n"


# --- --from-metrics, against the emulator ---------------------------------------------------


@pytest.fixture(scope="module")
def emulator() -> Iterator[Emulator]:
    if not moto_available():
        missing_tool("moto[server] is not installed (make install)")
    with Emulator() as started:
        yield started


def test_from_metrics_reads_the_datapoints_and_simulates_the_alarm(
    emulator: Emulator, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    import boto3  # type: ignore[import-untyped]

    config = write_config(tmp_path, [])
    deployment = load_deployment(config)
    alarm = deployment.alarm("authorization-failures")
    region = deployment.targets[0].region
    cloudwatch = boto3.client(
        "cloudwatch",
        region_name=region,
        endpoint_url=emulator.endpoint_url,
        aws_access_key_id="test",
        aws_secret_access_key="test",
    )
    now = int(time.time())
    start = now - now % PERIOD - 12 * PERIOD
    # Two matches in the first period, one three periods later: two periods in ALARM.
    moments = [start + 10, start + 20, start + 3 * PERIOD + 5]
    cloudwatch.put_metric_data(
        Namespace=deployment.config.namespace,
        MetricData=[
            {
                "MetricName": alarm.metric_name,
                "Timestamp": datetime.fromtimestamp(moment, UTC),
                "Value": 1.0,
            }
            for moment in moments
        ],
    )
    args = ["tune", "--from-metrics", "--config", str(config), "--endpoint-url"]
    args += [emulator.endpoint_url, "--target", deployment.targets[0].name]
    args += ["--event", "authorization-failures", "--event", "root-account-usage", "--since", "2h"]
    assert main([*args, "--json"]) == 1
    document = json.loads(capsys.readouterr().out)
    assert set(document) == {"namespace", "since", "until", "metrics"}
    denials, root = document["metrics"]
    assert denials == {
        "target": deployment.targets[0].name,
        "event": "authorization-failures",
        "metric_name": alarm.metric_name,
        "shadow": False,
        "datapoints": 2,
        "matches": 3,
        "alarm_periods": [
            {"start": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(t)), "sum": n}
            for t, n in ((start, 2), (start + 3 * PERIOD, 1))
        ],
    }
    assert root["datapoints"] == root["matches"] == 0 and root["alarm_periods"] == []
    # Nothing in the window: nothing would have alarmed.
    assert main([*args[:-2], "--since", "30d", "--until", "20d"]) == 0
    assert "authorization-failures" in capsys.readouterr().out


def test_the_span_is_read_as_times_when_records_mix_formats(
    tmp_path: Path, records: list[Record]
) -> None:
    # A space sorts before a T: read as text, 11:00 (space) would be the first record and
    # 10:00 (T) the last. As times the records span 09:00 to 11:00, and with missing data
    # breaching every period in it is in ALARM: 25 five-minute periods.
    config = default_config()
    config["overrides"] = {"authorization-failures": {"treat_missing_data": "breaching"}}
    path = tmp_path / "trailwatch.yaml"
    path.write_text(yaml.safe_dump(config, sort_keys=False))
    denial = outsider(records)
    allowed = {k: v for k, v in denial.items() if k not in ("errorCode", "errorMessage")}
    lines = [
        json.dumps({**allowed, "eventTime": "2024-12-16T09:00:00Z"}),
        json.dumps({**denial, "eventTime": "2024-12-16T10:00:00Z"}),
        json.dumps({**allowed, "eventTime": "2024-12-16 11:00:00.000000000"}),
    ]
    (tmp_path / "mixed.jsonl").write_text("\n".join(lines) + "\n")
    deployment = load_deployment(path)
    result = tune([tmp_path / "mixed.jsonl"], deployment).to_json()
    event = result["events"]["authorization-failures"]
    assert event["current"] == {"matches": 1, "alarm_periods": 25}
    # replay reads the span the same way, in one process or several.
    for jobs in (1, 2):
        replayed = replay([tmp_path / "mixed.jsonl"], deployment, jobs=jobs)
        (outcome,) = [o for o in replayed.events if o.event_id == "authorization-failures"]
        assert (outcome.matches, len(outcome.alarms)) == (1, 25), jobs


def test_a_record_a_shorthand_drops_is_not_the_rules(
    tmp_path: Path, records: list[Record], capsys: pytest.CaptureFixture[str]
) -> None:
    # A Config service-linked role's denial: service_linked_role_denials drops it already, so
    # a rule that describes it too removes nothing more.
    denial = outsider(records)
    arn = "arn:aws:sts::111122223333:assumed-role/AWSServiceRoleForConfig/AWSConfig"
    issuer = {"type": "Role", "userName": "AWSServiceRoleForConfig"}
    identity = {"type": "AssumedRole", "arn": arn, "sessionContext": {"sessionIssuer": issuer}}
    service = {**denial, "userIdentity": identity}
    config = default_config()
    config["exclusions"]["service_linked_role_denials"] = ["AWSServiceRoleForConfig"]
    config["exclusions"]["rules"] = [rule("config-role", {"principal_arn": arn}, service, denial)]
    path = tmp_path / "trailwatch.yaml"
    path.write_text(yaml.safe_dump(config, sort_keys=False))
    (tmp_path / "two.jsonl").write_text(json.dumps(service) + "\n" + json.dumps(denial) + "\n")
    result = tune([tmp_path / "two.jsonl"], load_deployment(path)).to_json()
    event = result["events"]["authorization-failures"]
    assert event["current"]["matches"] == event["candidate"]["matches"] == 1
    assert event["removed_by"]["config-role"]["matches"] == 0
