"""A batch: one uploaded file, its validation outcome and where it is in processing."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime
from enum import StrEnum
from typing import Any

import msgspec

from event_service.domain.aggregation import DailyCounts
from event_service.domain.errors import RowError
from event_service.domain.report import IngestReport


class BatchStatus(StrEnum):
    INGESTING = "ingesting"
    """Claimed by the upload storing its rows; ``uploaded`` once every row is stored and counted."""
    UPLOADED = "uploaded"
    ENQUEUED = "enqueued"
    PROCESSING = "processing"
    PROCESSED = "processed"
    FAILED = "failed"


JOB_IN_FLIGHT = frozenset({BatchStatus.ENQUEUED, BatchStatus.PROCESSING})
"""The statuses of a batch whose processing job is queued or running: a new request joins that job."""


class StatusChange(msgspec.Struct, frozen=True):
    """One step of a batch's history: the status it entered and when."""

    status: BatchStatus
    at: datetime
    attempt: int | None = None
    """The processing attempt that entered this status, when one did."""
    error: str | None = None
    """Why, for a failure or a retry."""


def status_change(status: BatchStatus, at: datetime, fields: Mapping[str, Any]) -> StatusChange:
    """The history entry for a status update that also sets ``fields`` (``attempts``, ``last_error``...).

    A reset of the attempts to 0 (a new job) names no attempt.
    """
    return StatusChange(BatchStatus(status), at, attempt=fields.get("attempts") or None, error=fields.get("last_error"))


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
    history: list[StatusChange] = msgspec.field(default_factory=list)
    """Every status the batch entered, oldest first: its creator gives it the first, the repositories append the
    rest with each status change."""


DATETIME_FIELDS = tuple(
    field.name for field in msgspec.structs.fields(Batch) if field.type in (datetime, datetime | None)
)
"""The fields of a Batch that hold a moment, read off the struct so a new one is never missed (its history's entries
hold one each too)."""


def report_fields(report: IngestReport) -> dict[str, Any]:
    """The fields of a batch that its upload's report fills in."""
    return {
        "rows_total": report.rows_total,
        "rows_accepted": report.rows_accepted,
        "rows_rejected": report.rows_rejected,
        "rows_duplicate": report.rows_duplicate,
        "errors_total": report.errors_total,
        "first_errors": report.first_errors,
        "counts": report.counts,
    }
