"""(b) The compute pool on the CPU-bound stage (parse + validate + aggregate), 1 vs 2 processes.

The file is read and cut into record-aligned chunks beforehand, so only the stage is timed. Three ways:
- ``inline``: the InlinePool (one thread of this process), the reference for one core;
- ``pool``: the service's ProcessPool adapter with 1 and 2 processes, events shipped back as msgpack;
- ``parse only``: a bare process pool running the same ``parse_chunk`` but returning only its counts, the
  ceiling the hardware allows once nothing but the aggregate crosses the process boundary.
"""

from __future__ import annotations

import asyncio
import multiprocessing
import time
from collections.abc import AsyncIterator, Callable
from concurrent.futures import ProcessPoolExecutor
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from bench.stats import median, spread
from event_service.adapters.compute import InlinePool, ProcessPool
from event_service.domain import Header, TimestampBounds, iter_record_chunks, parse_chunk, parse_header
from event_service.domain import split_first_record as split_header
from event_service.domain.framing import DEFAULT_CHUNK_BYTES


def _blocks(path: Path) -> Any:
    with path.open("rb") as file:
        while block := file.read(1 << 18):
            yield block


def load_chunks(path: Path, chunk_bytes: int = DEFAULT_CHUNK_BYTES) -> tuple[Header, list[bytes]]:
    chunks = list(iter_record_chunks(_blocks(path), chunk_bytes))
    header_record, rest = split_header(chunks[0])
    return parse_header(header_record), [rest, *chunks[1:]] if rest else chunks[1:]


def count_only(chunk: bytes, header: Header, bounds: TimestampBounds) -> int:
    return parse_chunk(chunk, header, bounds).rows


async def _through_pool(pool: InlinePool | ProcessPool, chunks: list[bytes], header: Header, bounds: Any) -> int:
    async def source() -> AsyncIterator[bytes]:
        for chunk in chunks:
            yield chunk

    rows = 0
    async for parsed in pool.parse_chunks(source(), header, bounds):
        rows += parsed.rows
    return rows


def _bare(executor: ProcessPoolExecutor, chunks: list[bytes], header: Header, bounds: Any) -> int:
    return sum(executor.map(count_only, chunks, [header] * len(chunks), [bounds] * len(chunks)))


CHUNK_SIZES = (256 << 10, 1 << 20, 4 << 20)


def chunk_sweep(path: Path, repeats: int, log: Callable[[str], None]) -> dict[str, Any]:
    """The 2-process pool adapter at several chunk sizes (the service cuts uploads at DEFAULT_CHUNK_BYTES)."""
    bounds = TimestampBounds.around(datetime.now(UTC))
    cut = {size: load_chunks(path, size) for size in CHUNK_SIZES}
    timings: dict[int, list[float]] = {size: [] for size in CHUNK_SIZES}
    rows = 0
    pool = ProcessPool(2)
    try:
        asyncio.run(_through_pool(pool, cut[CHUNK_SIZES[0]][1][:2], cut[CHUNK_SIZES[0]][0], bounds))
        for attempt in range(repeats):
            for size, (header, chunks) in cut.items():
                started = time.perf_counter()
                rows = asyncio.run(_through_pool(pool, chunks, header, bounds))
                timings[size].append(time.perf_counter() - started)
                log(
                    f"  pool 2 processes, {size >> 10:>5} KiB chunks, run {attempt + 1}/{repeats}: "
                    f"{timings[size][-1]:6.2f} s"
                )
    finally:
        pool.close()
    return {
        str(size): {"chunks": len(cut[size][1]), "wall_s": spread(values), "rows_per_s": rows / median(values)}
        for size, values in timings.items()
    }


def run(path: Path, repeats: int, log: Callable[[str], None]) -> dict[str, Any]:
    header, chunks = load_chunks(path)
    bounds = TimestampBounds.around(datetime.now(UTC))
    context = multiprocessing.get_context("forkserver")
    pools: dict[str, Any] = {
        "inline": InlinePool(),
        "pool 1 process": ProcessPool(1),
        "pool 2 processes": ProcessPool(2),
        "parse only, 1 process": ProcessPoolExecutor(1, mp_context=context),
        "parse only, 2 processes": ProcessPoolExecutor(2, mp_context=context),
    }
    timings: dict[str, list[float]] = {name: [] for name in pools}
    rows = 0
    try:
        for pool in pools.values():  # warm up: start the processes, import the domain in them
            if isinstance(pool, ProcessPoolExecutor):
                _bare(pool, chunks[:2], header, bounds)
            else:
                asyncio.run(_through_pool(pool, chunks[:2], header, bounds))
        for attempt in range(repeats):
            for name, pool in pools.items():
                started = time.perf_counter()
                if isinstance(pool, ProcessPoolExecutor):
                    rows = _bare(pool, chunks, header, bounds)
                else:
                    rows = asyncio.run(_through_pool(pool, chunks, header, bounds))
                timings[name].append(time.perf_counter() - started)
                log(f"  {name:<24} run {attempt + 1}/{repeats}: {timings[name][-1]:6.2f} s")
    finally:
        for pool in pools.values():
            if isinstance(pool, ProcessPoolExecutor):
                pool.shutdown()
            else:
                pool.close()
    results = {
        name: {"wall_s": spread(values), "rows_per_s": rows / spread(values)["median"]}
        for name, values in timings.items()
    }

    def speedup(one: str, two: str) -> float:
        """The median of per-round ratios: each round runs every stage back to back."""
        return median([a / b for a, b in zip(timings[one], timings[two], strict=True)])

    return {
        "rows": rows,
        "chunks": len(chunks),
        "chunk_bytes": DEFAULT_CHUNK_BYTES,
        "stages": results,
        "speedup_pool": speedup("pool 1 process", "pool 2 processes"),
        "speedup_parse_only": speedup("parse only, 1 process", "parse only, 2 processes"),
        "pool2_vs_inline": speedup("inline", "pool 2 processes"),
    }
