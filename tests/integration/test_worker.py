"""The SAQ worker, run by SAQ itself: in-process, standalone, and as the `event-service worker` process."""

from __future__ import annotations

import asyncio

from litestar.testing import AsyncTestClient
from saq.queue.redis import RedisQueue

from event_service.adapters.redis import job_key
from event_service.adapters.settings import QUEUE_NAME
from event_service.application.jobs import ProcessBatchJob
from event_service.entrypoints.bootstrap import Service
from event_service.entrypoints.jobs import build_worker
from tests.integration.conftest import ADMIN_TOKEN
from tests.integration.helpers import SEED_CSV, eventually, start_worker_process, stop_process


async def _enqueue_poison(queue: RedisQueue, batch_id: str) -> None:
    await queue.enqueue("process_batch", key=job_key(ProcessBatchJob(batch_id)), batch_id=batch_id, retries=3)


async def test_poison_job_reaches_the_dlq_visible_through_the_api(
    client: AsyncTestClient, producer: RedisQueue
) -> None:
    await _enqueue_poison(producer, "no-such-batch")
    auth = {"Authorization": f"Bearer {ADMIN_TOKEN}"}
    listing = await eventually(
        lambda: client.get("/queues/metrics-processor/dlq", headers=auth), lambda r: r.json()["total"] == 1
    )
    entry = listing.json()["failed_jobs"][0]
    assert entry["job_key"] == "process_batch:no-such-batch"
    assert entry["function"] == "process_batch"
    assert entry["kwargs"] == {"batch_id": "no-such-batch"}
    assert entry["reason"] == "BatchNotFound: batch no-such-batch does not exist"
    # Permanent: retries were skipped although the job allowed 3 attempts.
    assert entry["attempts"] == 1
    assert "BatchNotFound" in entry["traceback_tail"]


async def test_standalone_saq_worker_processes_a_batch(service: Service, producer: RedisQueue) -> None:
    from event_service.application.ingest_upload import Upload

    await service.start()
    import io

    batch = (await service.use_cases.ingest_upload(Upload(io.BytesIO(SEED_CSV), "seed.csv"))).batch
    worker = build_worker(service)
    task = asyncio.create_task(worker.start())
    try:
        requested = await service.use_cases.request_processing(batch.id)
        assert requested.job is not None
        assert requested.job.created is True
        done = await eventually(lambda: service.use_cases.get_batch(batch.id), lambda b: b.status.value == "processed")
        assert done.last_error is None
        from datetime import date

        assert await service.use_cases.get_daily_metrics(date(2025, 11, 13)) == {"signup": 120, "purchase": 30}
    finally:
        await worker.stop()
        await asyncio.gather(task, return_exceptions=True)
        await service.close()


async def test_event_service_worker_process_consumes_the_queue(
    service: Service, producer: RedisQueue, redis_url: str
) -> None:
    worker = await start_worker_process(redis_url)
    try:
        await _enqueue_poison(producer, "from-the-queue")
        entries, _ = await eventually(
            lambda: service.use_cases.dead_letters.list(QUEUE_NAME, 0, 10), lambda result: result[1] == 1, within=30
        )
        assert entries[0].job_key == "process_batch:from-the-queue"
        assert entries[0].reason == "BatchNotFound: batch from-the-queue does not exist"
    finally:
        try:
            code, output = await stop_process(worker)
        finally:
            await service.close()
    assert code == 0, output.decode()
    log = output.decode()
    assert '"event": "job.dead_lettered"' in log
    assert '"job_key": "process_batch:from-the-queue"' in log
