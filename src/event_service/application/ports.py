"""What the use cases need from the outside world. Adapters implement these; tests fake them."""

from __future__ import annotations

from collections.abc import AsyncIterator, Awaitable, Callable, Iterable, Mapping, Sequence
from datetime import datetime
from typing import Any, Protocol

import msgspec

from event_service.domain import Batch, BatchStatus, Event, Header, ParsedChunk, RowError, TimestampBounds


class BatchRepository(Protocol):
    async def add(self, batch: Batch) -> None:
        """Store a new batch; DuplicateBatch if its sha256 or idempotency key is already stored."""

    async def get(self, batch_id: str) -> Batch | None: ...

    async def find_by_sha256(self, sha256: str) -> Batch | None: ...

    async def find_by_idempotency_key(self, key: str) -> Batch | None: ...

    async def set_status(self, batch_id: str, status: BatchStatus, at: datetime, **fields: Any) -> None:
        """Set the status, ``updated_at`` and the given fields (enqueued_at, processed_at, job_key, last_error)."""

    async def add_errors(self, batch_id: str, errors: Sequence[RowError]) -> None: ...

    async def list_errors(self, batch_id: str, offset: int, limit: int) -> list[RowError]: ...

    async def list_recent(self, offset: int, limit: int) -> tuple[int, list[Batch]]:
        """How many batches there are, and a page of them, the most recently created first."""

    async def delete(self, batch_id: str) -> None:
        """Remove the batch and its stored errors."""


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


class JobQueue(Protocol):
    name: str

    async def enqueue_processing(self, batch_id: str) -> JobRef: ...


class DeadLetter(msgspec.Struct, frozen=True):
    id: str
    job_key: str
    function: str
    kwargs: dict[str, Any]
    reason: str
    attempts: int
    failed_at: datetime
    traceback_tail: str | None = None


class DeadLetterStore(Protocol):
    async def add(self, queue: str, entry: DeadLetter) -> None: ...

    async def list(self, queue: str, offset: int, limit: int) -> tuple[list[DeadLetter], int]:
        """Newest first, with the total count."""


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
