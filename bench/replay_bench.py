"""Benchmark `trailwatch replay` against a decode-only baseline, and its memory at two sizes.

    python bench/replay_bench.py                      # 200,000 records; memory at 200k and 1M
    python bench/replay_bench.py --records 2000 --memory-sizes 1000,2000   # a quick check

Records are the shared CloudTrail samples, sampled with a fixed seed and varied (eventTime,
eventID, sourceIPAddress, userIdentity) into JSON Lines files in a temporary folder. In one run:
- decode: read every line and `json.loads` it (the least any replay must do);
- read: trailwatch's record reader alone (decode plus its bookkeeping of lines and skips);
- replay: the reader, all enabled events through `compile_many`, and the alarm simulation;
each the median of `--repeat` runs, interleaved so that machine noise hits all alike. Then:
- `--jobs`: the replay of the same files in 1 and in N processes (wall-clock, as the work is in
  the children), the speed-up N can give at most being N;
- DuckDB: `--engine duckdb` against the Python engine (one process) over the largest memory
  size's files (1,000,000 records by default), wall-clock, the result checked equal;
- start-up: the CPU time of `trailwatch replay --json` on a two-record file, in a subprocess
  (catalog load and imports: what every run pays). Times are
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
import os
import platform
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
GOAL = 1.0
STARTUP_GOAL_S = 0.3
# The worktree's own code, whatever the environment's editable install points at.
CHILD_ENV = {**os.environ, "PYTHONPATH": str(REPO)}
sys.path.insert(0, str(REPO))


def parse_args(argv: Sequence[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--records", type=int, default=200_000, help="records for throughput")
    parser.add_argument(
        "--memory-sizes",
        default="200000,1000000",
        help="comma-separated record counts to measure peak memory at (empty: skip)",
    )
    parser.add_argument("--repeat", type=int, default=3, help="runs per measure (median)")
    parser.add_argument("--jobs", type=int, default=0, help="processes to compare with 1 (0: CPUs)")
    parser.add_argument("--no-duckdb", action="store_true", help="skip the DuckDB comparison")
    parser.add_argument("--per-file", type=int, default=50_000, help="records per JSONL file")
    parser.add_argument("--samples", type=Path, default=SAMPLES, help="shared samples folder")
    parser.add_argument("--config", type=Path, default=REPO / "trailwatch.yaml")
    parser.add_argument("--out", type=Path, default=REPO / "bench" / "out" / "replay.json")
    parser.add_argument("--workdir", type=Path, help="generate here instead of a temp folder")
    # Internal: the memory subprocess.
    parser.add_argument("--measure-memory", nargs="+", type=Path, help=argparse.SUPPRESS)
    return parser.parse_args(argv)


# --- generating records ---------------------------------------------------------------------------


def generate(
    samples: list[dict[str, Any]], folder: Path, total: int, boundaries: set[int]
) -> list[tuple[Path, int]]:
    """Write `total` records as JSONL files ending at each boundary; (file, records so far)."""
    from trailwatch.replay import synthetic

    records = synthetic.records(samples, total)
    ends = sorted({b for b in boundaries if 0 < b < total} | {total})
    files: list[tuple[Path, int]] = []
    done = 0
    for number, end in enumerate(ends):
        path = folder / f"part-{number:05d}.jsonl"
        done += synthetic.write_jsonl(path, records, end - done)
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
    done = subprocess.run(command, capture_output=True, text=True, check=True, env=CHILD_ENV)
    measured: dict[str, Any] = json.loads(done.stdout)
    return measured


def measure_jobs(paths: list[Path], config: Path, jobs: int, repeat: int) -> dict[str, Any]:
    """Wall-clock of the replay of the files in 1 and in `jobs` processes."""
    from trailwatch.replay import replay
    from trailwatch.spec.model import load_deployment

    deployment = load_deployment(config)
    walls: dict[int, list[float]] = {1: [], jobs: []}
    results = {}
    for _ in range(repeat):
        for n in walls:
            gc.collect()
            started = time.perf_counter()
            results[n] = replay(paths, deployment, jobs=n)
            walls[n].append(time.perf_counter() - started)
    assert results[1] == results[jobs], "--jobs changed the answer"
    one, many = statistics.median(walls[1]), statistics.median(walls[jobs])
    return {
        "files": len(paths),
        "jobs": jobs,
        "wall_seconds_1": round(one, 3),
        f"wall_seconds_{jobs}": round(many, 3),
        "speedup": round(one / many, 2),
        "efficiency": round(one / many / jobs, 2),
    }


def measure_duckdb(paths: list[Path], config: Path, records: int) -> dict[str, Any]:
    """Wall-clock of `--engine duckdb` against the Python engine in one process, same files."""
    from trailwatch.replay import replay
    from trailwatch.replay.sql.duckdb_engine import replay_duckdb
    from trailwatch.spec.model import load_deployment

    deployment = load_deployment(config)
    gc.collect()
    started = time.perf_counter()
    python = replay(paths, deployment, jobs=1)
    python_s = time.perf_counter() - started
    started = time.perf_counter()
    duckdb = replay_duckdb(paths, deployment)
    duckdb_s = time.perf_counter() - started
    same = (python.records, python.events) == (duckdb.records, duckdb.events)
    assert same, "the engines disagree"
    return {
        "records": records,
        "python_wall_seconds": round(python_s, 3),
        "duckdb_wall_seconds": round(duckdb_s, 3),
        "python_records_per_second": round(records / python_s),
        "duckdb_records_per_second": round(records / duckdb_s),
        "ratio": round(python_s / duckdb_s, 2),
        "equal": same,
    }


def measure_startup(samples: Path, workdir: Path, repeat: int) -> dict[str, Any]:
    """CPU seconds of `trailwatch replay --json` on a two-record file, in a fresh process."""
    two = workdir / "two.jsonl"
    lines = (samples / "aws-docs.jsonl").read_text(encoding="utf-8").splitlines()[:2]
    two.write_text("\n".join(lines) + "\n", encoding="utf-8")
    command = [sys.executable, "-m", "trailwatch.cli", "replay", "--json", str(two)]
    cpu = []
    for _ in range(max(repeat, 5)):
        before = resource.getrusage(resource.RUSAGE_CHILDREN)
        subprocess.run(command, capture_output=True, check=True, env=CHILD_ENV, cwd=REPO)
        after = resource.getrusage(resource.RUSAGE_CHILDREN)
        cpu.append(after.ru_utime - before.ru_utime + after.ru_stime - before.ru_stime)
    return {"cpu_seconds": round(statistics.median(cpu), 3), "goal_seconds": STARTUP_GOAL_S}


# --- the run --------------------------------------------------------------------------------------


def bench(args: argparse.Namespace, workdir: Path) -> dict[str, Any]:
    from rich.console import Console

    console = Console(stderr=True)
    memory_sizes = [int(s) for s in args.memory_sizes.split(",") if s.strip()]
    total = max([args.records, *memory_sizes])
    boundaries = {args.records, *memory_sizes, *range(args.per_file, total, args.per_file)}
    from trailwatch.replay.synthetic import load_samples

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

    jobs = args.jobs or _cpus()
    with console.status(f"timing the replay in 1 and {jobs} processes"):
        scaling = measure_jobs(paths, args.config, jobs, args.repeat)
    duck = None
    if not args.no_duckdb:
        largest = max([args.records, *memory_sizes])
        with console.status(f"DuckDB against the Python engine over {largest:,} records"):
            duck = measure_duckdb(files_for(files, largest), args.config, largest)
    with console.status("start-up of trailwatch replay on two records"):
        startup = measure_startup(args.samples, workdir, args.repeat)

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
        "jobs": scaling,
        "duckdb": duck,
        "startup": startup,
    }


def _cpus() -> int:
    from trailwatch.replay.parallel import default_jobs

    return max(default_jobs(), 2)


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
    scaling = results["jobs"]
    jobs = scaling["jobs"]
    console.print(
        f"--jobs over {scaling['files']} files: {scaling['wall_seconds_1']} s in 1 process, "
        f"{scaling[f'wall_seconds_{jobs}']} s in {jobs}: speed-up {scaling['speedup']:.2f} "
        f"(efficiency {scaling['efficiency']:.2f}; wall-clock)",
        markup=False,
    )
    duck = results["duckdb"]
    if duck:
        console.print(
            f"DuckDB vs Python over {duck['records']:,} records: {duck['duckdb_wall_seconds']} s "
            f"against {duck['python_wall_seconds']} s, ratio {duck['ratio']:.2f} "
            f"({duck['duckdb_records_per_second']:,} against "
            f"{duck['python_records_per_second']:,} records/s, wall-clock; answers equal)",
            markup=False,
        )
    startup = results["startup"]
    verdict = "meets" if startup["cpu_seconds"] <= startup["goal_seconds"] else "misses"
    console.print(
        f"start-up (trailwatch replay --json, two records): {startup['cpu_seconds']} s CPU "
        f"({verdict} the goal {startup['goal_seconds']} s)",
        markup=False,
    )


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
