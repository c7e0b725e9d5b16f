"""Synth speed: trailwatch's fast provider import against the ordinary one, side by side.

Both runs synthesize the default config with the same interpreter and Node; the baseline imports
the whole `cdktf_cdktf_provider_aws` package first (what `from cdktf_cdktf_provider_aws.x import
Y` costs normally), which makes `stacks/aws.py` skip its shortcut. Prints medians, the ratio and
peak memory, and writes bench/out/synth.json.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
BASELINE = (
    "import runpy, sys; import cdktf_cdktf_provider_aws; sys.argv = ['main.py']; "
    "runpy.run_path('main.py', run_name='__main__')"
)


def run_once(command: list[str], outdir: Path) -> tuple[float, float]:
    """Wall seconds and peak resident memory (MiB) of one synth, Node child included."""
    env = {**os.environ, "CDKTF_OUTDIR": str(outdir), "PYTHONPATH": str(REPO)}
    env.pop("TRAILWATCH_ENDPOINT_URL", None)
    start = time.perf_counter()
    process = subprocess.Popen(
        command, cwd=REPO, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE
    )
    _, status, usage = os.wait4(process.pid, 0)
    elapsed = time.perf_counter() - start
    if status != 0:
        raise SystemExit(
            f"synth failed: {' '.join(command)}\n{process.stderr.read().decode()}"
            if process.stderr
            else "synth failed"
        )
    # ru_maxrss of the waited process is the largest of it and its waited children (kB).
    return elapsed, usage.ru_maxrss / 1024


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--runs", type=int, default=5, help="runs of each (median is reported)")
    args = parser.parse_args()
    fast_cmd = [sys.executable, "main.py"]
    baseline_cmd = [sys.executable, "-c", BASELINE]
    fast: list[tuple[float, float]] = []
    baseline: list[tuple[float, float]] = []
    with tempfile.TemporaryDirectory() as tmp:
        run_once(fast_cmd, Path(tmp) / "warm")  # jsii's package cache, disk cache
        for index in range(args.runs):
            # Interleaved, so that machine noise hits both sides alike.
            fast.append(run_once(fast_cmd, Path(tmp) / f"fast-{index}"))
            baseline.append(run_once(baseline_cmd, Path(tmp) / f"base-{index}"))
            print(
                f"run {index + 1}/{args.runs}: fast {fast[-1][0]:.2f} s, "
                f"ordinary import {baseline[-1][0]:.2f} s",
                file=sys.stderr,
            )
    fast_median = statistics.median(t for t, _ in fast)
    base_median = statistics.median(t for t, _ in baseline)
    result = {
        "runs": args.runs,
        "fast_synth_s": round(fast_median, 3),
        "ordinary_import_synth_s": round(base_median, 3),
        "ratio": round(fast_median / base_median, 3),
        "fast_peak_mib": round(max(m for _, m in fast), 1),
        "ordinary_peak_mib": round(max(m for _, m in baseline), 1),
    }
    out = REPO / "bench" / "out"
    out.mkdir(parents=True, exist_ok=True)
    (out / "synth.json").write_text(json.dumps(result, indent=2) + "\n")
    print(f"synth, default config, median of {args.runs}:")
    print(f"  fast import      {result['fast_synth_s']:7.2f} s  peak {result['fast_peak_mib']} MiB")
    print(
        f"  ordinary import  {result['ordinary_import_synth_s']:7.2f} s  "
        f"peak {result['ordinary_peak_mib']} MiB"
    )
    print(f"  ratio            {result['ratio']:7.3f}  (target <= 0.30)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
