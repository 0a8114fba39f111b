"""Monitoring: Prometheus metrics of the API and of a worker process, liveness, and readiness."""

from __future__ import annotations

import asyncio
import time

import httpx
from litestar.testing import AsyncTestClient
from saq.queue.redis import RedisQueue

from event_service.adapters.compute import InlinePool
from event_service.adapters.embedded_valkey import EmbeddedValkey
from event_service.adapters.redis import job_key
from event_service.application.jobs import ProcessBatchJob
from event_service.entrypoints.bootstrap import bootstrap
from event_service.entrypoints.http.app import create_app
from tests.integration.conftest import settings_for
from tests.integration.helpers import SEED_CSV, eventually, free_port, sample, start_worker_process, stop_process

BAD_ROWS = b"u1,signup,not-a-time\n,signup,2025-11-13T00:00:00Z\n"
"""Two rejected rows after the seed file's 150 accepted ones."""

WITH_EVENT_IDS = (
    b"user_id,event_type,timestamp,event_id\n"
    b"u1,signup,2025-11-13T00:00:00Z,e1\n"
    b"u2,signup,2025-11-13T00:00:00Z,e1\n"
    b"u3,signup,2025-11-13T00:00:00Z,e2\n"
)
"""Three rows, one of them a duplicate event_id of an earlier row."""


async def first_sweep_done(queue: RedisQueue, within: float = 15.0) -> None:
    """Wait for a worker's first sweep, which runs as it starts (it holds the sweep lock then).

    A sweep that meets a job between its dequeue and its start gives the job up while the worker runs it, which
    would count one job twice; these tests count every outcome exactly.
    """
    await eventually(lambda: queue.redis.exists(queue.namespace("sweep")), bool, within=within)


async def scrape(client: AsyncTestClient) -> str:
    response = await client.get("/-/metrics")
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("text/plain; version=")
    return response.text


async def test_requests_are_counted_by_route_template_method_and_status(client: AsyncTestClient) -> None:
    request = {"method": "GET", "path": "/batches/{batch_id}", "status_code": "404"}
    before = sample(await scrape(client), "event_service_http_requests_total", **request)

    assert (await client.get("/batches/no-such-batch")).status_code == 404
    assert (await client.get("/batches/another-one")).status_code == 404

    after = await scrape(client)
    assert sample(after, "event_service_http_requests_total", **request) == before + 2
    assert sample(after, "event_service_http_request_duration_seconds_count", **request) >= 2


async def test_uploads_and_their_rows_are_counted_exactly(client: AsyncTestClient) -> None:
    before = await scrape(client)

    created = await client.post("/uploads", files={"file": ("e.csv", SEED_CSV + BAD_ROWS, "text/csv")})
    again = await client.post("/uploads", files={"file": ("e.csv", SEED_CSV + BAD_ROWS, "text/csv")})
    with_ids = await client.post("/uploads", files={"file": ("ids.csv", WITH_EVENT_IDS, "text/csv")})
    assert (created.status_code, again.status_code, with_ids.status_code) == (201, 200, 201)

    after = await scrape(client)

    def delta(name: str, **labels: str) -> float:
        return sample(after, name, **labels) - sample(before, name, **labels)

    assert delta("event_service_uploads_total", outcome="created") == 2
    assert delta("event_service_uploads_total", outcome="duplicate") == 1
    # The duplicate upload stored nothing, so its rows are not counted again.
    assert delta("event_service_upload_rows_total", result="accepted") == 150 + 2
    assert delta("event_service_upload_rows_total", result="rejected") == 2
    assert delta("event_service_upload_rows_total", result="duplicate") == 1


async def test_jobs_are_counted_through_their_lifecycle_with_queue_gauges(
    client: AsyncTestClient, producer: RedisQueue
) -> None:
    await first_sweep_done(producer)
    before = await scrape(client)
    batch_id = (await client.post("/uploads", files={"file": ("e.csv", SEED_CSV, "text/csv")})).json()["batch_id"]
    assert (await client.post(f"/batches/{batch_id}/process")).status_code == 202
    await eventually(lambda: client.get(f"/batches/{batch_id}"), lambda r: r.json()["status"] == "processed")
    # A poison job from another producer: a permanent failure, dead-lettered at once.
    await producer.enqueue("process_batch", key=job_key(ProcessBatchJob("no-such-batch")), batch_id="no-such-batch")

    job = {"function": "process_batch"}
    dead_lettered = sample(before, "event_service_jobs_dead_lettered_total", **job) + 1
    # The counter moves once the dead letter is stored, so the gauge shows it by then.
    after = await eventually(
        lambda: scrape(client),
        lambda text: sample(text, "event_service_jobs_dead_lettered_total", **job) == dead_lettered,
    )

    def delta(name: str, **labels: str) -> float:
        return sample(after, name, **labels) - sample(before, name, **labels)

    assert sample(after, "event_service_dead_letters", queue="metrics-processor") == 1
    # The API's own enqueue is counted; the producer's went through another process's queue.
    assert delta("event_service_jobs_enqueued_total", **job) == 1
    assert delta("event_service_jobs_started_total", **job) == 2
    assert delta("event_service_jobs_completed_total", **job) == 1
    assert delta("event_service_jobs_failed_total", **job) == 1
    assert delta("event_service_jobs_dead_lettered_total", **job) == 1
    assert delta("event_service_jobs_retried_total", **job) == 0
    assert delta("event_service_job_duration_seconds_count", outcome="complete", **job) == 1
    assert delta("event_service_job_duration_seconds_count", outcome="failed", **job) == 1
    assert sample(after, "event_service_queue_jobs", queue="metrics-processor", state="queued") == 0
    assert sample(after, "event_service_queue_workers", queue="metrics-processor") == 1


async def test_live_and_health_answer_ok_and_ready_checks_redis_and_the_store(client: AsyncTestClient) -> None:
    for path in ("/-/live", "/health"):
        response = await client.get(path)
        assert (response.status_code, response.json()) == (200, {"status": "ok"})
    ready = await client.get("/-/ready")
    assert (ready.status_code, ready.json()) == (200, {"status": "ready", "checks": {"redis": "ok", "store": "ok"}})


async def test_ready_is_503_naming_redis_when_redis_goes_away() -> None:
    """A valkey-server of the test's own, stopped while the app runs."""
    server = EmbeddedValkey()
    url = await asyncio.to_thread(server.start)
    settings = settings_for(url, readiness_timeout=1.0)
    service = bootstrap(settings, compute=InlinePool())
    running = True
    try:
        async with AsyncTestClient(app=create_app(service)) as client:
            assert (await client.get("/-/ready")).status_code == 200

            await asyncio.to_thread(server.stop)
            running = False
            started = time.monotonic()
            response = await client.get("/-/ready")
            assert time.monotonic() - started < 5
            body = response.json()
            assert response.status_code == 503
            assert response.headers["content-type"].startswith("application/json")
            assert body["status_code"] == 503
            assert body["message"].startswith("not ready: redis: ")
            assert "store" not in body["message"]
            assert (body["status"], body["checks"]["store"]) == ("not ready", "ok")
            assert body["checks"]["redis"] != "ok"
            # The scrape still answers, without the queue gauges it could not read.
            scraped = await scrape(client)
            assert "event_service_queue_jobs{" not in scraped
            assert "# TYPE event_service_uploads_total counter" in scraped
    finally:
        if running:
            server.stop()


async def test_a_worker_process_serves_its_metrics_on_worker_metrics_port(producer: RedisQueue, redis_url: str) -> None:
    port = free_port()
    worker = await start_worker_process(redis_url, WORKER_METRICS_PORT=str(port))
    try:
        await first_sweep_done(producer, within=60)
        # The worker has no MongoDB server to share, so this job fails for good: counted where it ran.
        await producer.enqueue("process_batch", key=job_key(ProcessBatchJob("elsewhere")), batch_id="elsewhere")
        async with httpx.AsyncClient(base_url=f"http://127.0.0.1:{port}") as http:

            async def scrape_worker() -> str:
                try:
                    return (await http.get("/metrics")).text
                except httpx.TransportError:
                    return ""

            job = {"function": "process_batch"}
            text = await eventually(
                scrape_worker, lambda t: sample(t, "event_service_jobs_dead_lettered_total", **job) == 1, within=30
            )
        assert sample(text, "event_service_jobs_started_total", **job) == 1
        assert sample(text, "event_service_jobs_failed_total", **job) == 1
        assert sample(text, "event_service_job_duration_seconds_count", outcome="failed", **job) == 1
    finally:
        code, output = await stop_process(worker)
    assert code == 0, output.decode()
    assert f'"metrics_port": {port}' in output.decode()
