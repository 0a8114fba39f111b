"""The inline pool parses the next chunk while its caller still works on (stores) the one it was given."""

from __future__ import annotations

import asyncio
import threading
from collections.abc import AsyncIterator
from datetime import UTC, datetime

import pytest

from event_service.adapters.compute import inline
from event_service.domain import ParsedChunk, TimestampBounds, parse_chunk, parse_header

pytestmark = pytest.mark.asyncio

CHUNKS = [b"u%d,signup,2025-11-13T00:00:00Z\n" % n for n in range(3)]


async def _chunks() -> AsyncIterator[bytes]:
    for chunk in CHUNKS:
        yield chunk


async def test_chunk_k_plus_1_is_parsed_while_chunk_k_is_stored(monkeypatch: pytest.MonkeyPatch) -> None:
    started = [threading.Event() for _ in CHUNKS]

    def recording_parse(data: bytes, *args: object, **kwargs: object) -> ParsedChunk:
        started[CHUNKS.index(data)].set()
        return parse_chunk(data, *args, **kwargs)  # type: ignore[arg-type]

    monkeypatch.setattr(inline, "parse_chunk", recording_parse)
    header = parse_header(b"user_id,event_type,timestamp")
    bounds = TimestampBounds.around(datetime(2025, 11, 14, tzinfo=UTC))
    users = []
    async for index, parsed in _enumerate(inline.InlinePool().parse_chunks(_chunks(), header, bounds)):
        if index + 1 < len(CHUNKS):
            # "Storing" chunk k does not end until chunk k+1's parse has begun: without overlap this times out.
            assert await asyncio.to_thread(started[index + 1].wait, 10)
        users.extend(event.user_id for event in parsed.events)
    assert users == ["u0", "u1", "u2"]


async def _enumerate(items: AsyncIterator[ParsedChunk]) -> AsyncIterator[tuple[int, ParsedChunk]]:
    index = 0
    async for item in items:
        yield index, item
        index += 1
