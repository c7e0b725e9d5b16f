"""Config and event files that would hang, crash or silently mislead: one line each, exit 2.

Duplicate keys, alias bombs, deep nesting, oversized files, regions that do not exist and events
whose samples do not prove their deployed pattern. `trailwatch validate` and `python main.py`
refuse each with one line on stderr naming the file, no traceback, and write nothing.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
import yaml

from tests.helpers import REPO, default_config, run_synth
from trailwatch.errors import CatalogError, ConfigError
from trailwatch.replay.evidence import prove_samples
from trailwatch.spec import yaml_files
from trailwatch.spec.config import Environment
from trailwatch.spec.fields import known_regions
from trailwatch.spec.model import Deployment, load_deployment

VPC = yaml.safe_load((REPO / "events" / "vpc-changes.yaml").read_text())
# A regression must fail, not hang: the alias bomb took minutes and gigabytes.
TIMEOUT = 20


def bomb(levels: int = 9) -> str:
    """The "billion laughs": ten lines that stand for 9**9 strings."""
    lines = ["lol: &a0 [lol, lol, lol, lol, lol, lol, lol, lol, lol]"]
    for i in range(1, levels + 1):
        lines.append(f"l{i}: &a{i} [" + ", ".join([f"*a{i - 1}"] * 9) + "]")
    return "\n".join(lines) + "\n"


def config_text(**changes: Any) -> str:
    return yaml.safe_dump({**default_config(), **changes}, sort_keys=False)


def event(**changes: Any) -> dict[str, Any]:
    """vpc-changes under another id: its samples prove its pattern."""
    data = {k: v for k, v in VPC.items() if k != "profiles"}
    data.update(id="my-event", metric_name="MyEventCount", alarm_name="MyEvent")
    data.update(changes)
    return data


def validate(config: Path) -> subprocess.CompletedProcess[str]:
    env = {k: v for k, v in os.environ.items() if k != "TRAILWATCH_CONFIG"}
    return subprocess.run(
        [sys.executable, "-m", "trailwatch.cli", "validate", "--config", str(config)],
        capture_output=True,
        text=True,
        cwd=REPO,
        env=env,
        timeout=TIMEOUT,
    )


def refused(result: subprocess.CompletedProcess[str], *lines: str) -> None:
    """Exit 2, no traceback, and one line on stderr per expected fragment, in order."""
    assert result.returncode == 2, result.stderr
    assert "Traceback" not in result.stderr
    got = result.stderr.strip().splitlines()
    assert len(got) == len(lines), got
    for line, fragment in zip(got, lines, strict=True):
        assert fragment in line, (fragment, line)


def write_config(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "trailwatch.yaml"
    path.write_text(text, encoding="utf-8")
    return path


def with_event_file(tmp_path: Path, text: str, name: str = "my-event.yaml") -> Path:
    folder = tmp_path / "my-events"
    folder.mkdir(exist_ok=True)
    (folder / name).write_text(text, encoding="utf-8")
    return write_config(tmp_path, config_text(event_directories=["my-events"]))


# -- the YAML itself --------------------------------------------------------------------------

DUPLICATE_TARGETS = config_text() + "targets:\n  - {name: other, region: us-east-2}\n"


def test_a_second_targets_key_is_refused_with_file_line_and_key(tmp_path: Path) -> None:
    config = write_config(tmp_path, DUPLICATE_TARGETS)
    line = DUPLICATE_TARGETS.splitlines().index("targets:", 0) + 1
    second = len(DUPLICATE_TARGETS.splitlines()) - 1
    refused(
        validate(config),
        f"trailwatch: {config}: line {second} column 1: duplicate key 'targets' "
        f"(first at line {line})",
    )


def test_a_duplicate_key_deep_in_an_event_file_is_refused(tmp_path: Path) -> None:
    text = yaml.safe_dump(event(), sort_keys=False).replace(
        "  threshold: 1\n", "  threshold: 1\n  period: 300\n  threshold: 5\n", 1
    )
    assert text.count("threshold:") == 2
    config = with_event_file(tmp_path, text)
    refused(validate(config), f"my-events/my-event.yaml: line {_line(text, 'threshold: 5')} ")
    assert "duplicate key 'threshold'" in validate(config).stderr


def _line(text: str, fragment: str) -> int:
    return next(i for i, line in enumerate(text.splitlines(), 1) if fragment in line)


@pytest.mark.parametrize("where", ["config", "event"])
def test_an_alias_bomb_is_refused_at_once(tmp_path: Path, where: str) -> None:
    if where == "config":
        config = write_config(tmp_path, bomb())
        name = "trailwatch.yaml"
    else:
        config = with_event_file(tmp_path, bomb())
        name = "my-event.yaml"
    refused(validate(config), f"{name}: line 5 column 5: more than 50,000 values")


def test_plain_aliases_are_kept(tmp_path: Path) -> None:
    # yaml.safe_dump writes anchors for repeated values, as in events/ec2-large-instance-changes.
    tags = {"team": "security"}
    text = config_text(
        tags=tags, targets=[{**t, "tags": tags} for t in default_config()["targets"]]
    )
    assert "&id001" in text and "*id001" in text
    path = write_config(tmp_path, text)
    deployment = load_deployment(path, Environment(config_path=path, outdir=tmp_path / "out"))
    assert deployment.tags(deployment.targets[0])["team"] == "security"


@pytest.mark.parametrize(
    ("text", "column"),
    [
        ("[" * 10_000 + "]" * 10_000, 101),
        ("{a: " * 10_000 + "1" + "}" * 10_000, 401),
        ("- " * 10_000 + "x\n", 201),
        # Within libyaml's composer's reach: found on the composed tree.
        ("a: " + "[" * 150 + "]" * 150 + "\n", 103),
    ],
    ids=["flow sequences", "flow mappings", "block sequences", "150 levels"],
)
def test_deep_nesting_is_refused(tmp_path: Path, text: str, column: int) -> None:
    config = write_config(tmp_path, text)
    refused(
        validate(config),
        f"{config}: line 1 column {column}: nested more than 100 levels deep",
    )


def test_a_file_over_a_mebibyte_is_refused_before_parsing(tmp_path: Path) -> None:
    # Valid YAML, and no more than the limit is ever read.
    text = config_text() + "# padding\n" * (yaml_files.MAX_FILE_BYTES // 10)
    config = write_config(tmp_path, text)
    refused(validate(config), f"{config}: larger than 1 MiB")


@pytest.mark.parametrize("loader", ["LibyamlLoader", "PythonLoader"])
@pytest.mark.parametrize(
    ("text", "problem"),
    [
        ("a: 1\nb: 2\na: 3\n", "line 3 column 1: duplicate key 'a' (first at line 1)"),
        ("a: {1: x, 01: y}\n", "line 1 column 11: duplicate key '01' (first at line 1)"),
        (bomb(), "line 5 column 5: more than 50,000 values"),
        ("a: &a {b: *a}\n", "line 1 column 4: this node contains an alias of itself"),
        ("[" * 10_000, "line 1 column 101: nested more than 100 levels deep"),
        # Each alias stands for one more level than the one before.
        (
            "a0: &a0 [x]\n" + "".join(f"a{i}: &a{i} [*a{i - 1}]\n" for i in range(1, 120)),
            "nested more than 100 levels deep",
        ),
    ],
    ids=["duplicate", "duplicate int", "bomb", "cycle", "deep", "deep through aliases"],
)
def test_both_loaders_refuse_the_same(loader: str, text: str, problem: str) -> None:
    with pytest.raises(yaml_files.RefusedYAML) as raised:
        yaml_files.load_yaml(text, getattr(yaml_files, loader))
    assert problem in yaml_files._where(raised.value.mark) + " " + raised.value.problem


@pytest.mark.parametrize("loader", ["LibyamlLoader", "PythonLoader"])
def test_both_loaders_read_the_catalog_as_pyyaml_does(loader: str) -> None:
    for path in [*sorted((REPO / "events").glob("*.yaml")), REPO / "trailwatch.yaml"]:
        text = path.read_text(encoding="utf-8")
        expected = yaml.load(text, Loader=yaml.SafeLoader)  # noqa: S506 - the safe loader
        assert yaml_files.load_yaml(text, getattr(yaml_files, loader)) == expected, path


def test_a_merge_key_may_be_overridden() -> None:
    text = "base: &b {x: 1, y: 2}\nc:\n  <<: *b\n  x: 3\n"
    assert yaml_files.load_yaml(text) == {"base": {"x": 1, "y": 2}, "c": {"x": 3, "y": 2}}


# -- regions ----------------------------------------------------------------------------------


def test_a_region_that_does_not_exist_is_refused_with_the_closest(tmp_path: Path) -> None:
    targets = default_config()["targets"]
    targets[1]["region"] = "eu-wset-1"
    config = write_config(tmp_path, config_text(targets=targets))
    refused(
        validate(config),
        f"{config}: targets[1].region: not an AWS region botocore knows",
    )
    assert "did you mean eu-west-1? (got 'eu-wset-1')" in validate(config).stderr


def test_the_backend_region_must_exist_too(tmp_path: Path) -> None:
    backend = {"type": "s3", "bucket": "my-state", "region": "us-est-2"}
    config = write_config(tmp_path, config_text(backend=backend))
    refused(validate(config), f"{config}: backend.region: not an AWS region botocore knows")
    assert "did you mean us-east-2 or us-west-2?" in validate(config).stderr


def test_regions_come_from_every_partition_of_botocore() -> None:
    regions = known_regions()
    assert {"us-east-1", "eu-west-1", "cn-north-1", "us-gov-west-1", "us-isob-east-1"} <= regions
    # The partitions' pseudo-regions are not regions.
    assert "aws-global" not in regions and "eu-wset-1" not in regions


# -- samples ----------------------------------------------------------------------------------

WRONG_SAMPLES = {
    "match": [{"note": "a CreateVpc call", "record": VPC["samples"]["match"][0]["record"]}] * 2,
    "no_match": [{"note": "nothing", "record": {"eventName": "X"}}] * 2,
}


def test_events_whose_samples_fail_or_are_missing_are_refused_one_line_each(
    tmp_path: Path,
) -> None:
    folder = tmp_path / "my-events"
    folder.mkdir()
    wrong = event(id="create-vpc-only", metric_name="CreateVpcCount", alarm_name="CreateVpcOnly")
    wrong.update(pattern="{ $.eventName = DeleteVpc }", samples=WRONG_SAMPLES)
    (folder / "a-wrong.yaml").write_text(yaml.safe_dump(wrong))
    bare = {k: v for k, v in event().items() if k != "samples"}
    (folder / "b-bare.yaml").write_text(yaml.safe_dump(bare))
    config = write_config(tmp_path, config_text(event_directories=["my-events"]))
    refused(
        validate(config),
        f"trailwatch: {folder / 'a-wrong.yaml'}: samples: 'a CreateVpc call' should match but "
        "does not (the deployed pattern;",
        f"{folder / 'b-bare.yaml'}: samples: 0 that must match and 0 that must not; an enabled "
        "event needs at least 2 of each, or no_samples_reason:",
    )


def proven(config: Path, tmp_path: Path) -> Deployment:
    env = Environment(config_path=config, outdir=tmp_path / "out")
    return prove_samples(load_deployment(config, env))


def test_too_few_samples_are_refused(tmp_path: Path) -> None:
    samples = {"match": VPC["samples"]["match"][:1], "no_match": VPC["samples"]["no_match"]}
    config = with_event_file(tmp_path, yaml.safe_dump(event(samples=samples)))
    with pytest.raises(CatalogError) as raised:
        proven(config, tmp_path)
    assert str(raised.value) == (
        f"{tmp_path / 'my-events' / 'my-event.yaml'}: samples: 1 that must match and 2 that "
        "must not; an enabled event needs at least 2 of each, or no_samples_reason: saying why "
        "it has none"
    )


def test_a_disabled_event_needs_no_samples(tmp_path: Path) -> None:
    bare = {k: v for k, v in event().items() if k != "samples"}
    with_event_file(tmp_path, yaml.safe_dump(bare))
    config = write_config(
        tmp_path, config_text(event_directories=["my-events"], disabled_events=["my-event"])
    )
    assert len(proven(config, tmp_path).alarms) == 17


def test_an_event_that_says_why_it_has_no_samples_is_deployed(tmp_path: Path) -> None:
    bare = {k: v for k, v in event().items() if k != "samples"}
    reason = "no record of it can be shared"
    config = with_event_file(tmp_path, yaml.safe_dump({**bare, "no_samples_reason": reason}))
    assert proven(config, tmp_path).alarm("my-event").event.no_samples_reason == reason


def test_trailwatch_test_counts_an_event_with_a_reason_as_proven(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    from trailwatch.cli import main

    bare = {k: v for k, v in event().items() if k != "samples"}
    reason = "no record of it can be shared"
    config = with_event_file(tmp_path, yaml.safe_dump({**bare, "no_samples_reason": reason}))
    assert main(["test", "--json", "--config", str(config)]) == 0
    report = json.loads(capsys.readouterr().out)
    assert report["events"]["my-event"] == {"ok": True, "match": 0, "no_match": 0, "failures": []}
    assert main(["test", "--config", str(config)]) == 0
    assert f"no samples: {reason}" in capsys.readouterr().out


@pytest.mark.parametrize(
    ("changes", "message"),
    [
        ({"no_samples_reason": "  "}, "no_samples_reason: say in words why"),
        ({"no_samples_reason": ""}, "no_samples_reason: say in words why"),
        ({"no_samples_reason": "none"}, "no_samples_reason is for an event without samples"),
    ],
    ids=["blank", "empty", "with samples"],
)
def test_a_reason_must_be_words_and_only_without_samples(
    tmp_path: Path, changes: dict[str, Any], message: str
) -> None:
    config = with_event_file(tmp_path, yaml.safe_dump(event(**changes)))
    with pytest.raises(CatalogError, match=message):
        load_deployment(config, Environment(config_path=config, outdir=tmp_path / "out"))


def test_the_samples_run_against_the_deployed_pattern(tmp_path: Path) -> None:
    # A profile variant whose pattern the default samples do not prove: fine under the default
    # profile, refused under the variant, with the variant named.
    variant = {"strict": {"pattern": "{ $.eventName = NoSuchCall }"}}
    text = yaml.safe_dump(event(profiles=variant))
    config = with_event_file(tmp_path, text)
    assert proven(config, tmp_path).alarm("my-event").pattern == VPC["pattern"]
    write_config(tmp_path, config_text(event_directories=["my-events"], pattern_profile="strict"))
    with pytest.raises(CatalogError) as raised:
        proven(config, tmp_path)
    assert str(raised.value).startswith(f"{tmp_path / 'my-events' / 'my-event.yaml'}: samples: ")
    assert "should match but does not" in str(raised.value)
    assert "(the deployed pattern, with profile strict;" in str(raised.value)


@pytest.mark.parametrize(
    "config",
    [
        {},
        {"pattern_profile": "prowler"},
        {
            "exclusions": {
                "assumed_role_console_signins": True,
                "service_linked_role_denials": ["AWSServiceRoleForConfig"],
            }
        },
    ],
    ids=["default", "prowler", "exclusions"],
)
def test_the_catalog_proves_itself_under_every_profile_and_exclusion(
    tmp_path: Path, config: dict[str, Any]
) -> None:
    path = write_config(tmp_path, config_text(**config))
    assert len(proven(path, tmp_path).alarms) == 17


def test_without_prove_samples_an_unproven_event_loads_for_trailwatch_test(
    tmp_path: Path,
) -> None:
    bare = {k: v for k, v in event().items() if k != "samples"}
    config = with_event_file(tmp_path, yaml.safe_dump(bare))
    with pytest.raises(CatalogError):
        proven(config, tmp_path)
    env = Environment(config_path=config, outdir=tmp_path / "out")
    assert load_deployment(config, env).alarm("my-event").event.samples.match == ()


# -- synth ------------------------------------------------------------------------------------


def hostile_event_dir(workdir: Path, text: str) -> dict[str, Any]:
    folder = workdir / "my-events"
    folder.mkdir(parents=True)
    (folder / "my-event.yaml").write_text(text, encoding="utf-8")
    return {**default_config(), "event_directories": ["my-events"]}


@pytest.mark.parametrize(
    ("case", "message"),
    [
        ("duplicate key", "duplicate key 'threshold'"),
        ("alias bomb", "more than 50,000 values"),
        ("deep nesting", "nested more than 100 levels deep"),
        ("unknown region", "targets[1].region: not an AWS region botocore knows"),
        pytest.param("failing samples", "my-event.yaml: samples: "),
    ],
)
def test_main_refuses_with_one_line_and_writes_no_stack(
    tmp_path: Path, case: str, message: str
) -> None:
    if case == "duplicate key":
        text = yaml.safe_dump(event(), sort_keys=False)
        config = hostile_event_dir(
            tmp_path, text.replace("  threshold: 1\n", "  threshold: 1\n" * 2)
        )
    elif case == "alias bomb":
        config = hostile_event_dir(tmp_path, bomb())
    elif case == "deep nesting":
        config = hostile_event_dir(tmp_path, "[" * 10_000 + "]" * 10_000)
    elif case == "unknown region":
        config = default_config()
        config["targets"][1]["region"] = "eu-wset-1"
    else:
        config = hostile_event_dir(tmp_path, yaml.safe_dump(event(pattern="{ $.eventName = X }")))
    result = run_synth(config, tmp_path)
    assert result.returncode == 2, result.stderr
    assert "Traceback" not in result.stderr
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1 and message in lines[0], lines
    assert not (tmp_path / "cdktf.out" / "stacks").exists()


def test_config_errors_still_name_the_config(tmp_path: Path) -> None:
    path = write_config(tmp_path, "targets: [\n")
    with pytest.raises(ConfigError, match=f"^{path}: line 2 column 1: not valid YAML"):
        load_deployment(path, Environment(config_path=path, outdir=tmp_path / "out"))
