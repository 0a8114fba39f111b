"""A parser process killed with SIGKILL fails at most the upload it was reading; the pool replaces it."""

from __future__ import annotations

import os
import signal
from collections.abc import AsyncIterator, Iterator

import pytest
from litestar.testing import AsyncTestClient

from event_service.adapters.compute import ProcessPool
from event_service.adapters.settings import load_settings
from event_service.domain import Header, ParsedChunk, TimestampBounds
from event_service.entrypoints.bootstrap import bootstrap
from event_service.entrypoints.http.app import create_app
from tests.integration.helpers import SEED_CSV, eventually

BIG = SEED_CSV + b"".join(b"user%d,signup,2025-11-13T10:00:00Z\n" % i for i in range(40_000))
"""Large enough that its first chunk is still being parsed when the test kills the parser processes."""


def _kill_parsers(pool: ProcessPool) -> None:
    for pid in list(pool._executor._processes):  # the executor's own record of its children
        os.kill(pid, signal.SIGKILL)


class DiesMidUpload(ProcessPool):
    """The real process pool; during the next upload its parser processes are killed once a chunk is in them."""

    armed = False

    def parse_chunks(
        self, chunks: AsyncIterator[bytes], header: Header, bounds: TimestampBounds, *, keep_events: bool = True
    ) -> AsyncIterator[ParsedChunk]:
        async def killing_after_the_first() -> AsyncIterator[bytes]:
            async for chunk in chunks:
                yield chunk
                # Resumed once that chunk was submitted: it is in a parser process now.
                if self.armed:
                    self.armed = False
                    _kill_parsers(self)

        return super().parse_chunks(killing_after_the_first(), header, bounds, keep_events=keep_events)


@pytest.fixture
def pool() -> Iterator[DiesMidUpload]:
    pool = DiesMidUpload(2)
    yield pool
    pool.close()


@pytest.fixture
async def client(redis_url: str, pool: DiesMidUpload) -> AsyncIterator[AsyncTestClient]:
    settings = load_settings(redis_url=redis_url, mongodb_url=None, admin_token="t", upload_rate_limit=1000)
    async with AsyncTestClient(app=create_app(bootstrap(settings, compute=pool))) as client:
        yield client


async def _upload(client: AsyncTestClient, content: bytes):
    return await client.post("/uploads", files={"file": ("e.csv", content, "text/csv")})


async def test_the_upload_in_flight_fails_with_503_and_keeps_nothing_then_uploads_succeed(
    client: AsyncTestClient, pool: DiesMidUpload
) -> None:
    assert (await _upload(client, SEED_CSV)).status_code == 201
    pool.armed = True
    failed = await _upload(client, BIG)
    assert failed.status_code == 503, failed.text
    assert failed.headers["retry-after"] == "5"
    assert failed.json() == {
        "status_code": 503,
        "message": "a parser process died while reading this file; nothing of it was stored; try again in a few "
        "seconds",
        "dependency": "parser_pool",
    }
    assert (await client.get("/batches")).json()["total"] == 1

    again = await _upload(client, BIG)
    assert again.status_code == 201, again.text
    assert again.json()["rows_accepted"] == 40_150


async def test_a_parser_killed_while_idle_costs_no_upload(client: AsyncTestClient, pool: DiesMidUpload) -> None:
    assert (await _upload(client, SEED_CSV)).status_code == 201
    broken = pool._executor
    _kill_parsers(pool)
    # The executor notices the death on its own thread; from then on it refuses every submission.
    await eventually(lambda: _async(broken._broken), bool)
    for day in range(14, 17):
        content = SEED_CSV + f"u,signup,2025-11-{day}T00:00:00Z\n".encode()
        assert (await _upload(client, content)).status_code == 201
    assert pool._executor is not broken


async def _async(value: object) -> object:
    return value
