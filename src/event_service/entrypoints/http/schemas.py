"""Response bodies of the HTTP API (msgspec Structs, documented in the OpenAPI schema)."""

from __future__ import annotations

from datetime import datetime

import msgspec

from event_service.application.list_queues import QueueOverview
from event_service.application.ports import DeadLetter
from event_service.domain import Batch, DailyCounts, RowError


class ErrorBody(msgspec.Struct):
    status_code: int
    message: str


class DependencyErrorBody(ErrorBody):
    dependency: str
    """``redis`` or ``mongodb``: which backing service failed."""


class RowErrorsBody(ErrorBody):
    rows_total: int
    rows_rejected: int
    errors: list[RowError]


class UploadBody(msgspec.Struct):
    batch_id: str
    status: str
    rows_total: int
    rows_accepted: int
    rows_rejected: int
    rows_duplicate: int
    errors_total: int
    errors: list[RowError]
    duplicate: bool = False

    @classmethod
    def of(cls, batch: Batch, duplicate: bool) -> UploadBody:
        return cls(
            batch_id=batch.id,
            status=batch.status.value,
            rows_total=batch.rows_total,
            rows_accepted=batch.rows_accepted,
            rows_rejected=batch.rows_rejected,
            rows_duplicate=batch.rows_duplicate,
            errors_total=batch.errors_total,
            errors=batch.first_errors,
            duplicate=duplicate,
        )


class BatchBody(msgspec.Struct):
    batch_id: str
    status: str
    filename: str | None
    sha256: str
    size_bytes: int
    rows_total: int
    rows_accepted: int
    rows_rejected: int
    rows_duplicate: int
    errors_total: int
    counts: DailyCounts
    created_at: datetime
    updated_at: datetime
    enqueued_at: datetime | None
    processed_at: datetime | None
    job_key: str | None
    last_error: str | None
    attempts: int

    @classmethod
    def of(cls, batch: Batch) -> BatchBody:
        # The batch's own fields, under their own names, but for the id; the others (first errors) stay out.
        return msgspec.convert(
            msgspec.structs.asdict(batch) | {"batch_id": batch.id, "status": batch.status.value}, cls
        )


class BatchesPageBody(msgspec.Struct):
    total: int
    offset: int
    limit: int
    batches: list[BatchBody]


class ErrorsPageBody(msgspec.Struct):
    batch_id: str
    offset: int
    limit: int
    errors_total: int
    errors_stored: int
    errors: list[RowError]


class ProcessBody(msgspec.Struct):
    status: str
    batch_id: str
    job_key: str


class ProcessedBody(msgspec.Struct):
    """Already processed: nothing was enqueued (ask again with ``?force=true`` to process it anew)."""

    status: str
    batch_id: str


class QueuesBody(msgspec.Struct):
    queues: list[QueueOverview]


class RetriedBody(msgspec.Struct):
    queue: str
    dead_letter_id: str
    job_key: str
    job_status: str
    created: bool
    """False when a job with the same key was already queued or running: that one does the work."""


class PurgedBody(msgspec.Struct):
    queue: str
    purged: int


class MetricsBody(msgspec.Struct):
    date: str
    metrics: dict[str, int]


class DeadLettersBody(msgspec.Struct):
    queue: str
    total: int
    offset: int
    limit: int
    failed_jobs: list[DeadLetter]


class HealthBody(msgspec.Struct):
    status: str
