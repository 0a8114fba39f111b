"""Workers on real Redis: a stop lets running jobs finish, an abort leaves a retryable batch, and a retried
midnight job recomputes the day it was for."""

from __future__ import annotations

import asyncio
import io
import time
from collections.abc import AsyncIterator
from datetime import UTC, date, datetime

import pytest
from saq import Job, Status
from saq.queue.redis import RedisQueue

from event_service.adapters.redis import processing_job_key
from event_service.application.ingest_upload import Upload
from event_service.domain import BatchStatus
from event_service.entrypoints.bootstrap import Container
from event_service.entrypoints.worker import ServiceWorker, build_worker
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
async def running(container: Container) -> AsyncIterator[tuple[Container, ServiceWorker, Gated, str]]:
    """A worker running, and a batch whose processing job it has started and holds."""
    await container.start()
    batch = (await container.ingest_upload(Upload(io.BytesIO(SEED_CSV), "seed.csv"))).batch
    gate = container.process_batch = Gated(container.process_batch)  # type: ignore[assignment]
    worker = build_worker(container)
    assert isinstance(worker, ServiceWorker)
    task = asyncio.create_task(worker.start())
    await container.request_processing(batch.id)
    await asyncio.wait_for(gate.entered.wait(), 10)
    try:
        yield container, worker, gate, batch.id
    finally:
        gate.release.set()
        await worker.stop()
        await asyncio.gather(task, return_exceptions=True)
        await container.close()


async def test_a_stopping_worker_lets_its_running_job_finish(
    running: tuple[Container, ServiceWorker, Gated, str],
) -> None:
    container, worker, gate, batch_id = running
    assert worker._shutdown_grace_period_s == 30
    stopping = asyncio.create_task(worker.stop())
    await eventually(lambda: _value(worker.event.is_set()), bool)
    gate.release.set()
    await asyncio.wait_for(stopping, 10)
    batch = await container.get_batch(batch_id)
    assert (batch.status, batch.last_error) == (BatchStatus.PROCESSED, None)
    job = await container.queue.job(processing_job_key(batch_id))
    assert job is not None
    assert job.status is Status.COMPLETE
    assert job.attempts == 1


async def test_a_stop_with_no_job_running_is_quick_despite_the_grace_period(container: Container) -> None:
    await container.start()
    worker = build_worker(container)
    task = asyncio.create_task(worker.start())
    await eventually(lambda: _value(len(worker.tasks)), lambda count: count > 0)
    started = time.monotonic()
    await worker.stop()
    await asyncio.gather(task, return_exceptions=True)
    await container.close()
    # Idle job tasks return from their 1 s blocking dequeue; the upkeep loops are cancelled, not waited for.
    assert time.monotonic() - started < 5


async def test_an_aborted_job_leaves_its_batch_failed_and_a_plain_process_request_runs_it_again(
    running: tuple[Container, ServiceWorker, Gated, str],
) -> None:
    container, _, gate, batch_id = running
    job = await container.queue.job(processing_job_key(batch_id))
    assert job is not None
    await container.queue.abort(job, "aborted from the dashboard")
    failed = await eventually(lambda: container.get_batch(batch_id), lambda batch: batch.status is BatchStatus.FAILED)
    assert failed.last_error == "aborted: aborted from the dashboard"

    gate.release.set()
    again = await eventually(
        lambda: container.request_processing(batch_id), lambda requested: requested.job.created, within=10
    )
    assert again.status is BatchStatus.ENQUEUED
    done = await eventually(lambda: container.get_batch(batch_id), lambda b: b.status is BatchStatus.PROCESSED)
    assert done.last_error is None
    assert await container.get_daily_metrics(date(2025, 11, 13)) == {"signup": 120, "purchase": 30}


async def test_a_dead_lettered_midnight_run_retried_later_recomputes_the_day_it_was_for(
    container: Container, producer: RedisQueue, monkeypatch: pytest.MonkeyPatch
) -> None:
    await container.start()
    schedule = container.schedule_reprocessing

    async def fails_on_that_night(day: date | None = None) -> object:
        raise RuntimeError("the queue refused the job that night")

    monkeypatch.setattr(container, "schedule_reprocessing", fails_on_that_night)
    # The run of the tick at 00:05 UTC on 2025-11-14, for 2025-11-13, on its last attempt.
    tick = datetime(2025, 11, 14, 0, 5, tzinfo=UTC).timestamp()
    await producer.enqueue(
        Job(function="reprocess_yesterday", key="cron:reprocess_yesterday", scheduled=int(tick), retries=1)
    )
    worker = build_worker(container)
    task = asyncio.create_task(worker.start())
    try:
        [entry], _ = await eventually(
            lambda: container.list_dead_letters("metrics-processor", 0, 10), lambda result: result[1] == 1
        )
        assert (entry.function, entry.kwargs) == ("reprocess_yesterday", {"date": "2025-11-13"})

        monkeypatch.setattr(container, "schedule_reprocessing", schedule)
        # Retried days later: the run still schedules 2025-11-13, not the day before the retry.
        await container.retry_dead_letter("metrics-processor", entry.id)
        day_job = await eventually(lambda: producer.job("reprocess_day:2025-11-13"), lambda job: job is not None)
        assert day_job.kwargs == {"date": "2025-11-13"}
    finally:
        await worker.stop()
        await asyncio.gather(task, return_exceptions=True)
        await container.close()


async def _value(value: object) -> object:
    return value
