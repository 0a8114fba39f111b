"""Shared by the integration tests: the seed file, waiting on a condition instead of sleeping, raw store access."""

from __future__ import annotations

import asyncio
import os
import socket
import sys
import threading
import time
from collections.abc import Awaitable, Callable
from typing import TYPE_CHECKING, Any, TypeVar

if TYPE_CHECKING:
    from event_service.adapters.settings import Settings
    from event_service.entrypoints.bootstrap import Service
    from event_service.entrypoints.stores import Store

from prometheus_client.parser import text_string_to_metric_families

T = TypeVar("T")

SEED_CSV = (
    "user_id,event_type,timestamp\n"
    + "".join(f"user{i},signup,2025-11-13T{i % 24:02d}:{i % 60:02d}:00Z\n" for i in range(120))
    + "".join(f"user{i},purchase,2025-11-13 {i % 24:02d}:15:00.250\n" for i in range(30))
).encode()


async def eventually(probe: Callable[[], Awaitable[T]], done: Callable[[T], bool], within: float = 15.0) -> T:
    """Poll ``probe`` until ``done`` holds for its value; fail with the last value after ``within`` seconds."""
    deadline = time.monotonic() + within
    while True:
        value = await probe()
        if done(value):
            return value
        if time.monotonic() > deadline:
            raise AssertionError(f"condition not met within {within}s; last value: {value!r}")
        await asyncio.sleep(0.02)


class TcpProxy:
    """Forwards a local port to a server. ``cut()`` drops every connection at once and refuses new ones: what the
    network sees when the process holding those connections dies. ``hang()`` keeps every connection open and
    accepts new ones, but swallows all bytes: a server that never answers. ``retarget()`` drops the connections
    and forwards new ones to another server: a failover."""

    def __init__(self, host: str, port: int) -> None:
        self._target = (host, port)
        self._hung = False
        self._server: asyncio.Server | None = None
        self._writers: set[asyncio.StreamWriter] = set()
        self._pumps: set[asyncio.Task[None]] = set()

    async def start(self) -> int:
        self._server = await asyncio.start_server(self._connect, "127.0.0.1", 0)
        return self._server.sockets[0].getsockname()[1]

    async def _connect(self, client_reader: asyncio.StreamReader, client_writer: asyncio.StreamWriter) -> None:
        server_reader, server_writer = await asyncio.open_connection(*self._target)
        self._writers |= {client_writer, server_writer}
        for reader, writer in ((client_reader, server_writer), (server_reader, client_writer)):
            task = asyncio.create_task(self._pump(reader, writer))
            self._pumps.add(task)
            task.add_done_callback(self._pumps.discard)

    async def _pump(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        try:
            while data := await reader.read(65536):
                if self._hung:
                    continue
                writer.write(data)
                await writer.drain()
        except (ConnectionError, OSError):
            pass
        finally:
            writer.transport.abort()

    def hang(self, hung: bool = True) -> None:
        self._hung = hung

    async def retarget(self, host: str, port: int) -> None:
        self._target = (host, port)
        await self._drop_connections()

    async def cut(self) -> None:
        assert self._server is not None
        self._server.close()
        await self._drop_connections()
        await self._server.wait_closed()

    async def _drop_connections(self) -> None:
        for writer in self._writers:
            writer.transport.abort()
        self._writers.clear()
        for task in list(self._pumps):
            task.cancel()
        await asyncio.gather(*self._pumps, return_exceptions=True)


def store_with(settings: Settings, **repositories: Callable[[Any], Any]) -> Store:
    """The settings' own store with some repositories replaced (one that stalls, or fails), for
    ``bootstrap(settings, store=...)``: each keyword names a repository and makes it from the store."""
    from event_service.entrypoints.stores import open_store

    store = open_store(settings)
    for name, make in repositories.items():
        setattr(store, name, make(store))
    return store


async def store_sql(service: Service, sql: str, *params: Any) -> list[Any]:
    """Run one statement on the service's SQLite store behind the service's back, as an operator could."""
    return await service.store.database.write(lambda connection: connection.execute(sql, params).fetchall())


def sample(exposition: str, name: str, **labels: str) -> float:
    """The value of one sample of a Prometheus exposition, 0 when it is absent."""
    for family in text_string_to_metric_families(exposition):
        for found in family.samples:
            if found.name == name and all(found.labels.get(key) == value for key, value in labels.items()):
                return found.value
    return 0.0


def free_port() -> int:
    """A port nothing listens on now, for a server process the test starts."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


class ThreadedTcpProxy:
    """A TcpProxy on an event loop in a thread of its own. Litestar's test client runs the app on another thread
    and blocks the test's loop during each request, so a proxy on the test's loop would stall every request."""

    def __init__(self, host: str, port: int) -> None:
        self.proxy = TcpProxy(host, port)
        self._loop = asyncio.new_event_loop()
        self._thread = threading.Thread(target=self._loop.run_forever, daemon=True)
        self._thread.start()

    def _run(self, work: Awaitable[T]) -> T:
        return asyncio.run_coroutine_threadsafe(work, self._loop).result(10)  # type: ignore[arg-type]

    def start(self) -> int:
        return self._run(self.proxy.start())

    def hang(self, hung: bool = True) -> None:
        self._loop.call_soon_threadsafe(self.proxy.hang, hung)

    def retarget(self, host: str, port: int) -> None:
        self._run(self.proxy.retarget(host, port))

    def close(self) -> None:
        self._run(self.proxy.cut())
        self._loop.call_soon_threadsafe(self._loop.stop)
        self._thread.join()
        self._loop.close()


async def stop_process(process: asyncio.subprocess.Process, within: float = 20.0) -> tuple[int | None, bytes]:
    """SIGTERM, then its exit code and what it wrote to a piped stdout; killed (code None) if it has not exited
    within ``within`` seconds, so that a failed test never leaves a process behind to take the next tests' jobs."""
    if process.returncode is None:
        process.terminate()
    try:
        output, _ = await asyncio.wait_for(process.communicate(), within)
    except TimeoutError:
        process.kill()
        output, _ = await process.communicate()  # what it wrote before it hung: what the failing test needs to show
        return None, output or b""
    return process.returncode, output or b""


async def start_worker_process(
    redis_url: str, output: int = asyncio.subprocess.PIPE, **settings: str
) -> asyncio.subprocess.Process:
    """`event-service worker` in a child process on the tests' Redis, its output piped (or sent to ``output``); no
    MongoDB, no token."""
    env = {k: v for k, v in os.environ.items() if k not in {"MONGODB_URL", "ADMIN_TOKEN"}}
    env.update({"REDIS_URL": redis_url, "LOG_FORMAT": "json", **settings})
    return await asyncio.create_subprocess_exec(
        sys.executable,
        "-m",
        "event_service.entrypoints.cli",
        "worker",
        env=env,
        stdout=output,
        stderr=asyncio.subprocess.STDOUT,
    )
