"""Parse chunks in a pool of processes, a bounded number in flight, results in input order.

A parser process that dies (killed, out of memory) breaks a ``ProcessPoolExecutor`` for good: every later
submission raises ``BrokenProcessPool``. The pool is therefore replaced as soon as a break is seen. The upload
whose chunks were in the dead pool fails with ``ComputeUnavailable``; a chunk that only met a pool already known
to be broken is submitted again to the new one, since nothing of it was lost.
"""

from __future__ import annotations

import asyncio
import multiprocessing
import os
from collections import deque
from collections.abc import AsyncIterator, Callable
from concurrent.futures import ProcessPoolExecutor
from concurrent.futures.process import BrokenProcessPool

import msgspec

from event_service.application.csv_stream import FileChunk, file_version
from event_service.application.errors import ComputeUnavailable, UnreadableUpload
from event_service.domain import Header, ParsedChunk, TimestampBounds, parse_chunk

_decoder = msgspec.msgpack.Decoder(ParsedChunk)


def _parse_encoded(chunk: bytes, header: Header, bounds: TimestampBounds, keep_events: bool) -> bytes:
    # msgpack crosses the process boundary several times faster than pickling thousands of small objects.
    return msgspec.msgpack.encode(parse_chunk(chunk, header, bounds, keep_events=keep_events))


def _parse_located(
    where: tuple[str, int, int, tuple[int, int, int]], header: Header, bounds: TimestampBounds, keep_events: bool
) -> bytes:
    """``_parse_encoded`` of a chunk read here from its file: a megabyte through a pipe costs the parent and this
    process more than reading it from the page cache."""
    path, offset, size, version = where
    with open(path, "rb") as file:
        chunk = os.pread(file.fileno(), size, offset)
        if len(chunk) != size or file_version(os.fstat(file.fileno())) != version:
            raise UnreadableUpload(f"{path} changed while it was being read")
    return _parse_encoded(chunk, header, bounds, keep_events)


def _call(chunk: bytes) -> tuple[Callable[..., bytes], object]:
    """The function a worker runs on ``chunk``, and the chunk as that function takes it."""
    if isinstance(chunk, FileChunk):
        return _parse_located, (chunk.path, chunk.offset, len(chunk), chunk.version)
    return _parse_encoded, chunk


class ProcessPool:
    def __init__(self, workers: int, in_flight_per_worker: int = 2, *, start_method: str = "forkserver") -> None:
        # forkserver: forking a process that runs an event loop and database clients is unsafe. The server
        # preloads the domain, so each worker starts with the parser already imported. "fork" is for a process
        # that runs neither yet, such as the offline `summarize` before its event loop: its workers are forked
        # here and now, with everything the caller imported, so none pays for an interpreter of its own.
        self._context = multiprocessing.get_context(start_method)
        if start_method == "forkserver":
            self._context.set_forkserver_preload(["event_service.domain"])
        self._workers = workers
        self._executor = self._new_executor()
        self._max_in_flight = workers * in_flight_per_worker
        if start_method == "fork":
            # The executor forks all its workers at its first call when it forks (it may not start them later,
            # from its own threads): a call that does nothing starts them before the caller starts any thread.
            self._executor.submit(int).result()

    def _new_executor(self) -> ProcessPoolExecutor:
        return ProcessPoolExecutor(max_workers=self._workers, mp_context=self._context)

    def _replace(self, broken: ProcessPoolExecutor) -> None:
        """A new executor in place of ``broken``, unless another upload replaced it first."""
        if self._executor is broken:
            # Imported here: `summarize` runs this pool on a library install, which has no structlog.
            import structlog

            structlog.get_logger(__name__).warning(
                "compute_pool.replaced", reason="a parser process died", workers=self._workers
            )
            self._executor = self._new_executor()
            survivors = list(broken._processes.values())
            broken.shutdown(wait=False, cancel_futures=True)
            # A child killed while holding the call queue's lock leaves its siblings blocked on that lock for good,
            # and CPython 3.11 joins them without terminating them first: the process would hang at exit.
            for process in survivors:
                process.terminate()

    def _submit(
        self, chunk: bytes, header: Header, bounds: TimestampBounds, keep_events: bool
    ) -> tuple[ProcessPoolExecutor, asyncio.Future[bytes]]:
        loop = asyncio.get_running_loop()
        executor = self._executor
        function, argument = _call(chunk)
        try:
            return executor, loop.run_in_executor(executor, function, argument, header, bounds, keep_events)
        except BrokenProcessPool:
            # Refused at submission: this chunk never reached the dead pool, so it goes to a new one.
            self._replace(executor)
            executor = self._executor
            return executor, loop.run_in_executor(executor, function, argument, header, bounds, keep_events)

    async def _result(self, executor: ProcessPoolExecutor, future: asyncio.Future[bytes]) -> ParsedChunk:
        try:
            return _decoder.decode(await future)
        except BrokenProcessPool as exc:
            self._replace(executor)
            raise ComputeUnavailable("a parser process died while reading this file; nothing of it was stored") from exc

    async def parse_chunks(
        self, chunks: AsyncIterator[bytes], header: Header, bounds: TimestampBounds, *, keep_events: bool = True
    ) -> AsyncIterator[ParsedChunk]:
        pending: deque[tuple[ProcessPoolExecutor, asyncio.Future[bytes]]] = deque()
        try:
            async for chunk in chunks:
                pending.append(self._submit(chunk, header, bounds, keep_events))
                if len(pending) >= self._max_in_flight:
                    yield await self._result(*pending.popleft())
            while pending:
                yield await self._result(*pending.popleft())
        finally:
            for _, future in pending:
                future.cancel()

    def close(self) -> None:
        self._executor.shutdown(wait=True, cancel_futures=True)
