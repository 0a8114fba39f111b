"""Validate and aggregate a CSV file without storing anything (the offline ``summarize`` command)."""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from typing import BinaryIO

from event_service.application.csv_stream import ChunkHandler, is_gzip, read_chunks, validate_csv
from event_service.application.ingest_upload import IngestLimits
from event_service.application.ports import Clock, ComputePool
from event_service.domain import IngestReport, ParsedChunk, RowError, TimestampBounds

RowErrorSink = Callable[[list[RowError]], None]
"""Receives every row error, chunk by chunk in file order, numbered as rows of the whole file."""


class SummarizeCsv:
    def __init__(self, pool: ComputePool, clock: Clock, limits: IngestLimits) -> None:
        self._pool = pool
        self._clock = clock
        self._limits = limits

    async def __call__(self, file: BinaryIO, on_errors: RowErrorSink | None = None) -> IngestReport:
        gzipped = await asyncio.to_thread(is_gzip, file)
        bounds = TimestampBounds.around(self._clock.now(), self._limits.earliest, self._limits.future_tolerance)
        chunks = read_chunks(file, gzipped, self._limits.max_decompressed_bytes, self._limits.chunk_bytes)
        handler = None if on_errors is None else _errors_to(on_errors)
        # The report needs counts and errors only, never the events themselves.
        return await validate_csv(chunks, self._pool, bounds, IngestReport(), handler, keep_events=False)


def _errors_to(sink: RowErrorSink) -> ChunkHandler:
    async def handle(_: ParsedChunk, errors: list[RowError]) -> None:
        if errors:
            sink(errors)

    return handle
