"""Reading an uploaded file as a stream of record chunks and validating it through the compute pool.

Shared by uploads and the offline ``summarize`` command, so both run the very same parser.
"""

from __future__ import annotations

import asyncio
import gzip
import hashlib
import os
import zlib
from collections import deque
from collections.abc import AsyncIterator, Awaitable, Callable, Iterator
from typing import BinaryIO

from event_service.application.errors import UnreadableUpload, UnsupportedFile, UploadTooLarge
from event_service.application.event_type_cap import EventTypeCap
from event_service.application.ports import ComputePool
from event_service.domain import (
    IngestReport,
    NoDataRows,
    ParsedChunk,
    RowError,
    TimestampBounds,
    iter_record_chunks,
    parse_header,
    split_first_record,
)

GZIP_MAGIC = b"\x1f\x8b"
_READ_BYTES = 1 << 18
_SNIFF_BYTES = 8192

ChunkHandler = Callable[[ParsedChunk, list[RowError]], Awaitable[None]]


def is_gzip(file: BinaryIO) -> bool:
    """Whether the file is gzip; UnsupportedFile for binary content that is not gzip."""
    file.seek(0)
    head = file.read(_SNIFF_BYTES)
    gzipped = head.startswith(GZIP_MAGIC)
    if not gzipped and b"\x00" in head:
        raise UnsupportedFile("the file is binary, neither CSV text nor gzip-compressed CSV")
    return gzipped


def digest(file: BinaryIO) -> tuple[str, int, bool]:
    """sha256, size and whether the file is gzip; UnsupportedFile for binary content that is not gzip."""
    gzipped = is_gzip(file)
    file.seek(0)
    sha256 = hashlib.sha256()
    size = 0
    while block := file.read(_READ_BYTES):
        sha256.update(block)
        size += len(block)
    return sha256.hexdigest(), size, gzipped


def _blocks(file: BinaryIO, gzipped: bool, limit: int) -> Iterator[bytes]:
    file.seek(0)
    source: BinaryIO = gzip.GzipFile(fileobj=file, mode="rb") if gzipped else file  # type: ignore[assignment]
    total = 0
    try:
        while block := source.read(_READ_BYTES):
            total += len(block)
            if total > limit:
                raise UploadTooLarge(f"the file is larger than {limit} bytes once decompressed")
            yield block
    except (gzip.BadGzipFile, EOFError, zlib.error) as exc:
        raise UnreadableUpload(f"the gzip stream is corrupt: {exc}") from exc


class FileChunk(bytes):
    """A chunk that also says where it lies in a file on disk, so that a parser process can read it from there
    rather than receive it through a pipe. ``version`` is the file's (inode, size, mtime) when it was read: the
    reader refuses a file that has changed since."""

    path: str
    offset: int
    version: tuple[int, int, int]

    def __new__(cls, data: bytes, path: str, offset: int, version: tuple[int, int, int]) -> FileChunk:
        chunk = super().__new__(cls, data)
        chunk.path, chunk.offset, chunk.version = path, offset, version
        return chunk

    def tail(self, rest: bytes) -> FileChunk:
        """``rest``, the end of this chunk, located."""
        return FileChunk(rest, self.path, self.offset + len(self) - len(rest), self.version)


def file_version(stat: os.stat_result) -> tuple[int, int, int]:
    return stat.st_ino, stat.st_size, stat.st_mtime_ns


async def read_chunks(file: BinaryIO, gzipped: bool, limit: int, chunk_bytes: int) -> AsyncIterator[bytes]:
    """Record-aligned chunks of the (decompressed) file, read off the event loop so the server keeps answering.

    Chunks of a plain file opened from a path (``summarize``'s; an upload's spooled file has none) are FileChunks:
    they say where they lie, and a process pool's parsers read them from the file rather than through a pipe.
    """
    chunks = iter_record_chunks(_blocks(file, gzipped, limit), chunk_bytes)
    path = getattr(file, "name", None)
    where = (path, file_version(os.fstat(file.fileno()))) if not gzipped and isinstance(path, str) else None
    offset = 0
    while (chunk := await asyncio.to_thread(next, chunks, None)) is not None:
        yield chunk if where is None else FileChunk(chunk, where[0], offset, where[1])
        offset += len(chunk)


async def validate_csv(
    chunks: AsyncIterator[bytes],
    pool: ComputePool,
    bounds: TimestampBounds,
    report: IngestReport,
    on_chunk: ChunkHandler | None = None,
    *,
    keep_events: bool | None = None,
    type_cap: EventTypeCap | None = None,
) -> IngestReport:
    """Validate every record into ``report`` and hand each parsed chunk to ``on_chunk``, in file order.

    ``keep_events``: whether parsed chunks carry their events; by default only when there is a handler.
    ``type_cap``: rejects the rows of event types past the service's cap.
    """
    first = await anext(chunks, None)
    if first is None:
        raise NoDataRows("the file is empty; expected a header and at least one data row")
    header_record, rest = split_first_record(first)
    header = parse_header(header_record)
    if isinstance(first, FileChunk):
        rest = first.tail(rest)

    # The chunks in flight in the pool, kept for the rare one the type cap must parse again. The pool yields in
    # input order, so the oldest kept is the one each result came from.
    in_flight: deque[bytes] = deque()

    async def data_chunks() -> AsyncIterator[bytes]:
        if rest:
            if type_cap is not None:
                in_flight.append(rest)
            yield rest
        async for chunk in chunks:
            if type_cap is not None:
                in_flight.append(chunk)
            yield chunk

    # Only a handler stores events: without one, the pool need not build or ship them.
    if keep_events is None:
        keep_events = on_chunk is not None
    async for parsed in pool.parse_chunks(data_chunks(), header, bounds, keep_events=keep_events):
        if type_cap is not None:
            parsed = await type_cap.apply(parsed, in_flight.popleft(), header, bounds, keep_events)
        errors = report.add(parsed)
        if on_chunk is not None:
            await on_chunk(parsed, errors)
    if report.rows_total == 0:
        raise NoDataRows("the file has a header but no data rows")
    return report
