"""Crashes and outages on real Redis: a worker dying mid-job, two workers sharing one queue, Redis going away.

Where workers need the same data they run in this process, on the service's SQLite store, each with its own Redis
connection, SAQ queue object and worker id: a stalled repository can only be planted in this process.
"""

from __future__ import annotations

import asyncio
import contextlib
import io
import time
from collections.abc import AsyncIterator, Awaitable, Callable, Mapping
from datetime import UTC, date, datetime
from urllib.parse import urlparse

import pytest
from litestar.testing import AsyncTestClient
from redis.asyncio import Redis
from redis.asyncio.retry import Retry
from redis.backoff import NoBackoff
from saq import Status

from event_service.adapters.compute import InlinePool
from event_service.adapters.embedded_valkey import EmbeddedValkey
from event_service.adapters.redis import ServiceQueue, job_key
from event_service.adapters.settings import QUEUE_NAME, Settings
from event_service.adapters.sqlite import SqliteDatabase, SqliteMetricsRepository
from event_service.application.ingest_upload import Upload
from event_service.application.jobs import ProcessBatchJob
from event_service.domain import BatchStatus
from event_service.entrypoints.bootstrap import Service, bootstrap
from event_service.entrypoints.http.app import create_app
from event_service.entrypoints.jobs import build_worker
from event_service.entrypoints.stores import SqliteStore
from tests.integration.conftest import settings_for
from tests.integration.helpers import SEED_CSV, TcpProxy, eventually, store_with


def _service(redis_url: str, **overrides: object) -> Service:
    return bootstrap(settings_for(redis_url, **overrides), compute=InlinePool())


def _fast_recovery_settings(redis_url: str) -> Settings:
    """Short timeouts so a lost job is found in about a second: JOB_TIMEOUT=1, WORKER_SWEEP_INTERVAL=1."""
    return settings_for(
        redis_url,
        job_retries=3,
        job_retry_delay=0.0,
        job_timeout=1,
        worker_sweep_interval=1,
        light_job_rate=0,
    )


@pytest.fixture
async def fast_recovery(redis_url: str) -> AsyncIterator[Service]:
    service = bootstrap(_fast_recovery_settings(redis_url), compute=InlinePool())
    await service.start()
    yield service
    await service.close()


async def _upload(service: Service, content: bytes, name: str = "e.csv") -> str:
    return (await service.use_cases.ingest_upload(Upload(io.BytesIO(content), name))).batch.id


class StallsOnce(SqliteMetricsRepository):
    """Writes the first contribution it is given, runs ``on_stall``, then hangs: the worker holding it is mid-job."""

    def __init__(self, database: SqliteDatabase, on_stall: Callable[[], Awaitable[None]]) -> None:
        super().__init__(database)
        self.stalled = asyncio.Event()
        self._on_stall = on_stall

    async def replace_contribution(self, batch_id: str, counts: Mapping[str, Mapping[str, int]]) -> set[str]:
        days = await super().replace_contribution(batch_id, counts)
        if not self.stalled.is_set():
            await self._on_stall()
            self.stalled.set()
            await asyncio.Event().wait()
        return days


class NeverSweeps(ServiceQueue):
    """The doomed worker's queue: only the rescuer may find the lost job, never the worker that is about to die.

    Its sweep would also take the queue-wide sweep lock, which would keep the rescuer from sweeping for a while.
    """

    async def sweep(self, lock: int = 60, abort: float = 5.0) -> list[str]:
        return []


async def test_a_worker_dying_mid_job_leaves_it_to_another_worker_with_exact_metrics(redis_url: str) -> None:
    # The doomed worker reaches Redis through a proxy, without redis-py retries: once the proxy is cut, nothing it
    # attempts (re-queueing its job on cancellation or timeout, say) reaches Redis, as if its process had been killed.
    target = urlparse(redis_url)
    proxy = TcpProxy(target.hostname or "127.0.0.1", target.port or 6379)
    # Whatever step fails, everything started so far is stopped (last started, first stopped).
    async with contextlib.AsyncExitStack() as started:
        proxy_url = f"redis://127.0.0.1:{await proxy.start()}{target.path}"
        started.push_async_callback(proxy.cut)
        # The worker dies mid-job: its connections drop the moment this batch's contribution is written (the
        # day's totals not yet). Cutting there, not after the test notices the stall, leaves no window in which a
        # loaded machine lets the 1 s job timeout fire while the doomed worker can still reach Redis.
        settings = _fast_recovery_settings(redis_url)
        metrics: StallsOnce | None = None

        def stalling(store: SqliteStore) -> StallsOnce:
            nonlocal metrics
            metrics = StallsOnce(store.database, on_stall=proxy.cut)
            return metrics

        service = bootstrap(settings, store=store_with(settings, metrics=stalling), compute=InlinePool())
        await service.start()
        started.push_async_callback(service.close)
        assert metrics is not None
        batch_id = await _upload(service, SEED_CSV)

        doomed_queue = NeverSweeps(Redis.from_url(proxy_url, retry=Retry(NoBackoff(), 0)), name=QUEUE_NAME)
        started.push_async_callback(doomed_queue.redis.aclose)
        doomed = build_worker(service, doomed_queue)
        doomed_run = asyncio.create_task(doomed.start())

        async def doomed_dies() -> None:
            # Its tasks are cancelled; nothing they try reaches Redis.
            for task in [doomed_run, *doomed.tasks]:
                task.cancel()
            await asyncio.gather(doomed_run, *doomed.tasks, return_exceptions=True)

        started.push_async_callback(doomed_dies)

        await service.use_cases.request_processing(batch_id)
        await asyncio.wait_for(metrics.stalled.wait(), 10)
        assert (await service.use_cases.get_batch(batch_id)).status.value == "processing"

        await doomed_dies()
        lost = await service.redis.queue.job(job_key(ProcessBatchJob(batch_id)))
        assert lost is not None
        assert (lost.status, lost.attempts) == (Status.ACTIVE, 1)

        # Another worker's sweep finds the job past its timeout and queues it again; that worker then runs it.
        rescuer_queue = ServiceQueue(Redis.from_url(redis_url), name=QUEUE_NAME)
        started.push_async_callback(rescuer_queue.disconnect)
        rescuer = build_worker(service, rescuer_queue)
        rescuer_run = asyncio.create_task(rescuer.start())

        async def rescuer_stops() -> None:
            await rescuer.stop()
            await asyncio.gather(rescuer_run, return_exceptions=True)

        started.push_async_callback(rescuer_stops)
        done = await eventually(
            lambda: service.use_cases.get_batch(batch_id), lambda batch: batch.status.value == "processed", within=20
        )
        assert done.attempts == 2
        assert await service.use_cases.get_daily_metrics(date(2025, 11, 13)) == {"signup": 120, "purchase": 30}
        # SAQ records the job complete just after the batch is marked processed.
        job = await eventually(
            lambda: rescuer_queue.job(job_key(ProcessBatchJob(batch_id))),
            lambda job: job is not None and job.status is Status.COMPLETE,
        )
        assert (job.attempts, job.worker_id) == (2, rescuer.id)
        assert await service.use_cases.dead_letters.list(QUEUE_NAME, 0, 10) == ([], 0)


@pytest.fixture
async def unhurried(redis_url: str) -> AsyncIterator[Service]:
    """Default job timeout: on a loaded machine a 1 s timeout would retry healthy jobs, and no job here is lost."""
    service = _service(redis_url, job_retry_delay=0.0, light_job_rate=0)
    await service.start()
    yield service
    await service.close()


async def test_two_workers_on_one_redis_process_50_batches_with_exact_totals(
    unhurried: Service, redis_url: str
) -> None:
    service = unhurried
    batch_ids = []
    for i in range(50):
        rows = "".join(f"u{i}-{n},signup,2025-11-13T10:00:00Z\n" for n in range(i + 1))
        rows += f"u{i},purchase,2025-11-14T{i % 24:02d}:00:00Z\n"
        batch_ids.append(await _upload(service, f"user_id,event_type,timestamp\n{rows}".encode(), f"{i}.csv"))

    queues = [ServiceQueue(Redis.from_url(redis_url), name=QUEUE_NAME) for _ in range(2)]
    workers = [build_worker(service, queue) for queue in queues]
    runs = [asyncio.create_task(worker.start()) for worker in workers]
    try:
        await eventually(lambda: queues[0].info(), lambda info: len(info["workers"]) == 2)
        for batch_id in batch_ids:
            await service.use_cases.request_processing(batch_id)
        for batch_id in batch_ids:
            await eventually(
                lambda b=batch_id: service.use_cases.get_batch(b), lambda batch: batch.status.value == "processed"
            )

        assert await service.use_cases.get_daily_metrics(date(2025, 11, 13)) == {"signup": sum(range(1, 51))}
        assert await service.use_cases.get_daily_metrics(date(2025, 11, 14)) == {"purchase": 50}
        jobs = await eventually(
            lambda: queues[0].jobs(job_key(ProcessBatchJob(batch_id)) for batch_id in batch_ids),
            lambda jobs: all(job is not None and job.status is Status.COMPLETE for job in jobs),
        )
        assert {job.attempts for job in jobs if job is not None} == {1}
        assert {job.worker_id for job in jobs if job is not None} == {workers[0].id, workers[1].id}
    finally:
        for worker in workers:
            await worker.stop()
        await asyncio.gather(*runs, return_exceptions=True)
        for queue in queues:
            await queue.disconnect()


async def test_redis_down_answers_503_keeps_the_batch_and_everything_recovers_when_it_returns() -> None:
    """A valkey-server of the test's own on its own port, stopped and started again on that port."""
    server = EmbeddedValkey()
    url = await asyncio.to_thread(server.start)
    port = urlparse(url).port
    service = _service(url, job_retry_delay=0.0)
    try:
        async with AsyncTestClient(app=create_app(service)) as client:
            uploaded = await client.post("/uploads", files={"file": ("e.csv", SEED_CSV, "text/csv")})
            batch_id = uploaded.json()["batch_id"]

            await asyncio.to_thread(server.stop)
            refused = await client.post(f"/batches/{batch_id}/process")
            assert refused.status_code == 503
            assert refused.headers["content-type"].startswith("application/json")
            assert "Redis" in refused.json()["message"]
            batch = await client.get(f"/batches/{batch_id}")
            assert (batch.status_code, batch.json()["status"], batch.json()["job_key"]) == (200, "uploaded", None)

            server = EmbeddedValkey(port=port)
            await asyncio.to_thread(server.start)
            # Neither the API nor the in-process worker is restarted: both reconnect by themselves.
            accepted = await eventually(
                lambda: client.post(f"/batches/{batch_id}/process"), lambda r: r.status_code == 202
            )
            assert accepted.json()["status"] == "enqueued"
            await eventually(
                lambda: client.get(f"/batches/{batch_id}"), lambda r: r.json()["status"] == "processed", within=20
            )
            metrics = await client.get("/metrics", params={"date": "2025-11-13"})
            assert metrics.json()["metrics"] == {"signup": 120, "purchase": 30}
    finally:
        server.stop()


async def test_a_lost_job_with_no_attempts_left_is_dead_lettered_and_its_batch_failed(
    fast_recovery: Service, redis_url: str
) -> None:
    """What SAQ's sweep alone would only mark aborted, silently: the worker's wiring turns it into a dead letter."""
    service = fast_recovery
    batch_id = await _upload(service, SEED_CSV)
    queue = ServiceQueue(Redis.from_url(redis_url), name=QUEUE_NAME)
    worker = build_worker(service, queue)
    for startup in worker.startup or []:
        await startup(worker.context)
    try:
        # A job a worker took and never reported on again, its timeout long past, on its last attempt.
        await service.use_cases.request_processing(batch_id)
        job = await queue.dequeue()
        assert job is not None
        job.attempts = job.retries
        job.started = int((time.time() - 5) * 1000)
        await job.update(status=Status.ACTIVE)
        # What the lost attempt had recorded.
        await service.store.batches.set_status(batch_id, BatchStatus.PROCESSING, datetime.now(UTC), attempts=3)

        assert await queue.sweep(lock=1, abort=0.05) == [job.id]

        entries, total = await service.use_cases.dead_letters.list(QUEUE_NAME, 0, 10)
        assert total == 1
        reason = (
            "WorkerLost: attempt 3 was still running after the 1 s timeout (its worker died or hung) "
            "and no attempts are left"
        )
        assert (entries[0].job_key, entries[0].attempts, entries[0].reason) == (job.key, 3, reason)
        batch = await service.use_cases.get_batch(batch_id)
        assert (batch.status, batch.last_error) == (BatchStatus.FAILED, reason)
    finally:
        await queue.disconnect()
