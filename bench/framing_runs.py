"""Framing and parsing in one thread, per file shape: what exact framing costs next to the parse it feeds.

``python -m bench.framing_runs [ROWS]`` writes the benchmark's events file (LF, nothing quoted) and two variants
of the same rows, every field quoted and lone-CR line endings, then times for each: framing alone
(``iter_record_chunks``) and framing plus ``parse_chunk``, the stage the InlinePool runs. Plain files skip every
check of the framer (no quote); quoted ones pass its RFC 4180 expression; neither needs the csv reader's check.
"""

from __future__ import annotations

import sys
import time
from collections.abc import Callable, Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from bench.data import events_file
from bench.stats import median, spread
from event_service.domain import TimestampBounds, iter_record_chunks, parse_chunk, parse_header, split_first_record

ROOT = Path(__file__).resolve().parent.parent


def variants(directory: Path, rows: int) -> dict[str, Path]:
    """The events file and its quoted and CR-only twins (same rows, same order), written once."""
    plain = events_file(directory, rows)
    paths = {"LF, unquoted": plain}
    for name, suffix, rewrite in (
        ("LF, every field quoted", "quoted", lambda line: ",".join(f'"{f}"' for f in line.split(",")) + "\n"),
        ("lone CR, unquoted", "cr", lambda line: line + "\r"),
    ):
        path = plain.with_suffix(f".{suffix}.csv")
        if not path.exists():
            with (
                plain.open(encoding="utf-8", newline="") as source,
                path.open("w", encoding="utf-8", newline="") as out,
            ):
                out.writelines(rewrite(line.removesuffix("\n")) for line in source)
        paths[name] = path
    return paths


def _blocks(path: Path) -> Iterator[bytes]:
    with path.open("rb") as file:
        while block := file.read(1 << 18):
            yield block


def frame_only(path: Path) -> int:
    return sum(1 for _ in iter_record_chunks(_blocks(path)))


def frame_and_parse(path: Path) -> int:
    chunks = iter_record_chunks(_blocks(path))
    header_record, rest = split_first_record(next(chunks))
    header = parse_header(header_record)
    bounds = TimestampBounds.around(datetime.now(UTC))
    return sum(parse_chunk(chunk, header, bounds).rows for chunk in (rest, *chunks))


def run(paths: dict[str, Path], repeats: int, log: Callable[[str], None]) -> dict[str, Any]:
    results: dict[str, Any] = {}
    for name, path in paths.items():
        framing, total = [], []
        rows = 0
        for _ in range(repeats):
            started = time.perf_counter()
            frame_only(path)
            framing.append(time.perf_counter() - started)
            started = time.perf_counter()
            rows = frame_and_parse(path)
            total.append(time.perf_counter() - started)
        results[name] = {
            "rows": rows,
            "framing_s": spread(framing),
            "frame_and_parse_s": spread(total),
            "rows_per_s": rows / median(total),
            "framing_share": median([f / t for f, t in zip(framing, total, strict=True)]),
        }
        log(
            f"  {name:<24} {rows:>9} rows  framing {median(framing):6.3f} s  frame+parse {median(total):6.2f} s  "
            f"({results[name]['rows_per_s']:,.0f} rows/s, framing {results[name]['framing_share']:.1%})"
        )
    return results


if __name__ == "__main__":
    run(variants(ROOT / ".bench" / "data", int(sys.argv[1]) if len(sys.argv) > 1 else 1_000_000), 3, print)
