"""What the use cases need from the outside world. Adapters implement these; tests fake them."""

from __future__ import annotations

from collections.abc import AsyncIterator, Awaitable, Callable, Iterable, Mapping, Sequence
from datetime import datetime
from enum import StrEnum
from typing import Any, Protocol

import msgspec

from event_service.application.jobs import JobMessage
from event_service.domain import (
    Batch,
    BatchStatus,
    Event,
    Header,
    IngestReport,
    ParsedChunk,
    RowError,
    TimestampBounds,
)

SETTABLE_BATCH_FIELDS = frozenset({"enqueued_at", "processed_at", "job_key", "last_error", "attempts"})
"""The fields ``BatchRepository.set_status`` may set besides the status."""


def check_settable(fields: Mapping[str, Any]) -> None:
    """ValueError naming any field ``set_status`` may not set: a typo must not write a stray field."""
    unknown = set(fields) - SETTABLE_BATCH_FIELDS
    if unknown:
        raise ValueError(
            f"set_status cannot set {', '.join(sorted(unknown))}; only {', '.join(sorted(SETTABLE_BATCH_FIELDS))}"
        )


class BatchRepository(Protocol):
    async def add(self, batch: Batch) -> None:
        """Store a new batch as given (its history included); DuplicateBatch if its sha256 or idempotency key is
        already stored."""

    async def finish_ingestion(self, batch_id: str, report: IngestReport, at: datetime) -> Batch | None:
        """Give an ``ingesting`` batch the report's counts and first errors and make it ``uploaded``, in one write.

        Returns the batch as stored, or None (and changes nothing) if it is no longer ``ingesting`` (swept).
        """

    async def stale_claims(self, before: datetime) -> list[str]:
        """The ids of the batches still ``ingesting`` that were created before ``before``."""

    async def event_types(self) -> set[str]:
        """Every event type a stored batch counts: the types the service knows (its metrics hold no others)."""

    async def get(self, batch_id: str) -> Batch | None: ...

    async def find_by_sha256(self, sha256: str) -> Batch | None: ...

    async def find_by_idempotency_key(self, key: str) -> Batch | None: ...

    async def set_status(self, batch_id: str, status: BatchStatus, at: datetime, **fields: Any) -> None:
        """Set the status, ``updated_at`` and the given fields (``SETTABLE_BATCH_FIELDS``; others: ValueError)."""

    async def add_errors(self, batch_id: str, errors: Sequence[RowError]) -> None: ...

    async def list_errors(self, batch_id: str, offset: int, limit: int) -> list[RowError]: ...

    async def list_recent(self, offset: int, limit: int) -> tuple[int, list[Batch]]:
        """How many batches there are, and a page of them, the most recently created first."""

    async def delete(self, batch_id: str) -> None:
        """Remove the batch and its stored errors."""

    async def mark_retrying(self, batch_id: str, attempt: int, at: datetime, last_error: str) -> bool:
        """Back to ``enqueued`` with ``last_error``, but only while the batch is ``processing`` on ``attempt``.

        Returns False (and changes nothing) when a later attempt already started or the batch moved on.
        """


class HealthCheck(Protocol):
    """A backing service that can say it answers: Redis, and each store (MongoDB, SQLite)."""

    async def ping(self) -> None:
        """Return once the service answers a trivial request; raise when it cannot."""


class EventRepository(Protocol):
    async def add_many(self, batch_id: str, events: Sequence[Event]) -> list[int]:
        """Store ``events``; return the positions of those whose ``event_id`` was already stored (not stored again)."""

    async def delete_batch(self, batch_id: str) -> None: ...


class MetricsRepository(Protocol):
    async def replace_contribution(self, batch_id: str, counts: Mapping[str, Mapping[str, int]]) -> set[str]:
        """Make ``counts`` the batch's whole contribution; return the days it touched, before or now."""

    async def recompute_day(self, day: str) -> dict[str, int]:
        """Set the day's totals to the sum of all contributions to it, and return them."""

    async def daily_totals(self, day: str) -> dict[str, int]: ...


class DailyTotalsCache(Protocol):
    """Daily totals kept near the readers. The MetricsRepository stays the record; writers invalidate here."""

    async def get_or_load(self, day: str, load: Callable[[], Awaitable[dict[str, int]]]) -> dict[str, int]:
        """The day's cached totals; else ``load()``'s, kept unless the day was invalidated while loading."""

    async def invalidate(self, days: Iterable[str]) -> None:
        """Forget the days' totals. Call after every write that changes them, never before."""


class JobRef(msgspec.Struct, frozen=True):
    key: str
    status: str
    created: bool
    """False when a job with this key was already queued or running, so nothing new was enqueued."""


class QueueStats(msgspec.Struct, frozen=True):
    queued: int
    """Waiting to be picked up now."""
    active: int
    """Being processed by a worker."""
    scheduled: int
    """Waiting for a later time: retries in their backoff, and cron jobs."""
    workers: int
    """Live workers on this queue."""


class JobQueue(Protocol):
    name: str

    def key(self, job: JobMessage) -> str:
        """The job's key: one job per key is queued or running at a time (a batch's, a day's)."""

    async def enqueue(self, job: JobMessage, key: str | None = None) -> JobRef:
        """Enqueue a fresh job (attempts from zero) under ``key`` (default: the job's own key); when a job with that
        key is queued or running already, nothing new is enqueued and that one is returned."""

    async def stats(self) -> QueueStats: ...


class DeadLetter(msgspec.Struct, frozen=True):
    id: str
    job_key: str
    job: JobMessage
    reason: str
    attempts: int
    failed_at: datetime
    traceback_tail: str | None = None
    first_failed_at: datetime | None = None
    """When the job's first attempt failed (equal to ``failed_at`` for a job that failed once)."""


class DeadLetterCounts(msgspec.Struct, frozen=True):
    entries: int
    """Dead letters held now."""
    failed_total: int
    """Jobs that ever failed for good on this queue (retried, deleted and expired entries included)."""


class DeadLetterStore(Protocol):
    async def add(self, queue: str, entry: DeadLetter) -> bool:
        """Store the entry, then drop the oldest beyond the retention limits; False (nothing changed) when an entry
        with its id is stored already: the same failure reported twice, where the first report wins."""

    async def list(self, queue: str, offset: int, limit: int) -> tuple[list[DeadLetter], int]:
        """Newest first, with the total count."""

    async def get(self, queue: str, entry_id: str) -> DeadLetter | None: ...

    async def remove(self, queue: str, entry_id: str) -> bool:
        """False when there was no such entry."""

    async def purge(self, queue: str) -> int:
        """Remove every entry of the queue; return how many there were."""

    async def counts(self, queue: str) -> DeadLetterCounts: ...


class JobWeight(StrEnum):
    LIGHT = "light"
    HEAVY = "heavy"


class RateLimiter(Protocol):
    async def acquire(self, weight: JobWeight) -> None:
        """Wait until one more job of this weight may start, counting every process that shares the limiter."""


class ComputePool(Protocol):
    def parse_chunks(
        self, chunks: AsyncIterator[bytes], header: Header, bounds: TimestampBounds, *, keep_events: bool = True
    ) -> AsyncIterator[ParsedChunk]:
        """Parse chunks, possibly in parallel with bounded work in flight, yielding results in input order.

        With ``keep_events=False`` the results carry counts and errors only.
        """


class Clock(Protocol):
    def now(self) -> datetime: ...


class IdGenerator(Protocol):
    def __call__(self) -> str: ...
