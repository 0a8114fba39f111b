"""The composition root takes fakes for any backend: here the real HTTP app and the real worker run on in-memory
repositories (the ones the use case tests use), with only the queue on the tests' real Redis (SAQ needs one)."""

from __future__ import annotations

import asyncio
import io

from litestar.testing import AsyncTestClient

from event_service.application.ingest_upload import Upload
from event_service.entrypoints.bootstrap import Service, bootstrap
from event_service.entrypoints.http.app import create_app
from event_service.entrypoints.jobs import build_worker
from tests.integration.conftest import settings_for
from tests.integration.helpers import SEED_CSV, eventually
from tests.unit.application.fakes import FixedClock, InMemoryStore, SerialPool, sequential_ids


def _service(redis_url: str, store: InMemoryStore, *, run_worker: bool) -> Service:
    settings = settings_for(redis_url, run_worker=run_worker)
    return bootstrap(settings, store=store, compute=SerialPool(), clock=FixedClock(), new_id=sequential_ids())


async def test_the_http_app_and_its_worker_run_on_fakes_given_to_bootstrap(redis_url: str) -> None:
    store = InMemoryStore()
    async with AsyncTestClient(app=create_app(_service(redis_url, store, run_worker=True))) as client:
        uploaded = await client.post("/uploads", files={"file": ("seed.csv", SEED_CSV, "text/csv")})
        assert uploaded.status_code == 201, uploaded.text
        # The id comes from the given generator, the rows went to the in-memory repositories.
        assert uploaded.json()["batch_id"] == "batch-1"
        assert (store.started, store.events.total()) == (True, 150)

        assert (await client.post("/batches/batch-1/process")).status_code == 202
        done = await eventually(lambda: client.get("/batches/batch-1"), lambda r: r.json()["status"] == "processed")
        assert done.json()["attempts"] == 1
        assert store.metrics.totals == {"2025-11-13": {"signup": 120, "purchase": 30}}
        metrics = await client.get("/metrics?date=2025-11-13")
        assert metrics.json() == {"date": "2025-11-13", "metrics": {"signup": 120, "purchase": 30}}
        assert (await client.get("/-/ready")).json()["checks"] == {"redis": "ok", "store": "ok"}
    assert store.closed


async def test_the_standalone_worker_runs_on_fakes_given_to_bootstrap(redis_url: str) -> None:
    store = InMemoryStore()
    service = _service(redis_url, store, run_worker=False)
    worker = build_worker(service)
    running = asyncio.create_task(worker.start())
    try:
        batch = (await service.use_cases.ingest_upload(Upload(io.BytesIO(SEED_CSV), "seed.csv"))).batch
        await service.use_cases.request_processing(batch.id)
        done = await eventually(lambda: service.use_cases.get_batch(batch.id), lambda b: b.status.value == "processed")
        assert (done.id, done.attempts) == ("batch-1", 1)
        assert store.metrics.totals == {"2025-11-13": {"signup": 120, "purchase": 30}}
    finally:
        await worker.stop()
        await asyncio.gather(running, return_exceptions=True)
        await service.close()
    assert store.closed
