"""Response bodies of the HTTP API (msgspec Structs, documented in the OpenAPI schema)."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated

import msgspec
from litestar.params import Body

from event_service.adapters.redis import DeadLetterRecord
from event_service.application.list_queues import QueueOverview
from event_service.domain import Batch, BatchStatus, DailyCounts, RowError, StatusChange


class ErrorBody(msgspec.Struct):
    """Every 4xx and 5xx body: the HTTP status again, and a message meant for people."""

    status_code: int
    message: str


class DependencyErrorBody(ErrorBody):
    dependency: str
    """``redis``, ``mongodb``, ``sqlite`` or ``parser_pool``: which backing service failed."""


class RowErrorsBody(ErrorBody):
    """An upload that cannot be ingested. With `strict=true` the body also holds the counts and the first bad rows;
    the upload's other 422s send the plain error fields."""

    rows_total: int | msgspec.UnsetType = msgspec.UNSET
    rows_rejected: int | msgspec.UnsetType = msgspec.UNSET
    errors: list[RowError] | msgspec.UnsetType = msgspec.UNSET


Error = Annotated[ErrorBody, Body(schema_component_key="Error")]
UploadRejected = Annotated[RowErrorsBody, Body(schema_component_key="UploadRejected")]


class UploadBody(msgspec.Struct):
    batch_id: str
    status: BatchStatus
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
            status=batch.status,
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
    status: BatchStatus
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
    history: list[StatusChange]
    """Every status the batch entered, oldest first, with the attempt and the error where there was one."""

    @classmethod
    def of(cls, batch: Batch) -> BatchBody:
        # The batch's own fields, under their own names, but for the id; the others (first errors) stay out.
        return msgspec.convert(msgspec.structs.asdict(batch) | {"batch_id": batch.id}, cls)


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
    status: BatchStatus
    batch_id: str
    job_key: str


class ProcessedBody(msgspec.Struct):
    """Already processed: nothing was enqueued (ask again with ``?force=true`` to process it anew)."""

    status: BatchStatus
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


class DayMetrics(msgspec.Struct):
    date: str
    metrics: dict[str, int]


class MetricsRangeBody(msgspec.Struct):
    from_: str = msgspec.field(name="from")
    to: str
    days: list[DayMetrics]


class DeadLettersBody(msgspec.Struct):
    queue: str
    total: int
    offset: int
    limit: int
    failed_jobs: list[DeadLetterRecord]


class HealthBody(msgspec.Struct):
    status: str
