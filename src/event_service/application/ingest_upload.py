"""Ingest an uploaded CSV file: claim the batch, validate every row, store the valid events, finish the batch."""

from __future__ import annotations

import asyncio
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import BinaryIO

from event_service.application.csv_stream import digest, read_chunks, validate_csv
from event_service.application.errors import ClaimLost, DuplicateBatch, IdempotencyKeyReused, StrictModeRejected
from event_service.application.event_type_cap import EventTypeCap
from event_service.application.ports import BatchRepository, Clock, ComputePool, EventRepository, IdGenerator
from event_service.application.remove_batch import remove_batch
from event_service.domain import (
    Batch,
    BatchStatus,
    IngestReport,
    ParsedChunk,
    RowError,
    StatusChange,
    TimestampBounds,
    report_fields,
)
from event_service.domain.framing import DEFAULT_CHUNK_BYTES
from event_service.domain.timestamps import DEFAULT_EARLIEST, DEFAULT_FUTURE_TOLERANCE

DEFAULT_MAX_EVENT_TYPES = 1000


@dataclass(frozen=True)
class IngestLimits:
    max_decompressed_bytes: int = 1 << 30
    chunk_bytes: int = DEFAULT_CHUNK_BYTES
    stored_errors_per_batch: int = 100_000
    earliest: datetime = DEFAULT_EARLIEST
    future_tolerance: timedelta = DEFAULT_FUTURE_TOLERANCE
    max_event_types: int = DEFAULT_MAX_EVENT_TYPES
    """Distinct event types the whole service accepts: rows of a new type past it are rejected."""


@dataclass(frozen=True)
class Upload:
    """A file already received whole (spooled to disk by the entrypoint), readable and seekable."""

    file: BinaryIO
    filename: str | None = None
    strict: bool = False
    idempotency_key: str | None = None


@dataclass(frozen=True)
class IngestOutcome:
    batch: Batch
    duplicate: bool


class IngestUpload:
    def __init__(
        self,
        batches: BatchRepository,
        events: EventRepository,
        pool: ComputePool,
        clock: Clock,
        new_id: IdGenerator,
        limits: IngestLimits,
    ) -> None:
        self._batches = batches
        self._events = events
        self._pool = pool
        self._clock = clock
        self._new_id = new_id
        self._limits = limits

    async def __call__(self, upload: Upload) -> IngestOutcome:
        sha256, size, gzipped = await asyncio.to_thread(digest, upload.file)
        existing = await self._existing(sha256, upload.idempotency_key)
        if existing is not None:
            return IngestOutcome(existing, duplicate=True)

        now = self._clock.now()
        bounds = TimestampBounds.around(now, self._limits.earliest, self._limits.future_tolerance)
        # Read once per upload: the types of the batches stored when it starts.
        known_types = await self._batches.event_types()
        if upload.strict:
            report = await self._read(upload.file, gzipped, bounds, known_types, batch_id=None)
            if report.rows_rejected:
                raise StrictModeRejected(report)

        batch_id = self._new_id()
        claim = Batch(
            id=batch_id,
            filename=upload.filename,
            sha256=sha256,
            size_bytes=size,
            status=BatchStatus.INGESTING,
            **report_fields(IngestReport()),
            created_at=now,
            updated_at=now,
            idempotency_key=upload.idempotency_key,
            history=[StatusChange(BatchStatus.INGESTING, now)],
        )
        # Claim first: a twin of this upload (a client retrying after a timeout) finds the claim and answers
        # with it, so no event is ever stored by two uploads of one file.
        try:
            await self._batches.add(claim)
        except DuplicateBatch:
            existing = await self._existing(sha256, upload.idempotency_key)
            if existing is None:
                raise
            return IngestOutcome(existing, duplicate=True)
        try:
            report = await self._read(upload.file, gzipped, bounds, known_types, batch_id)
            batch = await self._batches.finish_ingestion(batch_id, report, self._clock.now())
            if batch is None:
                raise ClaimLost(
                    f"batch {batch_id} took longer than the ingest timeout and was swept; upload the file again"
                )
        except BaseException:
            await asyncio.shield(remove_batch(self._batches, self._events, batch_id))
            raise
        return IngestOutcome(batch, duplicate=False)

    async def _existing(self, sha256: str, idempotency_key: str | None) -> Batch | None:
        if idempotency_key is not None:
            keyed = await self._batches.find_by_idempotency_key(idempotency_key)
            if keyed is not None:
                if keyed.sha256 != sha256:
                    raise IdempotencyKeyReused(
                        f"Idempotency-Key {idempotency_key!r} was used for a different file (batch {keyed.id})"
                    )
                return keyed
        return await self._batches.find_by_sha256(sha256)

    async def _read(
        self, file: BinaryIO, gzipped: bool, bounds: TimestampBounds, known_types: set[str], batch_id: str | None
    ) -> IngestReport:
        """Validate the file; with a ``batch_id``, also store its valid events and errors as they come."""
        stored_errors = 0
        report = IngestReport()

        async def store(parsed: ParsedChunk, errors: list[RowError]) -> None:
            nonlocal stored_errors
            assert batch_id is not None  # store is passed on only with a batch id
            if parsed.events:
                duplicates = await self._events.add_many(batch_id, parsed.events)
                report.drop_duplicates(parsed.events[index] for index in duplicates)
            room = self._limits.stored_errors_per_batch - stored_errors
            if errors and room > 0:
                await self._batches.add_errors(batch_id, errors[:room])
                stored_errors += min(room, len(errors))

        return await validate_csv(
            read_chunks(file, gzipped, self._limits.max_decompressed_bytes, self._limits.chunk_bytes),
            self._pool,
            bounds,
            report,
            on_chunk=store if batch_id is not None else None,
            type_cap=EventTypeCap(known_types, self._limits.max_event_types),
        )
