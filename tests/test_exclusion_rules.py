"""Exclusion rules: compiled into the patterns exactly, proven on real records, refused clearly.

The expectation of what a rule drops is computed here in plain Python over each record's fields
(`describes`, with fnmatch for the `*`), never from the compiled pattern.
"""

from __future__ import annotations

import copy
import datetime
import fnmatch
import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
import yaml

from tests.helpers import REPO, default_config, run_synth
from trailwatch.errors import ConfigError
from trailwatch.patterns import compile_pattern
from trailwatch.replay.replayer import replay
from trailwatch.spec.config import Environment
from trailwatch.spec.exclusions import MATCH_FIELDS, decompose, rule_pattern
from trailwatch.spec.model import Deployment, load_deployment

Record = dict[str, Any]
SELECTORS = {
    "principal_arn": ("userIdentity", "arn"),
    "principal_type": ("userIdentity", "type"),
    "account_id": ("recipientAccountId",),
    "event_source": ("eventSource",),
    "event_name": ("eventName",),
    "error_code": ("errorCode",),
    "source_ip": ("sourceIPAddress",),
    "user_agent": ("userAgent",),
    "region": ("awsRegion",),
}


def field(record: Record, path: tuple[str, ...]) -> Any:
    value: Any = record
    for name in path:
        if not isinstance(value, dict) or name not in value:
            return None
        value = value[name]
    return value


def describes(match: dict[str, str], record: Record) -> bool:
    """The rule's meaning: every key's field is text that the value matches, `*` any text."""
    for key, value in match.items():
        text = field(record, SELECTORS[key])
        # fnmatch's own specials other than `*` are literal in a rule's value.
        glob = value.replace("[", "[[]").replace("?", "[?]")
        if not isinstance(text, str) or not fnmatch.fnmatchcase(text, glob):
            return False
    return True


def shared_records(shared_samples_dir: Path) -> list[Record]:
    return [
        json.loads(line)
        for path in sorted(shared_samples_dir.glob("*.jsonl"))
        for line in path.read_text().splitlines()
    ]


def catalog_records(deployment: Deployment) -> list[Record]:
    return [
        sample.record
        for event in deployment.catalog.values()
        for samples in (event.samples,)
        for sample in (*samples.match, *samples.no_match)
    ]


def first(records: list[Record], predicate: Callable[[Record], bool]) -> Record:
    return next(r for r in records if predicate(r))


def deployment_with(
    tmp_path: Path, rules: list[dict[str, Any]], today: datetime.date | None = None, **changes: Any
) -> Deployment:
    config = default_config()
    config["exclusions"] = {"rules": rules}
    config.update(changes)
    tmp_path.mkdir(parents=True, exist_ok=True)
    path = tmp_path / "trailwatch.yaml"
    path.write_text(yaml.safe_dump(config, sort_keys=False))
    env = Environment(config_path=path, outdir=tmp_path / "out")
    if today is not None:
        env = Environment(config_path=path, outdir=tmp_path / "out", today=today)
    return load_deployment(path, env)


def stratus_denial(r: Record) -> bool:
    return "stratus-red-team-ec2-get-password-data-role" in str(field(r, ("userIdentity", "arn")))


def rules_over(records: list[Record]) -> list[dict[str, Any]]:
    """Rules on five events, each value kind (exact, end wildcards, inner wildcards with
    characters a regex must escape) and every match key, with real records as their samples."""

    def sample(note: str, predicate: Callable[[Record], bool]) -> dict[str, Any]:
        return {"note": note, "record": first(records, predicate)}

    terraform_agent = (
        "aws-sdk-go/*(go1.13.7; darwin; amd64)*Terraform/0.12.24 (+https://www.terraform.io)"
    )
    return [
        {
            "id": "stratus-ec2-probes",
            "events": ["authorization-failures"],
            "match": {
                "principal_arn": "arn:aws:sts::*:assumed-role/stratus-red-team-*-role/*",
                "event_source": "ec2.amazonaws.com",
            },
            "reason": "the attack simulator's roles probe EC2 on purpose",
            "removes": [sample("a stratus role denied by EC2", stratus_denial)],
        },
        {
            "id": "developer-denials",
            "events": ["authorization-failures"],
            "match": {"principal_arn": "*:user/developer", "error_code": "AccessDenied"},
            "reason": "the developer user's RDS probes",
            "removes": [
                sample(
                    "developer denied",
                    lambda r: str(field(r, ("userIdentity", "arn"))).endswith(":user/developer"),
                )
            ],
            # AccessDenied for a caller CloudTrail names no ARN for: the rule does not hold.
            "keeps": [
                sample(
                    "an AccessDenied without userIdentity.arn",
                    lambda r: (
                        r.get("errorCode") == "AccessDenied"
                        and field(r, ("userIdentity", "arn")) is None
                    ),
                )
            ],
        },
        {
            "id": "terraform-security-groups",
            "events": ["security-group-changes", "nacl-changes"],
            "match": {"user_agent": terraform_agent},
            "reason": "Terraform runs own the security groups",
            "removes": [
                sample("a Terraform run", lambda r: "Terraform/0.12.24" in str(r.get("userAgent")))
            ],
        },
        {
            "id": "console-us-west-2",
            "events": ["iam-policy-changes", "cloudtrail-changes", "aws-config-changes"],
            "match": {
                "user_agent": "console.amazonaws.com",
                "region": "us-west-2",
                "principal_type": "AssumedRole",
            },
            "reason": "the platform team's console sessions in the lab region",
            "removes": [
                sample(
                    "a console session in us-west-2",
                    lambda r: (
                        r.get("userAgent") == "console.amazonaws.com"
                        and r.get("awsRegion") == "us-west-2"
                        and r.get("eventSource") == "iam.amazonaws.com"
                    ),
                )
            ],
        },
        {
            "id": "cloudshell-stops",
            "events": ["ec2-instance-changes"],
            "match": {
                "event_name": "Stop*",
                "user_agent": "aws-cli/*exec-env/CloudShell*",
                "account_id": "7777*",
                "source_ip": "*.*.*.*",
            },
            "reason": "stopping instances from CloudShell is the on-call's runbook",
            "removes": [
                sample("a CloudShell stop", lambda r: "CloudShell" in str(r.get("userAgent")))
            ],
        },
    ]


def records_and_rules(
    tmp_path: Path, shared_samples_dir: Path
) -> tuple[list[Record], list[dict[str, Any]], Deployment, Deployment]:
    plain = deployment_with(tmp_path / "plain", [])
    records = shared_records(shared_samples_dir) + catalog_records(plain)
    rules = rules_over(records)
    return records, rules, plain, deployment_with(tmp_path / "ruled", rules)


def test_rules_drop_exactly_the_records_they_describe(
    tmp_path: Path, shared_samples_dir: Path
) -> None:
    records, rules, plain, ruled = records_and_rules(tmp_path, shared_samples_dir)
    assert len(records) == 853 + len(catalog_records(plain))
    for alarm in ruled.alarms:
        on_event = [r for r in rules if alarm.id in r["events"]]
        assert [r.id for r in alarm.rules] == [r["id"] for r in on_event]
        base = compile_pattern(plain.alarm(alarm.id).pattern)
        deployed = compile_pattern(alarm.pattern)
        for record in records:
            expected = base.matches(record) and not any(
                describes(r["match"], record) for r in on_event
            )
            assert deployed.matches(record) == expected, (alarm.id, record.get("eventID"))
    # Each rule drops something real, so the comparison above could have failed.
    for rule in rules:
        bases = [compile_pattern(plain.alarm(e).pattern) for e in rule["events"]]
        dropped = [
            r for r in records if describes(rule["match"], r) and any(b.matches(r) for b in bases)
        ]
        assert dropped, rule["id"]


def test_replay_counts_drop_by_the_described_records_only(
    tmp_path: Path, shared_samples_dir: Path
) -> None:
    records, rules, plain, ruled = records_and_rules(tmp_path, shared_samples_dir)
    catalog_file = tmp_path / "catalog-samples.jsonl"
    catalog_file.write_text("".join(json.dumps(r) + "\n" for r in catalog_records(plain)))
    paths = [*sorted(shared_samples_dir.glob("*.jsonl")), catalog_file]
    before = {e.event_id: e.matches for e in replay(paths, plain).events}
    after = replay(paths, ruled)
    assert after.records == len(records)
    drops = {}
    for outcome in after.events:
        base = compile_pattern(plain.alarm(outcome.event_id).pattern)
        on_event = [r for r in rules if outcome.event_id in r["events"]]
        described = sum(
            1
            for record in records
            if base.matches(record) and any(describes(r["match"], record) for r in on_event)
        )
        assert before[outcome.event_id] - outcome.matches == described, outcome.event_id
        drops[outcome.event_id] = described
    # What the rules drop from the 853 shared records and the 88 catalog samples.
    assert {e: n for e, n in drops.items() if n} == {
        "authorization-failures": 55,
        "aws-config-changes": 4,
        "cloudtrail-changes": 5,
        "ec2-instance-changes": 2,
        "iam-policy-changes": 4,
        "security-group-changes": 3,
    }


def test_inner_wildcard_is_a_regex_and_the_rule_reads_back(tmp_path: Path) -> None:
    ec2 = first(
        catalog_records(deployment_with(tmp_path / "plain", [])),
        lambda r: r.get("errorCode") == "Client.UnauthorizedOperation",
    )
    rule = {
        "id": "plan-role",
        "events": ["authorization-failures"],
        "match": {"principal_arn": "arn:aws:sts::*:assumed-role/SampleRole/*"},
        "reason": "the plan role reads everything",
        "removes": [{"note": "SampleRole denied", "record": ec2}],
    }
    deployment = deployment_with(tmp_path, [rule])
    alarm = deployment.alarm("authorization-failures")
    assert alarm.pattern == (
        '{ (($.errorCode="*UnauthorizedOperation") || ($.errorCode="AccessDenied*")) && '
        "(($.userIdentity.arn NOT EXISTS) || ($.userIdentity.arn IS NULL) || "
        "($.userIdentity.arn != %^arn:aws:sts::.*:assumed-role/SampleRole/%)) }"
    )
    assert alarm.base_pattern == alarm.event.pattern
    assert decompose(alarm.pattern).rules == (rule["match"],)
    # CloudWatch would read a quoted inner * as a literal star: the regex is what matches.
    literal = compile_pattern('{ $.userIdentity.arn = "arn:aws:sts::*:assumed-role/SampleRole/*" }')
    assert not literal.matches(ec2)
    assert compile_pattern(rule_pattern(alarm.rules[0])).matches(ec2)
    # A record without the field, and one where it is null, stay counted.
    for missing in (None, "absent"):
        changed = copy.deepcopy(ec2)
        if missing is None:
            changed["userIdentity"]["arn"] = None
        else:
            del changed["userIdentity"]["arn"]
        assert compile_pattern(alarm.pattern).matches(changed)
    other_role = copy.deepcopy(ec2)
    other_role["userIdentity"]["arn"] = "arn:aws:sts::111122223333:assumed-role/Other/SampleRole/x"
    assert compile_pattern(alarm.pattern).matches(other_role)


def test_match_fields_table_is_in_the_readme() -> None:
    readme = (REPO / "README.md").read_text()
    for key, spec in MATCH_FIELDS.items():
        assert f"| `{key}` | `{spec.selector}` | {spec.description} |" in readme, key


def ec2_rule(deployment: Deployment, **changes: Any) -> dict[str, Any]:
    ec2 = first(
        catalog_records(deployment), lambda r: r.get("eventName") == "DescribeInstanceAttribute"
    )
    rule = {
        "id": "plan-role",
        "events": ["authorization-failures"],
        "match": {"principal_arn": "*/SampleRole/*"},
        "reason": "the plan role reads everything",
        "removes": [{"note": "SampleRole denied", "record": ec2}],
    }
    rule.update(changes)
    return rule


def other_denial(deployment: Deployment) -> Record:
    """A catalog denial that is not SampleRole's (the plan-role rule keeps it)."""
    base = compile_pattern(deployment.alarm("authorization-failures").pattern)
    return first(
        catalog_records(deployment),
        lambda r: (
            base.matches(r)
            and "SampleRole" not in str(field(r, ("userIdentity", "arn")))
            and isinstance(field(r, ("userIdentity", "arn")), str)
        ),
    )


def bad(tmp_path: Path, rules: Callable[[Deployment], list[dict[str, Any]]], **changes: Any) -> str:
    plain = deployment_with(tmp_path / "plain", [])
    with pytest.raises(ConfigError) as raised:
        deployment_with(tmp_path, rules(plain), **changes)
    return str(raised.value)


BAD_RULES: list[tuple[str, Callable[[Deployment], list[dict[str, Any]]], dict[str, Any], str]] = [
    (
        "unknown key",
        lambda d: [ec2_rule(d, match={"principal": "x"})],
        {},
        "exclusions.rules[0].match.principal.[key]: Input should be 'principal_arn'",
    ),
    (
        "unknown event",
        lambda d: [ec2_rule(d, events=["authorisation-failures"])],
        {},
        "exclusions.rules[0].events: unknown event id(s) authorisation-failures; known: ",
    ),
    (
        "empty match",
        lambda d: [ec2_rule(d, match={})],
        {},
        "exclusions.rules[0].match: Dictionary should have at least 1 item",
    ),
    (
        "only a star",
        lambda d: [ec2_rule(d, match={"principal_arn": "**"})],
        {},
        "exclusions.rules[0].match: principal_arn: a value of only * matches any text",
    ),
    (
        "no removes",
        lambda d: [{k: v for k, v in ec2_rule(d).items() if k != "removes"}],
        {},
        "exclusions.rules[0].removes: give at least one record the rule must drop",
    ),
    (
        "duplicate id",
        lambda d: [ec2_rule(d), ec2_rule(d)],
        {},
        "exclusions.rules[1].id: 'plan-role' is already the id of exclusions.rules[0]",
    ),
    (
        "removes a record it does not describe",
        lambda d: [ec2_rule(d, match={"principal_arn": "*/OtherRole/*"})],
        {},
        "exclusions.rules[0] (plan-role): removes 'SampleRole denied': the rule's match does "
        "not describe it",
    ),
    (
        "removes a record no event counts",
        lambda d: [ec2_rule(d, events=["vpc-changes"])],
        {},
        "exclusions.rules[0] (plan-role): removes 'SampleRole denied': none of vpc-changes "
        "counts it",
    ),
    (
        "keeps a record it drops",
        lambda d: [ec2_rule(d, keeps=ec2_rule(d)["removes"])],
        {},
        "exclusions.rules[0] (plan-role): keeps 'SampleRole denied': authorization-failures no "
        "longer counts it (dropped by exclusions.rules[0] (plan-role))",
    ),
    (
        "another rule drops its keeps record",
        lambda d: [
            ec2_rule(d, keeps=[{"note": "someone else", "record": other_denial(d)}]),
            ec2_rule(
                d,
                id="new-rule",
                match={"principal_arn": other_denial(d)["userIdentity"]["arn"]},
                removes=[{"note": "it", "record": other_denial(d)}],
            ),
        ],
        {},
        "exclusions.rules[0] (plan-role): keeps 'someone else': authorization-failures no "
        "longer counts it (dropped by exclusions.rules[1] (new-rule))",
    ),
    (
        "too long when compiled",
        lambda d: (
            [
                ec2_rule(d, id=f"rule-{i}", match={"principal_arn": f"*/SampleRole{'x' * 200}{i}*"})
                for i in range(4)
            ]
            + [ec2_rule(d, id="rule-last")]
        ),
        {},
        "exclusions: the authorization-failures pattern would be 1",
    ),
    (
        "three regexes in one pattern",
        lambda d: [
            ec2_rule(d, id=f"rule-{i}", match={"principal_arn": f"arn:*:assumed-role/R{i}/*"})
            for i in range(3)
        ],
        {},
        "exclusions.rules: the authorization-failures pattern would hold 3 regular expressions",
    ),
    (
        "with a pattern override",
        lambda d: [ec2_rule(d)],
        {"overrides": {"authorization-failures": {"pattern": '{ $.errorCode = "AccessDenied*" }'}}},
        "overrides.authorization-failures.pattern: exclusions.rules.plan-role also changes the "
        "pattern of authorization-failures",
    ),
]


@pytest.mark.parametrize(
    ("case", "rules", "changes", "message"), BAD_RULES, ids=[c[0] for c in BAD_RULES]
)
def test_bad_rule_is_one_line_naming_it(
    tmp_path: Path,
    case: str,
    rules: Callable[[Deployment], list[dict[str, Any]]],
    changes: dict[str, Any],
    message: str,
) -> None:
    text = bad(tmp_path, rules, **changes)
    assert message in text
    assert text.startswith(f"{tmp_path / 'trailwatch.yaml'}: ")
    assert "\n" not in text


def test_too_long_names_the_rules(tmp_path: Path) -> None:
    text = bad(
        tmp_path,
        lambda d: (
            [
                ec2_rule(d, id=f"rule-{i}", match={"principal_arn": f"*/SampleRole{'x' * 200}{i}*"})
                for i in range(4)
            ]
            + [ec2_rule(d, id="rule-last")]
        ),
    )
    assert "(limit 1024) with exclusions.rules.rule-0, exclusions.rules.rule-1" in text
    assert "exclusions.rules.rule-last;" in text


def test_six_regex_filters_in_one_log_group_are_refused(tmp_path: Path) -> None:
    def rules(d: Deployment) -> list[dict[str, Any]]:
        found = []
        for index, event_id in enumerate(sorted(d.catalog)[:6]):
            event = d.catalog[event_id]
            record = event.samples.match[0].record
            found.append(
                {
                    "id": f"r{index}",
                    "events": [event_id],
                    "match": {
                        "event_name": record["eventName"][:1] + "*" + record["eventName"][-1:]
                    },
                    "reason": "a test of CloudWatch's limit",
                    "removes": [{"note": "its first sample", "record": record}],
                }
            )
        return found

    text = bad(tmp_path, rules)
    assert "6 filters of one log group would hold a regular expression" in text
    assert "CloudWatch allows 5" in text


def test_expired_rule_warns_in_validate_and_synth_refuses(tmp_path: Path) -> None:
    plain = deployment_with(tmp_path / "plain", [])
    rule = ec2_rule(plain, expires="2027-06-30")
    before = deployment_with(tmp_path, [rule], today=datetime.date(2027, 6, 30))
    assert not any("expired" in w for w in before.warnings)
    before.refuse_expired()
    after = deployment_with(tmp_path, [rule], today=datetime.date(2027, 7, 1))
    expired = (
        "exclusions.rules[0] (plan-role): expired on 2027-06-30 (expires); synth refuses an "
        "expired exclusion"
    )
    assert any(w.startswith(expired) for w in after.warnings)
    with pytest.raises(ConfigError, match=r"trailwatch.yaml: exclusions.rules\[0\] \(plan-role\)"):
        after.refuse_expired()
    # main.py refuses it in one line before anything is synthesized.
    config = default_config()
    config["exclusions"] = {"rules": [ec2_rule(plain, expires="2020-01-01")]}
    result = run_synth(config, tmp_path / "synth")
    assert result.returncode == 2
    assert "Traceback" not in result.stderr
    assert "exclusions.rules[0] (plan-role): expired on 2020-01-01" in result.stderr
    assert not (tmp_path / "synth" / "cdktf.out").exists()


def test_rule_on_an_event_disabled_everywhere_warns(tmp_path: Path) -> None:
    plain = deployment_with(tmp_path / "plain", [])
    deployment = deployment_with(
        tmp_path, [ec2_rule(plain)], disabled_events=["authorization-failures"]
    )
    assert deployment.warnings == (
        "exclusions.rules[0] (plan-role): authorization-failures disabled in every target; the "
        "rule changes nothing there",
    )


def test_rule_warning_names_reason_events_and_controls(tmp_path: Path) -> None:
    plain = deployment_with(tmp_path / "plain", [])
    deployment = deployment_with(tmp_path, [ec2_rule(plain)])
    assert deployment.warnings == (
        "exclusions.rules.plan-role drops records from authorization-failures (the plan role "
        "reads everything): the patterns are no longer the exact compliance text "
        "(authorization-failures: Security Hub CloudWatch.2, CIS v1.2 3.1, CIS v1.4+ 4.1 fail); "
        '`trailwatch coverage` shows "exclusion added: plan-role"',
    )


def test_catalog_sample_the_rule_describes_is_expected_dropped(tmp_path: Path) -> None:
    from trailwatch.replay.evidence import check_evidence, prove_samples

    plain = deployment_with(tmp_path / "plain", [])
    deployment = deployment_with(tmp_path, [ec2_rule(plain)])
    (evidence,) = [
        e for e in check_evidence(deployment).events if e.event_id == "authorization-failures"
    ]
    excluded = [s for s in evidence.samples if s.excluded_by]
    assert [(s.note, s.matched, s.ok) for s in excluded] == [
        ("EC2 prefixes its code with Client.: the leading * still matches", False, True),
        ("AccessDenied from Organizations", False, True),
    ]
    assert evidence.ok
    prove_samples(deployment)


def test_example_config_validates() -> None:
    path = REPO / "examples" / "tuned.yaml"
    deployment = load_deployment(path, Environment(config_path=path, outdir=REPO / "cdktf.out"))
    (alarm,) = [a for a in deployment.alarms if a.rules]
    assert [r.id for r in alarm.rules] == ["inventory-ec2-probes"]


def test_duckdb_and_parallel_replays_agree_under_rules(
    tmp_path: Path, shared_samples_dir: Path
) -> None:
    from trailwatch.replay.sql.duckdb_engine import replay_duckdb

    _, _, _, ruled = records_and_rules(tmp_path, shared_samples_dir)
    paths = sorted(shared_samples_dir.glob("*.jsonl"))
    python = {e.event_id: e.matches for e in replay(paths, ruled).events}
    # 87 denials in the shared records, 55 of them by the stratus roles and the developer.
    assert python["authorization-failures"] == 32
    assert {e.event_id: e.matches for e in replay_duckdb(paths, ruled).events} == python
    assert {e.event_id: e.matches for e in replay(paths, ruled, jobs=2).events} == python


def test_rule_warning_on_an_event_without_controls_says_none_is_involved(tmp_path: Path) -> None:
    plain = deployment_with(tmp_path / "plain", [])
    start = first(catalog_records(plain), lambda r: r.get("eventName") == "StartInstances")
    rule = {
        "id": "scheduler",
        "events": ["ec2-instance-changes"],
        "match": {"event_name": "StartInstances"},
        "reason": "the office-hours scheduler starts the fleet every morning",
        "removes": [{"note": "a scheduled start", "record": start}],
    }
    deployment = deployment_with(tmp_path, [rule])
    assert deployment.warnings == (
        "exclusions.rules.scheduler drops records from ec2-instance-changes (the office-hours "
        "scheduler starts the fleet every morning): the patterns are no longer the catalog's "
        '(no compliance control names them); `trailwatch coverage` shows "exclusion added: '
        'scheduler"',
    )


# errorCode is left out: the authorization-failures pattern itself needs it.
@pytest.mark.parametrize(
    ("key", "name"),
    [(k, p[0]) for k, p in SELECTORS.items() if len(p) == 1 and k != "error_code"],
)
def test_a_record_lacking_the_rules_field_stays_counted(
    tmp_path: Path, key: str, name: str
) -> None:
    plain = deployment_with(tmp_path / "plain", [])
    ec2 = ec2_rule(plain)["removes"][0]["record"]
    rule = ec2_rule(plain, match={key: ec2[name]}, removes=[{"note": "it", "record": ec2}])
    alarm = deployment_with(tmp_path / "ruled", [rule]).alarm("authorization-failures")
    deployed = compile_pattern(alarm.pattern)
    assert deployed.matches(ec2) is False
    lacking = {k: v for k, v in ec2.items() if k != name}
    assert deployed.matches(lacking), (key, alarm.pattern)
    assert deployed.matches({**ec2, name: None}), (key, alarm.pattern)
