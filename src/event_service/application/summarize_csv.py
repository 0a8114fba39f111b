"""Validate and aggregate a CSV file without storing anything (the offline ``summarize`` command)."""

from __future__ import annotations

import asyncio
from typing import BinaryIO

from event_service.application.csv_stream import is_gzip, read_chunks, validate_csv
from event_service.application.ingest_upload import IngestLimits
from event_service.application.ports import Clock, ComputePool
from event_service.domain import IngestReport, TimestampBounds


class SummarizeCsv:
    def __init__(self, pool: ComputePool, clock: Clock, limits: IngestLimits) -> None:
        self._pool = pool
        self._clock = clock
        self._limits = limits

    async def __call__(self, file: BinaryIO) -> IngestReport:
        gzipped = await asyncio.to_thread(is_gzip, file)
        bounds = TimestampBounds.around(self._clock.now(), self._limits.earliest, self._limits.future_tolerance)
        chunks = read_chunks(file, gzipped, self._limits.max_decompressed_bytes, self._limits.chunk_bytes)
        return await validate_csv(chunks, self._pool, bounds, IngestReport())
