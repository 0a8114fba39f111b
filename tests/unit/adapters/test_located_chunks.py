"""Chunks of a file on disk say where they lie in it, and parser processes read them from there."""

from __future__ import annotations

import gzip
import io
from collections.abc import AsyncIterator
from datetime import UTC, datetime
from pathlib import Path
from typing import TypeVar

import pytest

from event_service.adapters.compute import InlinePool, ProcessPool
from event_service.application.csv_stream import FileChunk, file_version, read_chunks
from event_service.application.errors import UnreadableUpload
from event_service.application.ingest_upload import IngestLimits
from event_service.application.summarize_csv import SummarizeCsv
from event_service.domain import TimestampBounds, parse_header
from tests.unit.application.fakes import FixedClock

pytestmark = pytest.mark.asyncio
T = TypeVar("T")

ROWS = b"".join(b"u%d,signup,2025-11-13T00:%02d:00Z\r\n" % (n, n % 60) for n in range(20_000))
"""About 0.7 MB: files are read in blocks of 256 KiB, and cut into chunks only at block ends."""
DATA = b"\xef\xbb\xbfuser_id,event_type,timestamp\r\n" + ROWS + b"u9,bad,not-a-time\r\n"
BOUNDS = TimestampBounds.around(datetime(2025, 11, 14, tzinfo=UTC))


async def _collect(items: AsyncIterator[T]) -> list[T]:
    return [item async for item in items]


async def _one(chunk: bytes) -> AsyncIterator[bytes]:
    yield chunk


async def test_chunks_of_a_file_opened_from_a_path_say_where_they_lie_in_it(tmp_path: Path) -> None:
    path = tmp_path / "events.csv"
    path.write_bytes(DATA)
    with path.open("rb") as file:
        chunks = await _collect(read_chunks(file, False, len(DATA), 256))
    assert len(chunks) > 2
    assert all(isinstance(chunk, FileChunk) and chunk.path == str(path) for chunk in chunks)
    assert all(
        DATA[chunk.offset : chunk.offset + len(chunk)] == chunk for chunk in chunks if isinstance(chunk, FileChunk)
    )
    first = chunks[0]
    assert isinstance(first, FileChunk)
    tail = first.tail(first[20:])
    assert DATA[tail.offset : tail.offset + len(tail)] == tail


async def test_other_files_give_plain_chunks(tmp_path: Path) -> None:
    path = tmp_path / "events.csv.gz"
    path.write_bytes(gzip.compress(DATA))
    with path.open("rb") as file:
        unzipped = await _collect(read_chunks(file, True, 1 << 20, 256))
    in_memory = await _collect(read_chunks(io.BytesIO(DATA), False, 1 << 20, 256))
    for chunks in (unzipped, in_memory):
        assert len(chunks) > 1
        assert b"".join(chunks) == DATA
        assert not any(isinstance(chunk, FileChunk) for chunk in chunks)


async def test_parser_processes_reading_the_file_count_what_the_inline_parser_counts(tmp_path: Path) -> None:
    path = tmp_path / "events.csv"
    path.write_bytes(DATA)
    limits = IngestLimits(chunk_bytes=1024)
    pool = ProcessPool(2, start_method="fork")
    try:
        with path.open("rb") as file:
            forked = await SummarizeCsv(pool, FixedClock(), limits)(file)
    finally:
        pool.close()
    with path.open("rb") as file:
        inline = await SummarizeCsv(InlinePool(), FixedClock(), limits)(file)
    assert forked == inline
    assert (forked.rows_total, forked.rows_rejected, forked.counts) == (20_001, 1, {"2025-11-13": {"signup": 20_000}})
    assert [error.row for error in forked.first_errors] == [20_002]


async def test_a_file_changed_after_its_chunk_was_read_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "events.csv"
    path.write_bytes(DATA)
    start = DATA.index(b"\n") + 1
    chunk = FileChunk(DATA[start:], str(path), start, file_version(path.stat()))
    with path.open("ab") as file:
        file.write(b"u10,signup,2025-11-13T00:00:00Z\r\n")
    pool = ProcessPool(1, start_method="fork")
    try:
        with pytest.raises(UnreadableUpload, match="changed while it was being read"):
            await _collect(pool.parse_chunks(_one(chunk), parse_header(b"user_id,event_type,timestamp"), BOUNDS))
    finally:
        pool.close()
