"""A batch: one uploaded file, its validation outcome and where it is in processing."""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum

import msgspec

from event_service.domain.aggregation import DailyCounts
from event_service.domain.errors import RowError


class BatchStatus(StrEnum):
    UPLOADED = "uploaded"
    ENQUEUED = "enqueued"
    PROCESSING = "processing"
    PROCESSED = "processed"
    FAILED = "failed"


class Batch(msgspec.Struct, kw_only=True):
    id: str
    filename: str | None
    sha256: str
    size_bytes: int
    status: BatchStatus = BatchStatus.UPLOADED
    rows_total: int
    rows_accepted: int
    rows_rejected: int
    rows_duplicate: int = 0
    errors_total: int
    first_errors: list[RowError]
    counts: DailyCounts
    """This batch's contribution to the daily metrics, counted at upload."""
    created_at: datetime
    updated_at: datetime
    enqueued_at: datetime | None = None
    processed_at: datetime | None = None
    job_key: str | None = None
    last_error: str | None = None
    idempotency_key: str | None = None
    attempts: int = 0
    """Attempts of the current (or last) processing job; a new job starts again from 0."""
