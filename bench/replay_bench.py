"""Benchmark `trailwatch replay` against a decode-only baseline, and its memory at two sizes.

    python bench/replay_bench.py                      # 200,000 records; memory at 200k and 1M
    python bench/replay_bench.py --records 2000 --memory-sizes 1000,2000   # a quick check

Records are the shared CloudTrail samples, sampled with a fixed seed and varied (eventTime,
eventID, sourceIPAddress, userIdentity) into JSON Lines files in a temporary folder. In one run:
- decode: read every line and `json.loads` it (the least any replay must do);
- read: trailwatch's record reader alone (decode plus its bookkeeping of lines and skips);
- replay: the reader, all enabled events through `compile_many`, and the alarm simulation;
each the median of `--repeat` runs, interleaved so that machine noise hits all alike. Times are
CPU time of the process (`time.process_time`): the input sits in the page cache, so nothing
waits on disk, and CPU time does not count the moments other processes on a shared machine
take the processor (wall-clock figures are kept too). Peak memory is the high-water mark of
resident memory (VmHWM) of a fresh subprocess per size, so the sizes share nothing.
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
# Generated records fall anywhere in one week, so that every size covers the same periods: the
# alarm simulation keeps a counter per period, and memory should then not differ between sizes.
SPAN_SECONDS = 7 * 24 * 3600
START = 1_704_067_200  # 2024-01-01T00:00:00Z


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


def vary(template: dict[str, Any], rng: random.Random) -> dict[str, Any]:
    """A copy of a sample record as another call, at another time, by another caller."""
    record = dict(template)
    moment = START + rng.randrange(SPAN_SECONDS)
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


def generate(
    samples: list[dict[str, Any]], folder: Path, total: int, boundaries: set[int]
) -> list[tuple[Path, int]]:
    """Write `total` records as JSONL files ending at each boundary; (file, records so far)."""
    rng = random.Random(SEED)
    ends = sorted({b for b in boundaries if 0 < b < total} | {total})
    files: list[tuple[Path, int]] = []
    index = 0
    for number, end in enumerate(ends):
        path = folder / f"part-{number:05d}.jsonl"
        with path.open("w", encoding="utf-8") as f:
            while index < end:
                record = vary(samples[rng.randrange(len(samples))], rng)
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


Run = Callable[[list[Path]], int]


def make_replay(config: Path) -> tuple[Run, Run, int]:
    """The record reader alone and the whole replay over the same files; how many events."""
    from trailwatch.replay import Replayer
    from trailwatch.replay.records import ReadStats, read_records
    from trailwatch.spec.model import load_deployment

    alarms = load_deployment(config).alarms

    def read(paths: list[Path]) -> int:
        return sum(1 for _ in read_records(paths, ReadStats()))

    def replay(paths: list[Path]) -> int:
        replayer = Replayer(alarms)
        replayer.feed(read_records(paths, ReadStats()))
        replayer.outcomes()  # the alarm simulation's evaluation is part of a replay
        return replayer.records

    return read, replay, len(alarms)


def timed(function: Run, paths: list[Path]) -> tuple[float, float, int]:
    """CPU and wall seconds of one run, and the records it saw."""
    gc.collect()
    cpu, wall = time.process_time(), time.perf_counter()
    count = function(paths)
    return time.process_time() - cpu, time.perf_counter() - wall, count


def peak_memory_mb() -> float:
    """This process's high-water mark of resident memory, in MB."""
    try:
        # VmHWM belongs to the current program image; ru_maxrss would carry over the parent's
        # peak across fork and exec.
        for line in Path("/proc/self/status").read_text().splitlines():
            if line.startswith("VmHWM:"):
                return int(line.split()[1]) / 1024
    except OSError:
        pass
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    return peak / 2**20 if sys.platform == "darwin" else peak / 1024  # bytes on macOS, else KiB


def measure_memory_child(paths: list[Path], config: Path) -> dict[str, Any]:
    """In the subprocess: replay the files through the public API and report peak memory."""
    from trailwatch.replay import replay
    from trailwatch.spec.model import load_deployment

    deployment = load_deployment(config)
    before = peak_memory_mb()
    result = replay(paths, deployment)
    return {
        "records": result.records,
        # The simulation's memory grows with these (periods), never with records.
        "alarm_periods": sum(len(event.alarms) for event in result.events),
        "before_replay_mb": round(before, 1),
        "peak_mb": round(peak_memory_mb(), 1),
    }


def measure_memory(paths: list[Path], config: Path) -> dict[str, Any]:
    command = [
        sys.executable,
        str(Path(__file__).resolve()),
        "--config",
        str(config),
        "--measure-memory",
        *map(str, paths),
    ]
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

    read_run, replay_run, events = make_replay(args.config)
    runs: dict[str, list[tuple[float, float]]] = {"decode": [], "read": [], "replay": []}
    measures = {"decode": decode_only, "read": read_run, "replay": replay_run}
    with console.status(f"timing decode, read and replay over {args.records:,} records"):
        for _ in range(args.repeat):
            for name, function in measures.items():
                cpu, wall, count = timed(function, paths)
                assert count == args.records, (name, count)
                runs[name].append((cpu, wall))

    memory = []
    for size in memory_sizes:
        with console.status(f"peak memory of a replay of {size:,} records"):
            memory.append(measure_memory(files_for(files, size), args.config))

    figures = {name: _figures(times, args.records) for name, times in runs.items()}
    decode_us, read_us, replay_us = (figures[n]["us_per_record"] for n in measures)
    return {
        "records": args.records,
        "input_mb": round(size_mb, 1),
        "repeat": args.repeat,
        "events": events,
        "python": platform.python_version(),
        **figures,
        "ratio": round(
            figures["replay"]["records_per_second"] / figures["decode"]["records_per_second"], 3
        ),
        "wall_ratio": round(
            figures["replay"]["wall_records_per_second"]
            / figures["decode"]["wall_records_per_second"],
            3,
        ),
        "goal": GOAL,
        "per_record_us": {
            "decode": decode_us,
            "reader_overhead": round(read_us - decode_us, 2),
            "match_and_simulation": round(replay_us - read_us, 2),
            "replay": replay_us,
        },
        "memory": memory,
    }


def _figures(times: list[tuple[float, float]], records: int) -> dict[str, float]:
    cpu = statistics.median(t[0] for t in times)
    wall = statistics.median(t[1] for t in times)
    return {
        "cpu_seconds": round(cpu, 3),
        "records_per_second": round(records / cpu),
        "us_per_record": round(cpu / records * 1e6, 2),
        "wall_seconds": round(wall, 3),
        "wall_records_per_second": round(records / wall),
    }


def report(results: dict[str, Any]) -> None:
    from rich.console import Console
    from rich.table import Table

    console = Console()
    table = Table(
        title=f"replay vs decode-only, {results['records']:,} records "
        f"({results['input_mb']} MB), {results['events']} events, median of {results['repeat']}"
    )
    for column in ("measure", "records/s (CPU)", "µs/record (CPU)", "records/s (wall)"):
        table.add_column(column, justify="right" if column != "measure" else "left")
    per = results["per_record_us"]
    for name, label in (
        ("decode", "decode only"),
        ("read", "trailwatch reader"),
        ("replay", "replay, 17 events"),
    ):
        row = results[name]
        table.add_row(
            label,
            f"{row['records_per_second']:,}",
            f"{row['us_per_record']}",
            f"{row['wall_records_per_second']:,}",
        )
    console.print(table)
    verdict = "meets" if results["ratio"] >= results["goal"] else "misses"
    console.print(
        f"replay/decode throughput ratio: {results['ratio']:.2f} CPU, "
        f"{results['wall_ratio']:.2f} wall ({verdict} the goal {results['goal']:.2f}); "
        f"per record: decode {per['decode']} µs, reader +{per['reader_overhead']} µs, "
        f"matching and simulation +{per['match_and_simulation']} µs",
        markup=False,
    )
    if results["memory"]:
        memory = Table(title="peak memory of a replay (fresh process per size)")
        for column in ("records", "ALARM periods", "peak before replay", "peak after replay"):
            memory.add_column(column, justify="right")
        for row in results["memory"]:
            memory.add_row(
                f"{row['records']:,}",
                f"{row['alarm_periods']:,}",
                f"{row['before_replay_mb']} MB",
                f"{row['peak_mb']} MB",
            )
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
