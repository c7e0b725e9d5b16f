"""Benchmark `trailwatch replay` against a decode-only baseline, and its memory at two sizes.

    python bench/replay_bench.py                      # 200,000 records; memory at 200k and 1M
    python bench/replay_bench.py --records 2000 --memory-sizes 1000,2000   # a quick check

Records are the shared CloudTrail samples, sampled with a fixed seed and varied (eventTime,
eventID, sourceIPAddress, userIdentity) into JSON Lines files in a temporary folder. In one run:
- decode: read every line and `json.loads` it (the least any replay must do);
- replay: the real reader, all enabled events through `compile_many`, and the alarm simulation;
- match: the events alone on already decoded records, to show where replay's time goes;
each the median of `--repeat` runs, interleaved so that machine noise hits both alike. Peak
memory is measured in a fresh subprocess per size (ru_maxrss), so the sizes do not share a heap.
The results go to the terminal and to `bench/out/replay.json` (git-ignored).
"""

from __future__ import annotations

import argparse
import gc
import json
import platform
import random
import resource
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parents[1]
SAMPLES = REPO.parent / "shared" / "cloudtrail-samples"
SAMPLE_FILES = ("aws-docs.jsonl", "panther-analysis.jsonl", "stratus-red-team.jsonl")
GOAL = 0.50
SEED = 20240101
# Generated records spread over a week, so the alarm simulation sees realistic period counts.
SPAN_SECONDS = 7 * 24 * 3600
START = 1_704_067_200  # 2024-01-01T00:00:00Z
# Enough decoded records for a steady per-record match time without a large heap.
MATCH_SAMPLE = 20_000


def parse_args(argv: Sequence[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--records", type=int, default=200_000, help="records for throughput")
    parser.add_argument(
        "--memory-sizes",
        default="200000,1000000",
        help="comma-separated record counts to measure peak memory at (empty: skip)",
    )
    parser.add_argument("--repeat", type=int, default=3, help="runs per measure (median)")
    parser.add_argument("--per-file", type=int, default=50_000, help="records per JSONL file")
    parser.add_argument("--samples", type=Path, default=SAMPLES, help="shared samples folder")
    parser.add_argument("--config", type=Path, default=REPO / "trailwatch.yaml")
    parser.add_argument("--out", type=Path, default=REPO / "bench" / "out" / "replay.json")
    parser.add_argument("--workdir", type=Path, help="generate here instead of a temp folder")
    # Internal: the memory subprocess.
    parser.add_argument("--measure-memory", nargs="+", type=Path, help=argparse.SUPPRESS)
    return parser.parse_args(argv)


# --- generating records ---------------------------------------------------------------------------


def load_samples(folder: Path) -> list[dict[str, Any]]:
    records = []
    for name in SAMPLE_FILES:
        with (folder / name).open(encoding="utf-8") as f:
            records += [json.loads(line) for line in f if line.strip()]
    return records


def vary(template: dict[str, Any], index: int, total: int, rng: random.Random) -> dict[str, Any]:
    """A copy of a sample record as another, later call by another caller."""
    record = dict(template)
    moment = START + index * SPAN_SECONDS // max(total, 1) + rng.randrange(60)
    record["eventTime"] = time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(moment))
    bits = f"{rng.getrandbits(128):032x}"
    record["eventID"] = f"{bits[:8]}-{bits[8:12]}-{bits[12:16]}-{bits[16:20]}-{bits[20:]}"
    record["sourceIPAddress"] = ".".join(str(rng.randrange(1, 255)) for _ in range(4))
    identity = record.get("userIdentity")
    if isinstance(identity, dict):
        identity = dict(identity)
        user = rng.randrange(1000)
        if "principalId" in identity:
            identity["principalId"] = f"AIDA{rng.getrandbits(64):016X}"
        if "accessKeyId" in identity:
            identity["accessKeyId"] = f"ASIA{rng.getrandbits(64):016X}"
        if "userName" in identity:
            identity["userName"] = f"user-{user:04d}"
        record["userIdentity"] = identity
    return record


def generate(samples: list[dict[str, Any]], folder: Path, total: int,
             boundaries: set[int]) -> list[tuple[Path, int]]:
    """Write `total` records as JSONL files ending at each boundary; (file, records so far)."""
    rng = random.Random(SEED)
    ends = sorted({b for b in boundaries if 0 < b < total} | {total})
    files: list[tuple[Path, int]] = []
    index = 0
    for number, end in enumerate(ends):
        path = folder / f"part-{number:05d}.jsonl"
        with path.open("w", encoding="utf-8") as f:
            while index < end:
                record = vary(samples[rng.randrange(len(samples))], index, total, rng)
                f.write(json.dumps(record))
                f.write("\n")
                index += 1
        files.append((path, end))
    return files


def files_for(files: list[tuple[Path, int]], size: int) -> list[Path]:
    return [path for path, end in files if end <= size]


# --- measuring ------------------------------------------------------------------------------------


def decode_only(paths: list[Path]) -> int:
    """The baseline: read each line and decode it, nothing else."""
    loads = json.loads
    count = 0
    for path in paths:
        with path.open(encoding="utf-8") as f:
            for line in f:
                loads(line)
                count += 1
    return count


def make_replay(config: Path) -> Callable[[list[Path]], int]:
    from trailwatch.model import load_deployment
    from trailwatch.records import ReadStats, read_records
    from trailwatch.replay import Replayer

    alarms = load_deployment(config).alarms

    def run(paths: list[Path]) -> int:
        replayer = Replayer(alarms)
        replayer.feed(read_records(paths, ReadStats()))
        replayer.outcomes()  # the alarm simulation's evaluation is part of a replay
        return replayer.records

    return run


def match_only(config: Path, paths: list[Path], limit: int, repeat: int) -> float:
    """Seconds per record for the events alone, on records decoded beforehand."""
    from trailwatch.model import load_deployment
    from trailwatch.patterns import compile_many

    alarms = load_deployment(config).alarms
    match = compile_many({alarm.id: alarm.pattern for alarm in alarms})
    records: list[dict[str, Any]] = []
    for path in paths:
        with path.open(encoding="utf-8") as f:
            for line in f:
                if len(records) >= limit:
                    break
                records.append(json.loads(line))
    times = []
    for _ in range(repeat):
        started = time.perf_counter()
        for record in records:
            match(record)
        times.append(time.perf_counter() - started)
    return statistics.median(times) / max(len(records), 1)


def timed(function: Callable[[list[Path]], int], paths: list[Path]) -> tuple[float, int]:
    gc.collect()
    started = time.perf_counter()
    count = function(paths)
    return time.perf_counter() - started, count


def measure_memory_child(paths: list[Path], config: Path) -> dict[str, Any]:
    """In the subprocess: replay the files through the public API and report peak memory."""
    from trailwatch.model import load_deployment
    from trailwatch.replay import replay

    deployment = load_deployment(config)
    before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    result = replay(paths, deployment)
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    # ru_maxrss is KiB on Linux, bytes on macOS.
    scale = 1 if sys.platform == "darwin" else 1024
    return {
        "records": result.records,
        "rss_before_mb": round(before * scale / 2**20, 1),
        "peak_rss_mb": round(peak * scale / 2**20, 1),
    }


def measure_memory(paths: list[Path], config: Path) -> dict[str, Any]:
    command = [sys.executable, str(Path(__file__).resolve()), "--config", str(config),
               "--measure-memory", *map(str, paths)]
    done = subprocess.run(command, capture_output=True, text=True, check=True)
    measured: dict[str, Any] = json.loads(done.stdout)
    return measured


# --- the run --------------------------------------------------------------------------------------


def bench(args: argparse.Namespace, workdir: Path) -> dict[str, Any]:
    from rich.console import Console

    console = Console(stderr=True)
    memory_sizes = [int(s) for s in args.memory_sizes.split(",") if s.strip()]
    total = max([args.records, *memory_sizes])
    boundaries = {args.records, *memory_sizes, *range(args.per_file, total, args.per_file)}
    samples = load_samples(args.samples)
    with console.status(f"generating {total:,} records from {len(samples)} samples"):
        files = generate(samples, workdir, total, boundaries)
    paths = files_for(files, args.records)
    size_mb = sum(p.stat().st_size for p in paths) / 2**20

    replay_run = make_replay(args.config)
    decode_times: list[float] = []
    replay_times: list[float] = []
    with console.status(f"timing decode and replay over {args.records:,} records"):
        for _ in range(args.repeat):
            seconds, count = timed(decode_only, paths)
            assert count == args.records, count
            decode_times.append(seconds)
            seconds, count = timed(replay_run, paths)
            assert count == args.records, count
            replay_times.append(seconds)
        match_seconds = match_only(args.config, paths, MATCH_SAMPLE, args.repeat)

    memory = []
    for size in memory_sizes:
        with console.status(f"peak memory of a replay of {size:,} records"):
            memory.append(measure_memory(files_for(files, size), args.config))

    decode_s, replay_s = statistics.median(decode_times), statistics.median(replay_times)
    decode_rps, replay_rps = args.records / decode_s, args.records / replay_s
    decode_us = decode_s / args.records * 1e6
    replay_us = replay_s / args.records * 1e6
    from trailwatch.model import load_deployment

    return {
        "records": args.records,
        "input_mb": round(size_mb, 1),
        "repeat": args.repeat,
        "events": len(load_deployment(args.config).alarms),
        "python": platform.python_version(),
        "decode": {"seconds": round(decode_s, 3), "records_per_second": round(decode_rps)},
        "replay": {"seconds": round(replay_s, 3), "records_per_second": round(replay_rps)},
        "ratio": round(replay_rps / decode_rps, 3),
        "goal": GOAL,
        "per_record_us": {
            "decode": round(decode_us, 2),
            "replay": round(replay_us, 2),
            "match": round(match_seconds * 1e6, 2),
            # What replay costs beyond decoding and matching: the reader and the loop.
            "rest": round(replay_us - decode_us - match_seconds * 1e6, 2),
        },
        "memory": memory,
    }


def report(results: dict[str, Any]) -> None:
    from rich.console import Console
    from rich.table import Table

    console = Console()
    table = Table(
        title=f"replay vs decode-only, {results['records']:,} records "
        f"({results['input_mb']} MB), {results['events']} events, median of {results['repeat']}"
    )
    for column in ("measure", "records/s", "µs/record"):
        table.add_column(column, justify="right" if column != "measure" else "left")
    per = results["per_record_us"]
    table.add_row("decode only", f"{results['decode']['records_per_second']:,}", f"{per['decode']}")
    table.add_row("replay", f"{results['replay']['records_per_second']:,}", f"{per['replay']}")
    table.add_row("  of which matching", "", f"{per['match']}")
    table.add_row("  of which reading, loop", "", f"{per['rest']}")
    console.print(table)
    verdict = "meets" if results["ratio"] >= results["goal"] else "misses"
    console.print(
        f"replay/decode throughput ratio: {results['ratio']:.2f} ({verdict} the goal "
        f"{results['goal']:.2f})",
        markup=False,
    )
    if results["memory"]:
        memory = Table(title="peak memory of a replay (fresh process per size)")
        for column in ("records", "RSS before replay", "peak RSS"):
            memory.add_column(column, justify="right")
        for row in results["memory"]:
            memory.add_row(f"{row['records']:,}", f"{row['rss_before_mb']} MB",
                           f"{row['peak_rss_mb']} MB")
        console.print(memory)


def main(argv: Sequence[str] | None = None) -> int:
    args = parse_args(argv)
    if args.measure_memory:
        print(json.dumps(measure_memory_child(args.measure_memory, args.config)))
        return 0
    if args.workdir:
        args.workdir.mkdir(parents=True, exist_ok=True)
        results = bench(args, args.workdir)
    else:
        with tempfile.TemporaryDirectory(prefix="replay-bench-") as folder:
            results = bench(args, Path(folder))
    report(results)
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps(results, indent=2) + "\n")
    print(f"wrote {args.out}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
