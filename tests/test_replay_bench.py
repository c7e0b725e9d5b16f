"""The replay benchmark runs end to end at a tiny size and writes its figures (no timing limits)."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]


def test_tiny_bench_writes_positive_figures_for_every_measure(
    tmp_path: Path, shared_samples_dir: Path
) -> None:
    out = tmp_path / "replay.json"
    result = subprocess.run(
        [
            sys.executable,
            str(REPO / "bench" / "replay_bench.py"),
            "--records",
            "2000",
            "--memory-sizes",
            "1000,2000",
            "--per-file",
            "700",
            "--repeat",
            "2",
            "--samples",
            str(shared_samples_dir),
            "--out",
            str(out),
        ],
        capture_output=True,
        text=True,
        timeout=300,
        cwd=REPO,
        env={**os.environ, "PYTHONPATH": str(REPO)},
    )
    assert result.returncode == 0, result.stderr
    assert "replay/decode throughput ratio" in result.stdout
    figures = json.loads(out.read_text())
    assert (figures["records"], figures["repeat"], figures["events"]) == (2000, 2, 17)
    for measure in ("decode", "read", "replay"):
        assert set(figures[measure]) == {
            "cpu_seconds",
            "records_per_second",
            "us_per_record",
            "wall_seconds",
            "wall_records_per_second",
        }
        assert all(value > 0 for value in figures[measure].values())
    assert figures["ratio"] > 0 and figures["wall_ratio"] > 0 and figures["goal"] == 1.0
    assert set(figures["per_record_us"]) == {
        "decode",
        "reader_overhead",
        "match_and_simulation",
        "replay",
    }
    assert figures["per_record_us"]["replay"] > 0 and figures["per_record_us"]["decode"] > 0
    assert [row["records"] for row in figures["memory"]] == [1000, 2000]
    assert figures["jobs"]["jobs"] >= 2 and figures["jobs"]["speedup"] > 0
    assert figures["duckdb"]["equal"] is True and figures["duckdb"]["ratio"] > 0
    assert figures["startup"]["cpu_seconds"] > 0 and figures["startup"]["goal_seconds"] == 0.3
    assert "DuckDB vs Python" in result.stdout and "start-up" in result.stdout
    for row in figures["memory"]:
        assert row["peak_mb"] >= row["before_replay_mb"] > 0
        assert row["alarm_periods"] > 0
