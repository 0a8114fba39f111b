"""(a) ``event-service summarize`` against polars and DuckDB on the same file: whole-process wall time."""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Any

from bench.procs import EVENT_SERVICE, timed_run
from bench.stats import median, spread


def _commands(path: Path) -> dict[str, list[str]]:
    return {
        "summarize --workers 1": [EVENT_SERVICE, "summarize", str(path), "--workers", "1"],
        "summarize --workers 2": [EVENT_SERVICE, "summarize", str(path), "--workers", "2"],
        "polars": [sys.executable, "-m", "bench.baselines", "polars", str(path)],
        "duckdb": [sys.executable, "-m", "bench.baselines", "duckdb", str(path)],
    }


def _counts(name: str, stdout: str) -> dict[str, dict[str, int]]:
    document = json.loads(stdout)
    return document["metrics"] if name.startswith("summarize") else document


def run(path: Path, rows: int, repeats: int, log: Any) -> dict[str, Any]:
    commands = _commands(path)
    # The same commands on a one-row file: the fixed cost (interpreter, imports, pool start-up) of each.
    one_row = path.parent / "one-row.csv"
    one_row.write_bytes(path.open("rb").readline() + path.open("rb").readlines(1 << 10)[1])
    startup_commands = _commands(one_row)
    walls: dict[str, list[float]] = {name: [] for name in commands}
    cpus: dict[str, list[float]] = {name: [] for name in commands}
    startups: dict[str, list[float]] = {name: [] for name in commands}
    outputs: dict[str, dict[str, dict[str, int]]] = {}
    # Round-robin, so a noisy minute hurts every contender alike.
    for attempt in range(repeats):
        for name, command in commands.items():
            timed = timed_run(command)
            walls[name].append(timed.wall)
            cpus[name].append(timed.cpu)
            outputs.setdefault(name, _counts(name, timed.stdout))
            startups[name].append(timed_run(startup_commands[name]).wall)
            log(
                f"  {name:<22} run {attempt + 1}/{repeats}: {timed.wall:6.2f} s wall, {timed.cpu:6.2f} s CPU; "
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
    best = min(("summarize --workers 1", "summarize --workers 2"), key=lambda n: results[n]["wall_s"]["median"])

    def ratio(baseline: str) -> float:
        # Time ratios, as the issue states its targets: baseline time / our time (1.0 = as fast, >1 = faster),
        # the median of per-round ratios (each round runs every contender back to back).
        return median([b / ours for b, ours in zip(walls[baseline], walls[best], strict=True)])

    return {
        "contenders": results,
        "best_summarize": best,
        "vs_polars": ratio("polars"),
        "vs_duckdb": ratio("duckdb"),
        "days": len(reference),
        "event_types": len({t for per_day in reference.values() for t in per_day}),
    }
