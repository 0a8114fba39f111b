"""``python -m bench``: generate the data, run every measurement, rewrite docs/benchmarks.{md,json,png}.

Sizes come from the environment (defaults in brackets):
  BENCH_ROWS [1000000]        rows of the generated CSV for summarize and the pool stage
  BENCH_REPEATS [3]           runs per contender (medians are reported; at least 3 for the doc's claims)
  BENCH_UPLOAD_ROWS [250000]  rows per upload (4 disjoint slices of the file: 3 timed, 1 profiled)
  BENCH_HTTP_SECONDS [3]      seconds per HTTP load round
  BENCH_HTTP_ROUNDS [5]       rounds per server, each /health then /metrics (ratios: median of the rounds')
  BENCH_QUEUE_BATCHES [40]    1-row batches for the process -> visible latency (at least 30)
  BENCH_QUEUE_JOBS [200]      jobs for the throughput runs (the in-process queue and the worker scaling runs)
  BENCH_QUICK=1               a smoke run: 100k rows, small sizes, results written under .bench/quick/
  BENCH_OUT [docs]            where benchmarks.md/.json/.png go
"""

from __future__ import annotations

import json
import os
import platform
import subprocess
import sys
import time
from dataclasses import asdict, dataclass
from datetime import UTC, datetime
from importlib.metadata import version
from pathlib import Path
from typing import Any

from bench import (
    memory_runs,
    pool_runs,
    profiles,
    report,
    service_runs,
    store_runs,
    summarize_runs,
    worker_scaling_runs,
)
from bench.data import events_file, sha256_of
from bench.procs import EVENT_SERVICE, Server

ROOT = Path(__file__).resolve().parent.parent
SCALING_ROUNDS = 5


@dataclass(frozen=True)
class Config:
    rows: int
    repeats: int
    upload_rows: int
    http_seconds: float
    http_rounds: int
    queue_batches: int
    queue_jobs: int
    out: Path
    quick: bool

    @classmethod
    def from_env(cls) -> Config:
        quick = os.environ.get("BENCH_QUICK", "") not in ("", "0")

        def number(name: str, default: float, quick_default: float) -> float:
            return float(os.environ.get(name, quick_default if quick else default))

        rows = int(number("BENCH_ROWS", 1_000_000, 100_000))
        return cls(
            rows=rows,
            repeats=max(1, int(number("BENCH_REPEATS", 3, 1))),
            upload_rows=min(int(number("BENCH_UPLOAD_ROWS", 250_000, 20_000)), rows // 4),
            http_seconds=number("BENCH_HTTP_SECONDS", 3, 2),
            http_rounds=max(1, int(number("BENCH_HTTP_ROUNDS", 5, 1))),
            queue_batches=int(number("BENCH_QUEUE_BATCHES", 40, 10)),
            queue_jobs=int(number("BENCH_QUEUE_JOBS", 200, 40)),
            out=Path(os.environ.get("BENCH_OUT", ROOT / (".bench/quick" if quick else "docs"))),
            quick=quick,
        )


def log(message: str) -> None:
    print(f"[{time.strftime('%H:%M:%S')}] {message}", flush=True)


def _git_commit() -> str:
    done = subprocess.run(["git", "rev-parse", "--short", "HEAD"], cwd=ROOT, capture_output=True, text=True)
    dirty = subprocess.run(["git", "status", "--porcelain", "--", "src"], cwd=ROOT, capture_output=True, text=True)
    commit = done.stdout.strip() or "unknown"
    return commit + ("+uncommitted changes in src/" if dirty.stdout.strip() else "")


def _cpu_model() -> str:
    for line in Path("/proc/cpuinfo").read_text().splitlines():
        if line.startswith("model name"):
            return line.split(":", 1)[1].strip()
    return platform.processor() or "unknown"


def meta(config: Config, path: Path) -> dict[str, Any]:
    return {
        "date": datetime.now(UTC).strftime("%Y-%m-%d %H:%M UTC"),
        "commit": _git_commit(),
        "cpus": os.cpu_count(),
        "cpu_model": _cpu_model(),
        "python": platform.python_version(),
        "load_average_start": os.getloadavg(),
        "versions": {name: version(name) for name in ("event-service", "polars", "duckdb", "granian", "saq")},
        "config": {k: (str(v) if isinstance(v, Path) else v) for k, v in asdict(config).items()},
        "file": {"rows": config.rows, "bytes": path.stat().st_size, "sha256": sha256_of(path)},
    }


def main() -> int:
    config = Config.from_env()
    started = time.monotonic()
    log(f"config: {config}")
    path = events_file(ROOT / ".bench" / "data", config.rows)
    log(f"data: {path} ({path.stat().st_size / 1e6:.1f} MB)")
    results: dict[str, Any] = {"meta": meta(config, path)}

    log("(a) summarize vs polars vs DuckDB, whole-process wall time")
    results["summarize"] = summarize_runs.run(path, config.rows, config.repeats, log)

    log("(b) compute pool on the CPU-bound stage")
    results["pool"] = pool_runs.run(path, config.repeats, log)
    results["pool"]["chunk_sweep"] = pool_runs.chunk_sweep(path, config.repeats, log)

    slices = service_runs.upload_slices(path, config.upload_rows, 4)
    results["upload"], results["http"] = {}, {}
    log("(c, d, e) server A: `event-service serve`, all defaults (inline parsing, metrics cache on)")
    with Server() as server:
        results["upload"]["inline"] = service_runs.uploads(server, slices[:3], config.upload_rows, log, "A")
        log("  profiling one more upload")
        results["profile_upload"] = service_runs.profile_upload(server, slices[3])
        results["http"]["cached"] = service_runs.http_reads(server, config.http_seconds, config.http_rounds, log, "A")
        log("  profiling GET /metrics under load")
        results["profile_metrics"] = service_runs.profile_metrics(server, 5)
        results["queue"] = service_runs.queue_runs(server, config.queue_batches, config.queue_jobs, log)
    log("(c, d) server B: COMPUTE_WORKERS=2 (process pool), METRICS_CACHE_TTL=0 (every read from the SQLite store)")
    with Server(settings={"COMPUTE_WORKERS": "2", "METRICS_CACHE_TTL": "0"}) as server:
        results["upload"]["pool2"] = service_runs.uploads(server, slices[:3], config.upload_rows, log, "B")
        results["http"]["uncached"] = service_runs.http_reads(server, config.http_seconds, config.http_rounds, log, "B")

    log("profiling `event-service summarize --workers 1`")
    summarize_profile = profiles.Recording([EVENT_SERVICE, "summarize", str(path), "--workers", "1"]).wait()
    results["profile_summarize"] = profiles.summarise(
        summarize_profile,
        [
            ("module imports at start-up", profiles.stack_has("_find_and_load")),
            ("timestamp parsing", profiles.stack_has("parse_timestamp", "timestamps.py")),
            ("csv reader + row checks (parse_chunk)", profiles.stack_has("parse_chunk")),
            ("merging chunk results (IngestReport.add)", profiles.stack_has("report.py")),
            ("framing + reading", profiles.stack_has("framing.py", "csv_stream.py")),
        ],
    )

    log("(f) peak memory while ingesting, a file of a tenth of the rows and the whole file")
    results["memory"] = memory_runs.run(path, config.rows, config.repeats, log)

    log("(g) the embedded SQLite store: an upload with event_id vs raw executemany, 4x rows, /health meanwhile")
    results["store"] = store_runs.run(path, config.rows, log)

    log("(h) job throughput on the SQLite store: two `event-service worker` processes against one")
    # At least 5 rounds: a round times only a fraction of a second of work.
    rounds = config.repeats if config.quick else max(config.repeats, SCALING_ROUNDS)
    results["scaling"] = worker_scaling_runs.run(config.queue_jobs, rounds, log)

    results["meta"]["load_average_end"] = os.getloadavg()
    results["meta"]["duration_s"] = time.monotonic() - started
    config.out.mkdir(parents=True, exist_ok=True)
    (config.out / "benchmarks.json").write_text(json.dumps(results, indent=2, sort_keys=False) + "\n")
    report.write_chart(results, config.out / "benchmarks.png")
    (config.out / "benchmarks.md").write_text(report.markdown(results))
    log(f"wrote {config.out}/benchmarks.md, .json and .png in {results['meta']['duration_s']:.0f} s")
    return 0


if __name__ == "__main__":
    sys.exit(main())
