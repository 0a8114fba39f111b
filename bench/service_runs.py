"""(c) uploads, (d) HTTP reads and (e) the queue, against the real ``event-service serve`` in a subprocess."""

from __future__ import annotations

import asyncio
import subprocess
import sys
import time
from collections.abc import Callable
from dataclasses import asdict
from pathlib import Path
from typing import Any

import aiohttp
from redis.asyncio import Redis
from saq import Status
from saq.queue.redis import RedisQueue

from bench import profiles
from bench.data import tiny_csv
from bench.load import load_in_subprocess
from bench.noop_worker import NOOP, NOOP_QUEUE
from bench.procs import Server, cpu_seconds
from bench.stats import median, percentile, spread

METRICS_DAY = "2025-10-15"
CONNECTIONS = 32
SERVICE_QUEUE = "metrics-processor"
Log = Callable[[str], None]


def upload_slices(path: Path, rows: int, count: int) -> list[bytes]:
    """``count`` disjoint slices of ``rows`` data rows each (distinct bytes, so none is a duplicate upload)."""
    with path.open("rb") as file:
        header = file.readline()
        lines = file.readlines()
    return [header + b"".join(lines[i * rows : (i + 1) * rows]) for i in range(count)]


async def _upload(session: aiohttp.ClientSession, server: Server, data: bytes, name: str = "events.csv") -> dict:
    form = aiohttp.FormData()
    form.add_field("file", data, filename=name, content_type="text/csv")
    async with session.post(f"{server.base_url}/uploads", data=form) as answer:
        body = await answer.json()
        if answer.status != 201:
            raise RuntimeError(f"upload answered {answer.status}: {body}")
        return body


async def _process_and_wait(session: aiohttp.ClientSession, server: Server, batch_id: str) -> None:
    async with session.post(f"{server.base_url}/batches/{batch_id}/process") as answer:
        if answer.status != 202:
            raise RuntimeError(f"process answered {answer.status}: {await answer.text()}")
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline:
        async with session.get(f"{server.base_url}/batches/{batch_id}") as answer:
            status = (await answer.json())["status"]
        if status == "processed":
            return
        if status == "failed":
            raise RuntimeError(f"batch {batch_id} failed")
        await asyncio.sleep(0.05)
    raise RuntimeError(f"batch {batch_id} not processed within 120 s")


def uploads(server: Server, slices: list[bytes], rows: int, log: Log, label: str) -> dict[str, Any]:
    """Upload each slice once, one at a time; rows/s per upload from request start to the 201."""

    async def go() -> tuple[list[float], list[float], str]:
        walls, cpus, first_batch = [], [], ""
        async with aiohttp.ClientSession(timeout=aiohttp.ClientTimeout(total=900)) as session:
            for index, data in enumerate(slices):
                cpu_before, started = cpu_seconds(server.worker_pid), time.perf_counter()
                body = await _upload(session, server, data)
                walls.append(time.perf_counter() - started)
                cpus.append(cpu_seconds(server.worker_pid) - cpu_before)
                first_batch = first_batch or body["batch_id"]
                if body["rows_accepted"] != rows:
                    raise RuntimeError(f"upload accepted {body['rows_accepted']} of {rows} rows")
                log(f"  {label}: upload {index + 1}/{len(slices)} of {rows} rows: {walls[-1]:6.2f} s")
            # Give the day the metrics runs read a total: process the first upload.
            await _process_and_wait(session, server, first_batch)
        return walls, cpus, first_batch

    walls, cpus, _ = asyncio.run(go())
    wall = spread(walls)
    return {
        "rows_per_upload": rows,
        "bytes_per_upload": len(slices[0]),
        "wall_s": wall,
        "rows_per_s": rows / wall["median"],
        "server_cpu_per_wall": median([c / w for c, w in zip(cpus, walls, strict=True)]),
    }


def profile_upload(server: Server, data: bytes) -> dict[str, Any]:
    recording = profiles.Recording(server.worker_pid, seconds=600)

    async def go() -> None:
        async with aiohttp.ClientSession(timeout=aiohttp.ClientTimeout(total=900)) as session:
            await _upload(session, server, data, "profiled.csv")

    time.sleep(0.5)  # let py-spy attach before the upload starts
    asyncio.run(go())
    recording.stop()
    stacks = recording.wait()
    return profiles.summarise(stacks, profiles.upload_categories())


def http_reads(server: Server, seconds: float, repeats: int, log: Log, label: str) -> dict[str, Any]:
    """/health and /metrics?date= alternately, ``repeats`` rounds of ``seconds`` each, 32 connections."""
    targets = {"health": "/health", "metrics": f"/metrics?date={METRICS_DAY}"}
    rounds: dict[str, list[dict[str, Any]]] = {name: [] for name in targets}
    for attempt in range(repeats):
        for name, route in targets.items():
            cpu_before = cpu_seconds(server.worker_pid)
            result = load_in_subprocess(server.base_url + route, seconds, CONNECTIONS)
            entry = asdict(result) | {"server_cpu": (cpu_seconds(server.worker_pid) - cpu_before) / result.seconds}
            if result.errors:
                raise RuntimeError(f"{route}: {result.errors} answers were not 200")
            rounds[name].append(entry)
            log(
                f"  {label} {name:<8} round {attempt + 1}/{repeats}: {result.rps:8.0f} req/s, "
                f"p50 {result.p50_ms:6.2f} ms, p99 {result.p99_ms:6.2f} ms, client CPU {result.client_cpu:.2f}, "
                f"server CPU {entry['server_cpu']:.2f}"
            )
    summary = {
        name: {
            key: median([r[key] for r in entries]) for key in ("rps", "p50_ms", "p99_ms", "client_cpu", "server_cpu")
        }
        | {"rounds": entries}
        for name, entries in rounds.items()
    }
    # Each round runs both routes back to back: the median of per-round ratios resists a machine whose load drifts.
    summary["round_ratios"] = [m["rps"] / h["rps"] for m, h in zip(rounds["metrics"], rounds["health"], strict=True)]
    summary["metrics_vs_health"] = median(summary["round_ratios"])
    return summary


def profile_metrics(server: Server, seconds: float) -> dict[str, Any]:
    recording = profiles.Recording(server.worker_pid, seconds=seconds)
    load_in_subprocess(f"{server.base_url}/metrics?date={METRICS_DAY}", seconds, CONNECTIONS)
    stacks = recording.wait()
    categories = [
        ("redis-py (the cache read)", profiles.stack_has("redis/")),
        ("structlog (access log line)", profiles.stack_has("structlog/")),
        ("SQLite reads (embedded store)", profiles.stack_has("event_service/adapters/sqlite/", "stdlib/sqlite3/")),
        ("Litestar routing, DI, serialisation", profiles.stack_has("litestar/")),
    ]
    return profiles.summarise(stacks, categories)


async def _wait_jobs(queue: RedisQueue, keys: list[str], within: float = 300.0) -> None:
    deadline = time.monotonic() + within
    remaining = keys
    while remaining:
        jobs = await queue.jobs(remaining)
        failed = [job.key for job in jobs if job is not None and job.status in (Status.FAILED, Status.ABORTED)]
        if failed:
            raise RuntimeError(f"jobs failed: {failed[:5]}")
        done = {job.key for job in jobs if job is not None and job.status == Status.COMPLETE}
        remaining = [key for key in remaining if key not in done]
        if time.monotonic() > deadline:
            raise RuntimeError(f"{len(remaining)} jobs not complete within {within}s")
        if remaining:
            await asyncio.sleep(0.002)


def queue_runs(server: Server, batches: int, jobs: int, log: Log) -> dict[str, Any]:
    """Process -> metrics visible latency of 1-row batches, and job throughput, each against SAQ no-op jobs."""
    noop_worker = subprocess.Popen([sys.executable, "-m", "bench.noop_worker", server.redis_url])
    try:
        return asyncio.run(_queue_runs(server, batches, jobs, log))
    finally:
        noop_worker.terminate()
        noop_worker.wait(timeout=30)


async def _queue_runs(server: Server, batches: int, jobs: int, log: Log) -> dict[str, Any]:
    redis = Redis.from_url(server.redis_url)
    service_queue = RedisQueue(redis, name=SERVICE_QUEUE)
    noop_queue = RedisQueue(redis, name=NOOP_QUEUE)
    base = server.base_url
    try:
        async with aiohttp.ClientSession() as session:
            # Latency: one batch at a time; the clock runs from the POST until a GET /metrics shows the row.
            uploaded = [await _upload(session, server, tiny_csv(i)) for i in range(batches + jobs)]
            visible: list[float] = []
            for index, body in enumerate(uploaded[:batches]):
                day, event_type = _tiny_day(index), f"q{index}"
                async with session.get(f"{base}/metrics?date={day}") as answer:  # a reader already watches
                    await answer.read()
                started = time.perf_counter()
                async with session.post(f"{base}/batches/{body['batch_id']}/process") as answer:
                    if answer.status != 202:
                        raise RuntimeError(f"process answered {answer.status}")
                while True:
                    async with session.get(f"{base}/metrics?date={day}") as answer:
                        metrics = (await answer.json())["metrics"]
                    if metrics.get(event_type) == 1:
                        break
                    await asyncio.sleep(0.001)
                visible.append(time.perf_counter() - started)
            log(f"  process -> visible: p50 {percentile(visible, 0.5) * 1000:.1f} ms over {batches} batches")

            # The floor: an SAQ no-op job on the same Redis, enqueue -> complete seen by polling the job.
            await asyncio.sleep(0.5)  # the no-op worker has started by now
            noop_latency: list[float] = []
            for _ in range(batches):
                started = time.perf_counter()
                job = await noop_queue.enqueue(NOOP)
                assert job is not None
                await _wait_jobs(noop_queue, [job.key])
                noop_latency.append(time.perf_counter() - started)
            log(f"  no-op job latency: p50 {percentile(noop_latency, 0.5) * 1000:.1f} ms")

            # Throughput: every remaining batch asked to process at once through HTTP (32 at a time).
            gate = asyncio.Semaphore(CONNECTIONS)

            async def request(batch_id: str) -> None:
                async with gate, session.post(f"{base}/batches/{batch_id}/process") as answer:
                    if answer.status != 202:
                        raise RuntimeError(f"process answered {answer.status}")

            rest = [body["batch_id"] for body in uploaded[batches:]]
            recording = profiles.Recording(server.worker_pid, seconds=600)
            await asyncio.sleep(0.5)  # let py-spy attach
            started = time.perf_counter()
            await asyncio.gather(*(request(batch_id) for batch_id in rest))
            await _wait_jobs(service_queue, [f"process_batch:{batch_id}" for batch_id in rest])
            process_seconds = time.perf_counter() - started
            recording.stop()
            queue_profile = profiles.summarise(
                await asyncio.to_thread(recording.wait),
                [
                    (
                        "SQLite (embedded store)",
                        profiles.stack_has("event_service/adapters/sqlite/", "stdlib/sqlite3/"),
                    ),
                    ("SAQ + redis-py", profiles.stack_has("saq/", "redis/")),
                    ("structlog (log lines)", profiles.stack_has("structlog/")),
                    ("Litestar (POST /batches/{id}/process)", profiles.stack_has("litestar/")),
                ],
            )
            log(f"  process_batch jobs: {jobs / process_seconds:.0f} jobs/s")

            async def enqueue_noop() -> str:
                async with gate:
                    job = await noop_queue.enqueue(NOOP)
                    assert job is not None
                    return job.key

            started = time.perf_counter()
            keys = await asyncio.gather(*(enqueue_noop() for _ in range(jobs)))
            await _wait_jobs(noop_queue, list(keys))
            noop_seconds = time.perf_counter() - started
            log(f"  no-op jobs: {jobs / noop_seconds:.0f} jobs/s")
    finally:
        await redis.aclose()

    def latency(values: list[float]) -> dict[str, float]:
        return {"p50_ms": percentile(values, 0.5) * 1000, "p99_ms": percentile(values, 0.99) * 1000, "n": len(values)}

    return {
        "visible": latency(visible),
        "noop": latency(noop_latency),
        "visible_vs_noop_p50": percentile(visible, 0.5) / percentile(noop_latency, 0.5),
        "jobs": jobs,
        "process_jobs_per_s": jobs / process_seconds,
        "noop_jobs_per_s": jobs / noop_seconds,
        "process_vs_noop_throughput": noop_seconds / process_seconds,
        "profile_throughput": queue_profile,
    }


def _tiny_day(index: int) -> str:
    first_line = tiny_csv(index).split(b"\n")[1].decode()
    return first_line.split(",")[2][:10]
