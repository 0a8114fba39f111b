"""Workers on real Redis: a stop lets running jobs finish, an abort leaves a retryable batch, and a retried
midnight job recomputes the day it was for."""

from __future__ import annotations

import asyncio
import dataclasses
import io
import time
from collections.abc import AsyncIterator
from datetime import UTC, date, datetime

import pytest
from saq import Job, Status
from saq.queue.redis import RedisQueue

from event_service.adapters.redis import job_key
from event_service.application.ingest_upload import Upload
from event_service.application.jobs import ProcessBatchJob, ReprocessYesterdayJob
from event_service.domain import BatchStatus
from event_service.entrypoints.bootstrap import Service
from event_service.entrypoints.jobs import ServiceWorker, build_worker
from tests.integration.helpers import SEED_CSV, eventually


class Gated:
    """The real process-batch use case, held at its start until released."""

    def __init__(self, inner: object) -> None:
        self.inner = inner
        self.entered = asyncio.Event()
        self.release = asyncio.Event()

    async def __call__(self, batch_id: str, attempt: int) -> list[str]:
        self.entered.set()
        await self.release.wait()
        return await self.inner(batch_id, attempt=attempt)  # type: ignore[operator]


@pytest.fixture
async def running(service: Service) -> AsyncIterator[tuple[Service, ServiceWorker, Gated, str]]:
    """A worker running, and a batch whose processing job it has started and holds."""
    await service.start()
    batch = (await service.use_cases.ingest_upload(Upload(io.BytesIO(SEED_CSV), "seed.csv"))).batch
    gate = Gated(service.use_cases.process_batch)
    # The worker reads the use cases when it starts: it runs the gated one.
    service.use_cases = dataclasses.replace(service.use_cases, process_batch=gate)  # type: ignore[arg-type]
    worker = build_worker(service)
    assert isinstance(worker, ServiceWorker)
    task = asyncio.create_task(worker.start())
    await service.use_cases.request_processing(batch.id)
    await asyncio.wait_for(gate.entered.wait(), 10)
    try:
        yield service, worker, gate, batch.id
    finally:
        gate.release.set()
        await worker.stop()
        await asyncio.gather(task, return_exceptions=True)
        await service.close()


async def test_a_stopping_worker_lets_its_running_job_finish(
    running: tuple[Service, ServiceWorker, Gated, str],
) -> None:
    service, worker, gate, batch_id = running
    assert worker._shutdown_grace_period_s == 30
    stopping = asyncio.create_task(worker.stop())
    await eventually(lambda: _value(worker.event.is_set()), bool)
    gate.release.set()
    await asyncio.wait_for(stopping, 10)
    batch = await service.use_cases.get_batch(batch_id)
    assert (batch.status, batch.last_error) == (BatchStatus.PROCESSED, None)
    job = await service.redis.queue.job(job_key(ProcessBatchJob(batch_id)))
    assert job is not None
    assert job.status is Status.COMPLETE
    assert job.attempts == 1


async def test_a_stop_with_no_job_running_is_quick_despite_the_grace_period(service: Service) -> None:
    await service.start()
    worker = build_worker(service)
    task = asyncio.create_task(worker.start())
    await eventually(lambda: _value(len(worker.tasks)), lambda count: count > 0)
    started = time.monotonic()
    await worker.stop()
    await asyncio.gather(task, return_exceptions=True)
    await service.close()
    # Idle job tasks return from their 0.25 s blocking dequeue (DEQUEUE_TIMEOUT); the upkeep loops are cancelled,
    # not waited for. Room for a loaded machine, but a return to 1 s dequeues (4 slots) would not fit.
    assert time.monotonic() - started < 2


async def test_an_aborted_job_leaves_its_batch_failed_and_a_plain_process_request_runs_it_again(
    running: tuple[Service, ServiceWorker, Gated, str],
) -> None:
    service, _, gate, batch_id = running
    job = await service.redis.queue.job(job_key(ProcessBatchJob(batch_id)))
    assert job is not None
    await service.redis.queue.abort(job, "aborted from the dashboard")
    failed = await eventually(
        lambda: service.use_cases.get_batch(batch_id), lambda batch: batch.status is BatchStatus.FAILED
    )
    assert failed.last_error == "aborted: aborted from the dashboard"

    gate.release.set()
    again = await eventually(
        lambda: service.use_cases.request_processing(batch_id), lambda requested: requested.job.created, within=10
    )
    assert again.status is BatchStatus.ENQUEUED
    done = await eventually(lambda: service.use_cases.get_batch(batch_id), lambda b: b.status is BatchStatus.PROCESSED)
    assert done.last_error is None
    assert await service.use_cases.get_daily_metrics(date(2025, 11, 13)) == {"signup": 120, "purchase": 30}


async def test_a_dead_lettered_midnight_run_retried_later_recomputes_the_day_it_was_for(
    service: Service, producer: RedisQueue, monkeypatch: pytest.MonkeyPatch
) -> None:
    await service.start()
    enqueue = service.redis.job_queue.enqueue

    async def refused_that_night(*args: object, **kwargs: object) -> object:
        raise RuntimeError("the queue refused the job that night")

    monkeypatch.setattr(service.redis.job_queue, "enqueue", refused_that_night)
    # The run of the tick at 00:05 UTC on 2025-11-14, for 2025-11-13, on its last attempt.
    tick = datetime(2025, 11, 14, 0, 5, tzinfo=UTC).timestamp()
    await producer.enqueue(
        Job(function="reprocess_yesterday", key="cron:reprocess_yesterday", scheduled=int(tick), retries=1)
    )
    worker = build_worker(service)
    task = asyncio.create_task(worker.start())
    try:
        [entry], _ = await eventually(
            lambda: service.use_cases.dead_letters.list("metrics-processor", 0, 10), lambda result: result[1] == 1
        )
        assert entry.job == ReprocessYesterdayJob("2025-11-13")

        monkeypatch.setattr(service.redis.job_queue, "enqueue", enqueue)
        # Retried days later: the run still schedules 2025-11-13, not the day before the retry.
        await service.use_cases.dead_letters.retry("metrics-processor", entry.id)
        day_job = await eventually(lambda: producer.job("reprocess_day:2025-11-13"), lambda job: job is not None)
        assert day_job.kwargs == {"date": "2025-11-13"}
    finally:
        await worker.stop()
        await asyncio.gather(task, return_exceptions=True)
        await service.close()


async def _value(value: object) -> object:
    return value
