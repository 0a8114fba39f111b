"""(a) ``event-service summarize`` against polars and DuckDB on the same file: whole-process wall time."""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Any

from bench.procs import EVENT_SERVICE, timed_run
from bench.stats import median, spread

DEFAULT = "summarize (default options)"
UNCACHED = ", no bytecode cache"
"""Contenders run as this sandbox runs everything (PYTHONDONTWRITEBYTECODE=1): each run compiles its modules."""
WORKER_SETTINGS = ("summarize --workers 1", "summarize --workers 2")


def contender_commands(path: Path) -> dict[str, list[str]]:
    return {
        # As a user runs it: no --workers, so the CLI's default (a process per core it may run on).
        DEFAULT: [EVENT_SERVICE, "summarize", str(path)],
        "summarize --workers 1": [EVENT_SERVICE, "summarize", str(path), "--workers", "1"],
        "summarize --workers 2": [EVENT_SERVICE, "summarize", str(path), "--workers", "2"],
        "polars": [sys.executable, "-m", "bench.baselines", "polars", str(path)],
        "duckdb": [sys.executable, "-m", "bench.baselines", "duckdb", str(path)],
        DEFAULT + UNCACHED: [EVENT_SERVICE, "summarize", str(path)],
        "polars" + UNCACHED: [sys.executable, "-m", "bench.baselines", "polars", str(path)],
    }


def _counts(name: str, stdout: str) -> dict[str, dict[str, int]]:
    document = json.loads(stdout)
    return document["metrics"] if name.startswith("summarize") else document


def run(path: Path, rows: int, repeats: int, log: Any) -> dict[str, Any]:
    commands = contender_commands(path)
    # The same commands on a one-row file: the fixed cost (interpreter, imports, pool start-up) of each.
    one_row = path.parent / "one-row.csv"
    one_row.write_bytes(path.open("rb").readline() + path.open("rb").readlines(1 << 10)[1])
    startup_commands = contender_commands(one_row)
    walls: dict[str, list[float]] = {name: [] for name in commands}
    cpus: dict[str, list[float]] = {name: [] for name in commands}
    startups: dict[str, list[float]] = {name: [] for name in commands}
    outputs: dict[str, dict[str, dict[str, int]]] = {}
    # A run of each that is not timed writes its bytecode cache (see installed_python_env).
    for name, command in startup_commands.items():
        timed_run(command, bytecode_cache=not name.endswith(UNCACHED))
    # Round-robin, so a noisy minute hurts every contender alike.
    for attempt in range(repeats):
        for name, command in commands.items():
            cached = not name.endswith(UNCACHED)
            timed = timed_run(command, bytecode_cache=cached)
            walls[name].append(timed.wall)
            cpus[name].append(timed.cpu)
            outputs.setdefault(name, _counts(name, timed.stdout))
            startups[name].append(timed_run(startup_commands[name], bytecode_cache=cached).wall)
            log(
                f"  {name:<27} run {attempt + 1}/{repeats}: {timed.wall:6.2f} s wall, {timed.cpu:6.2f} s CPU; "
                f"on one row {startups[name][-1]:5.2f} s"
            )
    reference = outputs["duckdb"]
    results: dict[str, Any] = {}
    for name in commands:
        wall = spread(walls[name])
        results[name] = {
            "wall_s": wall,
            "cpu_s": spread(cpus[name]),
            "one_row_wall_s": spread(startups[name]),
            "rows_per_s": rows / wall["median"],
            "exact_vs_duckdb": outputs[name] == reference,
        }
    best = min(WORKER_SETTINGS, key=lambda n: results[n]["wall_s"]["median"])

    def ratio(baseline: str, ours: str) -> float:
        # Time ratios, as the issues state their targets: baseline time / our time (1.0 = as fast, >1 = faster),
        # the median of per-round ratios (each round runs every contender back to back).
        return median([b / o for b, o in zip(walls[baseline], walls[ours], strict=True)])

    return {
        "contenders": results,
        "best_summarize": best,
        "vs_polars": ratio("polars", best),
        "vs_duckdb": ratio("duckdb", best),
        "default_vs_polars": ratio("polars", DEFAULT),
        "default_vs_polars_uncached": ratio("polars" + UNCACHED, DEFAULT + UNCACHED),
        "days": len(reference),
        "event_types": len({t for per_day in reference.values() for t in per_day}),
    }
