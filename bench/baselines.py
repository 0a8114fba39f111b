"""The validation-free baselines: count rows per (UTC day, event type) with polars or DuckDB.

Run as ``python -m bench.baselines {polars,duckdb} FILE``: it prints ``{day: {event_type: count}}`` as JSON,
so the harness times the whole process, exactly as it times ``event-service summarize``. The day is the
timestamp's first ten characters, which the benchmark file guarantees is its UTC day; nothing is validated.
"""

from __future__ import annotations

import json
import sys
from collections import defaultdict
from typing import Any

COLUMNS = {"user_id": "VARCHAR", "event_type": "VARCHAR", "timestamp": "VARCHAR"}


def nest(rows: Any) -> dict[str, dict[str, int]]:
    counts: dict[str, dict[str, int]] = defaultdict(dict)
    for day, event_type, count in rows:
        counts[day][event_type] = int(count)
    return dict(counts)


def polars_counts(path: str) -> dict[str, dict[str, int]]:
    import polars as pl

    frame = (
        pl.scan_csv(path, schema={name: pl.String for name in COLUMNS})
        .group_by(pl.col("timestamp").str.slice(0, 10).alias("day"), "event_type")
        .len()
        .collect()
    )
    return nest(frame.iter_rows())


def duckdb_counts(path: str) -> dict[str, dict[str, int]]:
    import duckdb

    relation = duckdb.sql(
        "SELECT substr(timestamp, 1, 10) AS day, event_type, count(*) "
        "FROM read_csv($path, header = true, columns = $columns) GROUP BY ALL",
        params={"path": path, "columns": COLUMNS},
    )
    return nest(relation.fetchall())


ENGINES = {"polars": polars_counts, "duckdb": duckdb_counts}


def main(argv: list[str]) -> int:
    engine, path = argv
    sys.stdout.write(json.dumps(ENGINES[engine](path)) + "\n")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
