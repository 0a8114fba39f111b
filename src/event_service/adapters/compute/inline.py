"""Parse chunks in a worker thread, one ahead: no extra processes, for tests and small deployments."""

from __future__ import annotations

import asyncio
import functools
from collections import deque
from collections.abc import AsyncIterator

from event_service.domain import Header, ParsedChunk, TimestampBounds, parse_chunk


class InlinePool:
    async def parse_chunks(
        self, chunks: AsyncIterator[bytes], header: Header, bounds: TimestampBounds, *, keep_events: bool = True
    ) -> AsyncIterator[ParsedChunk]:
        parse = functools.partial(parse_chunk, header=header, bounds=bounds, keep_events=keep_events)
        # The next chunk is parsed while the caller stores the one just yielded: the store's writer thread and the
        # parser thread overlap (both release the GIL in C: SQLite's steps, the csv and str splitting).
        pending: deque[asyncio.Future[ParsedChunk]] = deque()
        try:
            async for chunk in chunks:
                pending.append(asyncio.ensure_future(asyncio.to_thread(parse, chunk)))
                if len(pending) > 1:
                    yield await pending.popleft()
            while pending:
                yield await pending.popleft()
        finally:
            for future in pending:
                future.cancel()

    def close(self) -> None:
        """Nothing to release."""
