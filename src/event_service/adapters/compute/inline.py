"""Parse chunks one at a time in a worker thread: no extra processes, for tests and small deployments."""

from __future__ import annotations

import asyncio
import functools
from collections.abc import AsyncIterator

from event_service.domain import Header, ParsedChunk, TimestampBounds, parse_chunk


class InlinePool:
    async def parse_chunks(
        self, chunks: AsyncIterator[bytes], header: Header, bounds: TimestampBounds, *, keep_events: bool = True
    ) -> AsyncIterator[ParsedChunk]:
        parse = functools.partial(parse_chunk, header=header, bounds=bounds, keep_events=keep_events)
        async for chunk in chunks:
            yield await asyncio.to_thread(parse, chunk)

    def close(self) -> None:
        """Nothing to release."""
