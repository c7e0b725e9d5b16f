"""No stack is ever orphaned: a target removed from the config stays visible and removable.

A config of two targets is deployed for real (Terraform, the AWS provider) onto this module's own
emulator, in its own folder (the session's shared deploy is not touched); then one target is
removed from the config. `state` must list its stack as orphaned, `plan-report --stacks` must
flag its alarms as destroyed, and `destroy --orphaned` must remove every resource it holds.
Both targets use an existing trail (log groups made here with boto3): no bucket, no lifecycle
wait, and two events only, so the deploy is quick.
"""

from __future__ import annotations

import io
import json
import shutil
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any
from unittest import mock

import pytest
import yaml

from tests.helpers import REPO, default_config, missing_tool
from trailwatch.audit.plan.parse import destroy_plan
from trailwatch.audit.plan.review import review
from trailwatch.inventory.state import orphaned_states, stored_states
from trailwatch.spec import naming
from trailwatch.spec.config import Environment
from trailwatch.spec.model import load_deployment
from trailwatch.spec.targets import Target

if TYPE_CHECKING:
    from tests.emulator_lab import Lab

pytestmark = pytest.mark.emulator

KEPT_EVENTS = ("root-account-usage", "console-signin-failures")
KEPT, GONE = "trailwatch-kept", "trailwatch-gone"
LOG_GROUPS = {"kept": ("us-east-1", "/org/kept/cloudtrail"), "gone": ("eu-west-1", "/org/gone")}
STATE_BUCKET = "trailwatch-orphan-state"


def two_targets() -> dict[str, Any]:
    config = default_config()
    events = [yaml.safe_load(p.read_text())["id"] for p in sorted((REPO / "events").iterdir())]
    config["disabled_events"] = [e for e in events if e not in KEPT_EVENTS]
    config["targets"] = [
        {"name": name, "region": region, "trail": {"mode": "existing", "log_group_name": group}}
        for name, (region, group) in LOG_GROUPS.items()
    ]
    return config


@dataclass
class Orphans:
    lab: Lab
    # What the removed target's state held right after the deploy.
    gone_state: dict[str, Any]

    @property
    def gone_count(self) -> int:
        return sum(
            len(r["instances"]) for r in self.gone_state["resources"] if r["mode"] == "managed"
        )

    def gone(self, kind: str) -> list[dict[str, Any]]:
        return [
            instance["attributes"]
            for r in self.gone_state["resources"]
            if r["mode"] == "managed" and r["type"] == kind
            for instance in r["instances"]
        ]


@pytest.fixture(scope="module")
def orphans(
    tmp_path_factory: pytest.TempPathFactory, terraform_env: dict[str, str]
) -> Iterator[Orphans]:
    """Both targets deployed onto a fresh emulator, then `gone` removed from the config."""
    from tests.emulator_lab import Lab
    from trailwatch.tooling.emulator import Emulator, moto_available

    if not moto_available():
        missing_tool("moto[server] is not installed (make install)")
    with Emulator() as emulator:
        lab = Lab(tmp_path_factory.mktemp("orphans"), emulator.endpoint_url, terraform_env)
        for region, group in LOG_GROUPS.values():
            lab.client("logs", region).create_log_group(logGroupName=group)
        config = two_targets()
        lab.synth(config)

        def deploy(target: Target) -> None:
            terraform = lab.terraform(target)
            terraform.init()
            terraform.apply()

        lab.each(deploy)
        gone_state = lab.state_file(GONE)
        config["targets"] = [t for t in config["targets"] if t["name"] != "gone"]
        lab.config_path.write_text(yaml.safe_dump(config, sort_keys=False))
        yield Orphans(lab, gone_state)


def test_the_removed_targets_stack_held_its_alarms_and_filters(orphans: Orphans) -> None:
    assert len(orphans.gone("aws_cloudwatch_metric_alarm")) == len(KEPT_EVENTS)
    assert len(orphans.gone("aws_cloudwatch_log_metric_filter")) == len(KEPT_EVENTS)
    assert orphans.gone_count > 2 * len(KEPT_EVENTS)  # and the key, topic, subscription


def test_state_names_the_orphan_with_its_resource_count_and_exits_1(orphans: Orphans) -> None:
    lab = orphans.lab
    source = str(lab.state_dir / f"{GONE}.tfstate")
    code, out, err = lab.cli(["state"])
    assert code == 1, err
    assert f"{GONE}: orphaned: {orphans.gone_count} resources" in out
    assert "trailwatch destroy --orphaned gone" in out
    assert "drift found (1 orphaned stack)" in out

    code, out, err = lab.cli(["state", "--json"])
    assert code == 1, err
    document = json.loads(out)
    assert document["drift"] is True
    assert document["orphans"] == [
        {"stack": GONE, "source": source, "resources": orphans.gone_count}
    ]
    (kept,) = document["stacks"]
    assert (kept["stack"], kept["findings"]) == (KEPT, [])

    # --target asks about configured targets only.
    code, out, err = lab.cli(["state", "--json", "--target", "kept"])
    assert code == 0, err
    assert json.loads(out)["orphans"] == []


def test_plan_report_flags_the_removed_targets_alarms_as_a_weakening(orphans: Orphans) -> None:
    lab = orphans.lab
    args = ["plan-report", "--stacks", "--format", "json", "--fail-on-weakening"]
    code, out, err = lab.cli(args)
    assert code == 1, err
    assert f"reviewing {GONE}: no target of the config names it" in err
    report = json.loads(out)
    stacks = {s["stack"]: s for s in report["stacks"]}
    assert sorted(stacks) == [GONE, KEPT]
    assert stacks[KEPT]["counts"]["delete"] == 0
    gone = stacks[GONE]
    assert gone["region"] == "eu-west-1"
    assert gone["counts"] == {
        "create": 0,
        "update": 0,
        "replace": 0,
        "delete": orphans.gone_count,
        "forget": 0,
    }
    deleted = {c["address"] for c in gone["changes"] if c["action"] == "delete"}
    alarms = {f"aws_cloudwatch_metric_alarm.{naming.alarm_id(e)}" for e in KEPT_EVENTS}
    filters = {f"aws_cloudwatch_log_metric_filter.{naming.filter_id(e)}" for e in KEPT_EVENTS}
    assert alarms | filters <= deleted

    by_reason = {f["reason"]: f for f in report["findings"]}
    removed = report["findings"][0]
    assert removed["reason"] == (
        "target removed from the config: gone's alarms and filters are destroyed with its stack "
        "(`trailwatch destroy --orphaned gone`; until then they stay deployed, unmanaged)"
    )
    assert removed["kind"] == "weakening"
    assert {(r["stack"], r["address"]) for r in removed["resources"]} == {
        (GONE, address) for address in alarms | filters
    }
    destroyed = by_reason["alarm destroyed: its events notify nobody"]
    assert {r["address"] for r in destroyed["resources"]} == alarms
    # Nothing of the configured stack is flagged.
    assert all(r["stack"] == GONE for f in report["findings"] for r in f["resources"])

    code, out, err = lab.cli(["plan-report", "--stacks"])
    assert code == 0, err
    assert f"- **weakening**: {removed['reason']}\n  - `{GONE}`: " in out
    assert f"#### {GONE} (eu-west-1)" in out


def test_saved_plans_keep_the_removed_target_so_a_gate_on_them_fails(
    orphans: Orphans, tmp_path: Path
) -> None:
    # plan.yml's gate reads the saved plans, not the --stacks run: the removal must be there.
    lab = orphans.lab
    saved = tmp_path / "plans"
    code, _out, err = lab.cli(["plan-report", "--stacks", "--save-plans", str(saved)])
    assert code == 0, err
    assert sorted(p.name for p in saved.iterdir()) == [f"{GONE}.json", f"{KEPT}.json"]
    gate = ["plan-report", "--fail-on-weakening", "--format", "json"]
    code, out, err = lab.cli([*gate, *(str(p) for p in sorted(saved.iterdir()))])
    assert code == 1, err
    first = json.loads(out)["findings"][0]
    assert first["reason"].startswith("target removed from the config: gone's alarms")
    # The kept stack's plan alone passes the same gate.
    code, _out, err = lab.cli([*gate, str(saved / f"{KEPT}.json")])
    assert code == 0, err


def test_destroy_refuses_a_configured_target_an_unknown_name_and_no_confirmation(
    orphans: Orphans,
) -> None:
    lab = orphans.lab
    for name in ("kept", KEPT):
        code, _out, err = lab.cli(["destroy", "--orphaned", name, "--yes"])
        assert code == 2
        assert f"target kept is in the config ({lab.config_path}): {KEPT} is not orphaned" in err

    code, _out, err = lab.cli(["destroy", "--orphaned", "never", "--yes"])
    assert code == 2
    assert f"no state of trailwatch-never in {lab.state_dir} (orphaned stacks there: {GONE})" in err

    before = (lab.state_dir / f"{GONE}.tfstate").read_bytes()
    with mock.patch("sys.stdin", Terminal("", tty=False)):
        code, _out, err = lab.cli(["destroy", "--orphaned", "gone"])
    assert code == 2 and "not confirmed, nothing destroyed" in err
    with mock.patch("sys.stdin", Terminal("no\n", tty=True)):
        code, out, err = lab.cli(["destroy", "--orphaned", "gone"])
    assert code == 2 and "not confirmed" in err
    assert (
        f"destroy {GONE}: {orphans.gone_count} resources (2 filters, 2 alarms) in eu-west-1" in out
    )
    assert (lab.state_dir / f"{GONE}.tfstate").read_bytes() == before


class Terminal(io.StringIO):
    """stdin that says whether it is a terminal."""

    def __init__(self, text: str, *, tty: bool) -> None:
        super().__init__(text)
        self.tty = tty

    def isatty(self) -> bool:
        return self.tty


def test_s3_state_objects_of_no_target_are_orphans(orphans: Orphans, tmp_path: Path) -> None:
    lab = orphans.lab
    s3 = lab.client("s3", "us-east-1")
    s3.create_bucket(Bucket=STATE_BUCKET)
    empty = {**orphans.gone_state, "resources": []}
    objects = {
        f"trailwatch/{KEPT}.tfstate": lab.state_file(KEPT),
        f"trailwatch/{GONE}.tfstate": orphans.gone_state,
        "trailwatch/trailwatch-empty.tfstate": empty,
        "trailwatch/nested/trailwatch-deeper.tfstate": orphans.gone_state,
        "trailwatch/notes.txt": {},
        f"other/{GONE}.tfstate": orphans.gone_state,
    }
    for key, body in objects.items():
        s3.put_object(Bucket=STATE_BUCKET, Key=key, Body=json.dumps(body).encode())

    def deployment(bucket: str) -> Any:
        config = yaml.safe_load(lab.config_path.read_text())
        config["backend"] = {"type": "s3", "bucket": bucket, "region": "us-east-1"}
        path = tmp_path / f"{bucket}.yaml"
        path.write_text(yaml.safe_dump(config))
        # No endpoint: an S3 backend is then S3 (with the emulator, state stays local).
        return load_deployment(path, Environment(config_path=path, outdir=tmp_path / "out"))

    found = deployment(STATE_BUCKET)
    scan = stored_states(found, s3_client=s3)
    assert [s.stack for s in scan.states] == ["trailwatch-empty", GONE, KEPT]
    assert scan.problems == ()
    scan = orphaned_states(found, s3_client=s3)
    (state,) = scan.states
    assert (state.stack, state.source) == (GONE, f"s3://{STATE_BUCKET}/trailwatch/{GONE}.tfstate")
    assert state.inventory().resource_count == orphans.gone_count
    assert state.regions() == ("eu-west-1",)

    missing = orphaned_states(deployment("trailwatch-no-such-bucket"), s3_client=s3)
    assert missing.states == ()
    (problem,) = missing.problems
    assert problem.startswith("cannot list s3://trailwatch-no-such-bucket/trailwatch/")
    assert "NoSuchBucket" in problem


def test_destroy_orphaned_removes_every_resource_and_the_orphan(orphans: Orphans) -> None:
    lab = orphans.lab
    state_file = lab.state_dir / f"{GONE}.tfstate"
    code, out, err = lab.cli(["destroy", "--orphaned", "gone", "--yes"])
    assert code == 0, err
    assert f"destroyed {GONE}: {orphans.gone_count} resources" in out
    assert f"destroying {GONE}: {orphans.gone_count} resources" in err

    region, group = LOG_GROUPS["gone"]
    cloudwatch, logs = lab.client("cloudwatch", region), lab.client("logs", region)
    names = [a["alarm_name"] for a in orphans.gone("aws_cloudwatch_metric_alarm")]
    assert cloudwatch.describe_alarms(AlarmNames=names)["MetricAlarms"] == []
    assert logs.describe_metric_filters(logGroupName=group)["metricFilters"] == []
    topics = lab.client("sns", region).list_topics()["Topics"]
    gone_topics = {t["arn"] for t in orphans.gone("aws_sns_topic")}
    assert gone_topics and not gone_topics & {t["TopicArn"] for t in topics}
    kms = lab.client("kms", region)
    for key in orphans.gone("aws_kms_key"):
        assert kms.describe_key(KeyId=key["id"])["KeyMetadata"]["KeyState"] == "PendingDeletion"
    left = json.loads(state_file.read_text())["resources"]
    assert [r for r in left if r["mode"] == "managed"] == []

    # The configured target is untouched.
    kept_region, kept_group = LOG_GROUPS["kept"]
    kept_filters = lab.client("logs", kept_region).describe_metric_filters(logGroupName=kept_group)[
        "metricFilters"
    ]
    assert len(kept_filters) == len(KEPT_EVENTS)

    code, out, err = lab.cli(["state", "--json"])
    assert code == 0, err
    assert json.loads(out)["orphans"] == []
    code, out, _err = lab.cli(["destroy", "--orphaned", "gone", "--yes"])
    assert code == 0 and "holds nothing: nothing to destroy" in out


def test_a_destroy_plan_of_state_keeps_index_keys_and_masks_sensitive_values() -> None:
    state = {
        "version": 4,
        "resources": [
            {
                "mode": "managed",
                "type": "aws_sns_topic_subscription",
                "name": "alarm_topic_subscription",
                "instances": [
                    {
                        "index_key": 0,
                        "attributes": {"protocol": "email", "endpoint": "a@example.com"},
                        "sensitive_attributes": [[{"type": "get_attr", "value": "endpoint"}]],
                    },
                    {"index_key": "b", "attributes": {"protocol": "https", "endpoint": "x"}},
                ],
            },
            {"mode": "data", "type": "aws_caller_identity", "name": "current", "instances": [{}]},
        ],
    }
    plan = destroy_plan(state, stack=GONE, source="gone.tfstate", region="eu-west-1")
    assert [(c.address, c.action) for c in plan.changes] == [
        ('aws_sns_topic_subscription.alarm_topic_subscription["b"]', "delete"),
        ("aws_sns_topic_subscription.alarm_topic_subscription[0]", "delete"),
    ]
    assert plan.removed_target
    reasons = {f.reason for f in review([plan]).findings}
    assert "topic subscription removed: email (sensitive)" in reasons
    assert not any("a@example.com" in reason for reason in reasons)


def test_an_unreadable_orphan_state_file_is_one_clear_error(
    orphans: Orphans, tmp_path: Path
) -> None:
    lab = orphans.lab
    workdir = tmp_path / "copy"
    state_dir = workdir / ".emulator" / "state"
    state_dir.mkdir(parents=True)
    shutil.copy(lab.config_path, workdir / "trailwatch.yaml")
    (state_dir / "trailwatch-broken.tfstate").write_text("{ not json")
    code, out, err = lab.cli(["state", "--config", str(workdir / "trailwatch.yaml")])
    assert code == 2 and out == ""
    assert err.startswith(f"trailwatch: {state_dir / 'trailwatch-broken.tfstate'}: cannot read")


def test_destroy_refuses_an_orphan_whose_resources_a_configured_stack_holds(
    orphans: Orphans, tmp_path: Path
) -> None:
    # A target renamed in the same region: the new stack took over the alarms of the old one.
    lab = orphans.lab
    state_dir = tmp_path / ".emulator" / "state"
    state_dir.mkdir(parents=True)
    shutil.copy(lab.config_path, tmp_path / "trailwatch.yaml")
    for stack in (KEPT, GONE):
        (state_dir / f"{stack}.tfstate").write_text(json.dumps(orphans.gone_state))
    code, _out, err = lab.cli(
        ["destroy", "--orphaned", "gone", "--yes", "--config", str(tmp_path / "trailwatch.yaml")]
    )
    assert code == 2
    assert f"{GONE}: {orphans.gone_count} of its resources are in {KEPT}'s state too" in err
    assert json.loads((state_dir / f"{GONE}.tfstate").read_text()) == orphans.gone_state
