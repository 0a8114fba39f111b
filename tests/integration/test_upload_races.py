"""Identical uploads at the same time (a client retrying after a timeout): one stores the file, the other answers
with that batch, and every row is counted exactly once."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

import httpx

from event_service.adapters.compute import InlinePool
from event_service.domain import Header, ParsedChunk, TimestampBounds
from event_service.entrypoints.bootstrap import bootstrap
from event_service.entrypoints.http.app import create_app
from tests.integration.conftest import settings_for
from tests.integration.helpers import eventually

ROWS = 60_000
DAY = "2025-11-13"


def _big_file() -> bytes:
    """Several 1 MiB chunks of rows with an event_id each, all on one day, two event types."""
    lines = ["event_id,user_id,event_type,timestamp"]
    lines += [f"e{n},user{n % 977},{'view' if n % 3 else 'click'},2025-11-13T{n % 24:02d}:00:00Z" for n in range(ROWS)]
    return ("\n".join(lines) + "\n").encode()


class PausingPool(InlinePool):
    """Parses inline; the first upload pauses after its first chunk (stored by then) until ``resume`` is set, so the
    twin is sure to run while the first is mid-file."""

    def __init__(self) -> None:
        self.paused = asyncio.Event()
        self.resume = asyncio.Event()
        self._calls = 0

    async def parse_chunks(
        self, chunks: AsyncIterator[bytes], header: Header, bounds: TimestampBounds, *, keep_events: bool = True
    ) -> AsyncIterator[ParsedChunk]:
        self._calls += 1
        first_call = self._calls == 1
        position = 0
        async for parsed in super().parse_chunks(chunks, header, bounds, keep_events=keep_events):
            if first_call and position == 1:
                self.paused.set()
                await self.resume.wait()
            position += 1
            yield parsed


@asynccontextmanager
async def _serve(redis_url: str) -> AsyncIterator[tuple[httpx.AsyncClient, PausingPool]]:
    """The app on the test's own event loop (Litestar's test client runs one request at a time), in one task."""
    settings = settings_for(redis_url, upload_rate_limit=1000, job_retry_delay=0.0)
    pool = PausingPool()
    app = create_app(bootstrap(settings, compute=pool))
    async with app.lifespan(), httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://t") as client:
        yield client, pool


async def test_twin_uploads_store_every_row_once(redis_url: str) -> None:
    async with _serve(redis_url) as (client, pool):
        await _twin_uploads(client, pool)


async def _twin_uploads(client: httpx.AsyncClient, pool: PausingPool) -> None:
    content = _big_file()
    assert len(content) > 2 << 20

    async def upload() -> tuple[int, dict]:
        response = await client.post(
            "/uploads", files={"file": ("events.csv", content, "text/csv")}, headers={"Idempotency-Key": "retry-1"}
        )
        return response.status_code, response.json()

    async def retry() -> tuple[int, dict]:
        await pool.paused.wait()  # the first upload is mid-file
        try:
            status, body = await upload()
            shown = (await client.get(f"/batches/{body['batch_id']}")).json()["status"]
            refused = await client.post(f"/batches/{body['batch_id']}/process")
            assert (shown, refused.status_code) == ("ingesting", 409), refused.text
            assert "still being uploaded" in refused.json()["message"]
            return status, body
        finally:
            pool.resume.set()

    (first, created), (second, twin) = await asyncio.gather(upload(), retry())
    assert (first, second) == (201, 200), (created, twin)
    assert (created["rows_accepted"], created["rows_duplicate"], created["rows_rejected"]) == (ROWS, 0, 0)
    assert (twin["duplicate"], twin["batch_id"], twin["status"]) == (True, created["batch_id"], "ingesting")

    batch_id = created["batch_id"]
    assert (await client.get(f"/batches/{batch_id}")).json()["rows_accepted"] == ROWS
    assert (await client.post(f"/batches/{batch_id}/process")).status_code == 202

    async def status() -> str:
        return (await client.get(f"/batches/{batch_id}")).json()["status"]

    await eventually(status, lambda value: value == "processed")
    metrics = (await client.get("/metrics", params={"date": DAY})).json()["metrics"]
    assert metrics == {"view": ROWS - ROWS // 3, "click": ROWS // 3}
