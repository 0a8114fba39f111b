"""Failures the use cases report. Entrypoints map them to HTTP statuses, exit codes or job outcomes."""

from __future__ import annotations

from event_service.domain import IngestReport


class ApplicationError(Exception):
    """A failure with a message fit for the client that caused it."""


class PermanentError(ApplicationError):
    """Retrying cannot help: a job that raises this goes straight to the dead-letter queue."""


class BatchNotFound(PermanentError):
    def __init__(self, batch_id: str) -> None:
        super().__init__(f"batch {batch_id} does not exist")
        self.batch_id = batch_id


class DuplicateBatch(ApplicationError):
    """A batch with the same sha256 or idempotency key is already stored."""

    _MESSAGES = {
        "sha256": "a batch with the same content (sha256) is already stored",
        "idempotency_key": "a batch with the same idempotency key is already stored",
        "id": "a batch with the same id is already stored",
    }

    @classmethod
    def on(cls, key: str | None) -> DuplicateBatch:
        """The error for a clash on ``key`` (``sha256``, ``idempotency_key`` or ``id``), or on an unknown one."""
        return cls(cls._MESSAGES.get(key or "", "a batch with the same sha256 or idempotency key is already stored"))


class ClaimLost(ApplicationError):
    """The upload's batch was swept as stale while it was still storing rows: nothing of it was kept."""


class BatchStillIngesting(ApplicationError):
    """The batch's upload is still storing its rows: it cannot be processed yet."""

    def __init__(self, batch_id: str) -> None:
        super().__init__(f"batch {batch_id} is still being uploaded (status ingesting); process it once it is uploaded")
        self.batch_id = batch_id


class UploadTooLarge(ApplicationError):
    pass


class UnreadableUpload(ApplicationError):
    """The upload cannot be decoded (a corrupt gzip stream, say)."""


class UnsupportedFile(ApplicationError):
    """The upload is neither CSV text nor gzip-compressed CSV."""


class IdempotencyKeyReused(ApplicationError):
    pass


class StrictModeRejected(ApplicationError):
    """``strict`` was asked and some rows are invalid: nothing was stored."""

    def __init__(self, report: IngestReport) -> None:
        super().__init__(
            f"strict mode: {report.rows_rejected} of {report.rows_total} rows are invalid; nothing was stored"
        )
        self.report = report


class ComputeUnavailable(ApplicationError):
    """A parser process died while it held part of this upload; nothing of the upload was kept."""


class UnknownQueue(ApplicationError):
    def __init__(self, name: str) -> None:
        super().__init__(f"queue {name!r} does not exist")
        self.name = name


class CorruptBatch(PermanentError):
    """The stored batch cannot be processed as it is (unreadable fields, impossible counts)."""

    def __init__(self, batch_id: str, detail: str) -> None:
        super().__init__(f"batch {batch_id} is corrupt: {detail}")
        self.batch_id = batch_id


class DeadLetterNotFound(ApplicationError):
    def __init__(self, queue: str, entry_id: str) -> None:
        super().__init__(f"dead letter {entry_id!r} does not exist in queue {queue!r}")
        self.entry_id = entry_id


class InvalidDateRange(ApplicationError):
    """A range of days that cannot be answered: unreadable bounds, reversed, or too long."""
