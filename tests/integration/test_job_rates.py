"""The job start rate holds across worker processes: two `event-service worker` processes share one limit.

Reprocessing jobs are heavy and need no uploaded data: the two worker processes share the test's empty DATA_DIR.
"""

from __future__ import annotations

import asyncio
from datetime import date, timedelta

from saq import Status
from saq.queue.redis import RedisQueue

from event_service.adapters.redis import job_key
from event_service.application.jobs import ReprocessDayJob
from tests.integration.helpers import eventually, start_worker_process, stop_process

RATE = 10
JOBS = 20


async def test_two_worker_processes_start_heavy_jobs_at_the_shared_rate(redis_url: str, producer: RedisQueue) -> None:
    workers: list[asyncio.subprocess.Process] = []
    try:
        for _ in range(2):
            workers.append(await start_worker_process(redis_url, asyncio.subprocess.DEVNULL, HEAVY_JOB_RATE=str(RATE)))
        await eventually(producer.info, lambda info: len(info["workers"]) == 2, within=30)
        days = [(date(2025, 1, 1) + timedelta(days=n)).isoformat() for n in range(JOBS)]
        for day in days:
            await producer.enqueue("reprocess_day", key=job_key(ReprocessDayJob(day)), date=day)
        jobs = await eventually(
            lambda: producer.jobs(job_key(ReprocessDayJob(day)) for day in days),
            lambda found: all(job is not None and job.status is Status.COMPLETE for job in found),
            within=30,
        )
    finally:
        codes = [(await stop_process(worker))[0] for worker in workers]
    assert codes == [0, 0]

    # Both processes took jobs, twenty at once between them, yet the starts went out at the shared rate.
    assert len({job.worker_id for job in jobs if job is not None}) == 2
    done = sorted(job.completed for job in jobs if job is not None)
    assert done[-1] - done[0] >= (JOBS - 1) * 1000 / RATE - 100
    busiest_second = max(sum(1 for t in done if start <= t < start + 1000) for start in done)
    assert busiest_second <= RATE + 1
