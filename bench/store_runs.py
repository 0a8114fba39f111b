"""(g) the embedded SQLite store: an upload with an ``event_id`` column against raw ``sqlite3`` ``executemany`` of
the same rows into the same schema, the upload time at a quarter of the rows (linearity), and /health meanwhile.
"""

from __future__ import annotations

import asyncio
import csv
import json
import os
import sqlite3
import sys
import tempfile
import time
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from bench.stats import percentile
from event_service.adapters.sqlite.schema import migrate

Log = Callable[[str], None]
TRANSACTION_ROWS = 25_000
HEALTH_EVERY = 0.02


def with_event_ids(source: Path, rows: int) -> bytes:
    """The first ``rows`` rows of ``source`` with an ``event_id`` column in front (distinct ids)."""
    with source.open("rb") as file:
        header = file.readline()
        lines = [file.readline() for _ in range(rows)]
    return b"event_id," + header + b"".join(b"e%09d," % index + line for index, line in enumerate(lines))


def raw_executemany(data: bytes) -> float:
    """Rows per second of ``executemany`` in transactions of 25k rows, on the service's own schema and pragmas."""
    records = csv.reader(data.decode().splitlines())
    next(records)
    rows = [("bench", user, kind, 0, stamp[:10], event_id, None) for event_id, user, kind, stamp in records]
    with tempfile.TemporaryDirectory(prefix="event-service-raw-") as directory:
        connection = sqlite3.connect(Path(directory) / "raw.sqlite3", isolation_level=None)
        connection.execute("PRAGMA journal_mode = WAL")
        connection.execute("PRAGMA synchronous = NORMAL")
        migrate(connection)
        started = time.perf_counter()
        for first in range(0, len(rows), TRANSACTION_ROWS):
            connection.execute("BEGIN IMMEDIATE")
            connection.executemany(
                "INSERT INTO events (batch_id, user_id, event_type, ts_ms, day, event_id, properties)"
                " VALUES (?, ?, ?, ?, ?, ?, ?)",
                rows[first : first + TRANSACTION_ROWS],
            )
            connection.execute("COMMIT")
        elapsed = time.perf_counter() - started
        (stored,) = connection.execute("SELECT COUNT(*) FROM events").fetchone()
        connection.close()
    if stored != len(rows):  # a baseline that skipped rows would flatter the ratio it is divided into
        raise RuntimeError(f"the raw executemany baseline stored {stored} of {len(rows)} rows")
    return len(rows) / elapsed


async def _upload_with_health(server: Any, data: bytes) -> dict[str, Any]:
    import aiohttp

    from bench.health_probe import Prober
    from bench.service_runs import _upload

    prober = Prober(f"{server.base_url}/health", HEALTH_EVERY)
    try:
        async with aiohttp.ClientSession(timeout=aiohttp.ClientTimeout(total=3600)) as session:
            began, started = time.time(), time.perf_counter()
            body = await _upload(session, server, data)
            elapsed, ended = time.perf_counter() - started, time.time()
        probes = prober.stop()
    finally:
        prober.kill()
    # Only the probes sent while the upload ran (the prober starts before it, and is stopped after).
    latencies = [
        latency
        for latency, sent in zip(probes["latencies_ms"], probes["sent_at"], strict=True)
        if began <= sent <= ended
    ]
    return {
        "seconds": elapsed,
        "rows": body["rows_total"],
        "rows_per_s": body["rows_total"] / elapsed,
        "health_probes": len(latencies),
        "health_p50_ms": percentile(latencies, 0.5),
        "health_p99_ms": percentile(latencies, 0.99),
        "health_max_ms": max(latencies),
    }


def upload(data: bytes) -> dict[str, Any]:
    """One upload on a fresh `event-service serve` (its own DATA_DIR), with /health probed every 20 ms meanwhile."""
    from bench.procs import Server  # the server stack and aiohttp only where a server runs, not in the unit tests

    with Server() as server:
        return asyncio.run(_upload_with_health(server, data))


def run(source: Path, rows: int, log: Log) -> dict[str, Any]:
    load_before = os.getloadavg()[0]
    whole = with_event_ids(source, rows)
    quarter = with_event_ids(source, rows // 4)
    raw_before = raw_executemany(whole)
    log(f"  raw sqlite3 executemany of the same {rows:,} rows: {raw_before:,.0f} rows/s")
    full = upload(whole)
    log(
        f"  upload of {rows:,} rows with event_id: {full['rows_per_s']:,.0f} rows/s ({full['seconds']:.1f} s), "
        f"/health p99 {full['health_p99_ms']:.1f} ms"
    )
    small = upload(quarter)
    log(f"  upload of {rows // 4:,} rows: {small['seconds']:.1f} s")
    raw_after = raw_executemany(whole)
    log(f"  raw sqlite3 executemany again: {raw_after:,.0f} rows/s")
    # The faster of the two: on a shared machine, the stricter baseline.
    raw = max(raw_before, raw_after)
    return {
        "measured": {
            "date": datetime.now(UTC).strftime("%Y-%m-%d %H:%M UTC"),
            "load_average": [load_before, os.getloadavg()[0]],
        },
        "raw_rows_per_s": raw,
        "raw_runs_rows_per_s": [raw_before, raw_after],
        "upload": full,
        "quarter_upload": small,
        "upload_vs_raw": full["rows_per_s"] / raw,
        "time_ratio_4x_rows": full["seconds"] / small["seconds"],
    }


def main() -> int:
    """``python -m bench.store_runs``: run (g) alone and put it into the docs/benchmarks.* of the last full run."""
    from bench.__main__ import ROOT, Config, log
    from bench.data import events_file
    from bench.report import markdown, write_chart

    config = Config.from_env()
    results_path = config.out / "benchmarks.json"
    results = json.loads(results_path.read_text())
    results["store"] = run(events_file(ROOT / ".bench" / "data", config.rows), config.rows, log)
    results_path.write_text(json.dumps(results, indent=2, sort_keys=False) + "\n")
    write_chart(results, config.out / "benchmarks.png")
    (config.out / "benchmarks.md").write_text(markdown(results))
    log(f"wrote (g) into {config.out}/benchmarks.md and .json")
    return 0


if __name__ == "__main__":
    sys.exit(main())
