"""Parse chunks in a pool of processes, a bounded number in flight, results in input order."""

from __future__ import annotations

import asyncio
import multiprocessing
from collections import deque
from collections.abc import AsyncIterator
from concurrent.futures import ProcessPoolExecutor

import msgspec

from event_service.domain import Header, ParsedChunk, TimestampBounds, parse_chunk

_decoder = msgspec.msgpack.Decoder(ParsedChunk)


def _parse_encoded(chunk: bytes, header: Header, bounds: TimestampBounds, keep_events: bool) -> bytes:
    # msgpack crosses the process boundary several times faster than pickling thousands of small objects.
    return msgspec.msgpack.encode(parse_chunk(chunk, header, bounds, keep_events=keep_events))


class ProcessPool:
    def __init__(self, workers: int, in_flight_per_worker: int = 2) -> None:
        # forkserver: forking a process that runs an event loop and database clients is unsafe. The server
        # preloads the domain, so each worker starts with the parser already imported.
        context = multiprocessing.get_context("forkserver")
        context.set_forkserver_preload(["event_service.domain"])
        self._executor = ProcessPoolExecutor(max_workers=workers, mp_context=context)
        self._max_in_flight = workers * in_flight_per_worker

    async def parse_chunks(
        self, chunks: AsyncIterator[bytes], header: Header, bounds: TimestampBounds, *, keep_events: bool = True
    ) -> AsyncIterator[ParsedChunk]:
        loop = asyncio.get_running_loop()
        pending: deque[asyncio.Future[bytes]] = deque()
        try:
            async for chunk in chunks:
                pending.append(loop.run_in_executor(self._executor, _parse_encoded, chunk, header, bounds, keep_events))
                if len(pending) >= self._max_in_flight:
                    yield _decoder.decode(await pending.popleft())
            while pending:
                yield _decoder.decode(await pending.popleft())
        finally:
            for future in pending:
                future.cancel()

    def close(self) -> None:
        self._executor.shutdown(wait=True, cancel_futures=True)
