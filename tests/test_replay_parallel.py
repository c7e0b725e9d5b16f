"""`--jobs N` gives exactly the answer of one process: counts, periods, and the first reasons."""

from __future__ import annotations

import json
import os
from pathlib import Path

import pytest

from tests.corpus import catalog_samples
from trailwatch.cli import main
from trailwatch.replay import replay, synthetic
from trailwatch.replay.parallel import _runs, default_jobs
from trailwatch.spec.model import Deployment, load_deployment


@pytest.fixture(scope="module")
def deployment() -> Deployment:
    return load_deployment(None)


def messy_tree(root: Path, shared_samples_dir: Path) -> Path:
    """Many files of every kind, with folder problems between them."""
    samples = synthetic.load_samples(shared_samples_dir)
    records = list(synthetic.records(samples, 6000, perturbed=True))
    for n in range(12):
        folder = root / f"d{n % 4}"
        folder.mkdir(parents=True, exist_ok=True)
        synthetic.write_jsonl(
            folder / f"part-{n:02d}.jsonl", iter(records[n * 500 : n * 500 + 500])
        )
        (folder / f"broken-{n:02d}.jsonl").write_text('{"eventName": \nnot json\n[1]\n')
        (folder / f"notes-{n:02d}.txt").write_text("not CloudTrail\n")
    (root / "d1" / "loop").symlink_to(root / "d1")
    (root / "d3" / "delivery.json").write_text(json.dumps({"Records": catalog_samples()}))
    return root


def test_jobs_give_the_answer_of_one_process_reasons_included(
    tmp_path: Path, shared_samples_dir: Path, deployment: Deployment
) -> None:
    root = messy_tree(tmp_path / "tree", shared_samples_dir)
    one = replay([root, shared_samples_dir], deployment)
    for jobs in (2, 3, 8):
        many = replay([root, shared_samples_dir], deployment, jobs=jobs)
        assert many == one, jobs
        assert many.to_json()["skipped_reasons"] == one.to_json()["skipped_reasons"]
    assert one.skipped >= 5 and one.ignored >= 5 and one.records > 6000


def test_runs_are_consecutive_files_of_about_equal_size(tmp_path: Path) -> None:
    files = []
    for n, size in enumerate([10, 10, 10, 1000, 10, 10]):
        path = tmp_path / f"{n}.jsonl"
        path.write_text("x" * size)
        files.append(path)
    runs = _runs(files, 2)
    assert [name for run in runs for name in run] == [str(p) for p in files]
    assert any(run == (str(files[3]),) or str(files[3]) == run[-1] for run in runs)
    assert default_jobs() >= 1


def test_jobs_option_on_the_command_line(
    tmp_path: Path, shared_samples_dir: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["replay", "--json", "--jobs", "2", str(shared_samples_dir)]) == 0
    two = json.loads(capsys.readouterr().out)
    assert main(["replay", "--json", "--jobs", "1", str(shared_samples_dir)]) == 0
    one = json.loads(capsys.readouterr().out)
    two.pop("elapsed_s"), one.pop("elapsed_s")
    assert two == one
    with pytest.raises(SystemExit) as exited:
        main(["replay", "--jobs", "0", str(shared_samples_dir)])
    assert exited.value.code == 2
    assert "not a number of processes" in capsys.readouterr().err
    assert os.cpu_count()
