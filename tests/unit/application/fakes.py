"""In-memory implementations of the ports, for use-case tests."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Awaitable, Callable, Iterable, Mapping, Sequence
from datetime import UTC, datetime, timedelta
from itertools import count
from typing import Any

import msgspec

from event_service.adapters.settings import load_settings
from event_service.application.errors import DuplicateBatch
from event_service.application.ingest_upload import IngestLimits
from event_service.application.jobs import JobMessage, ProcessBatchJob
from event_service.application.ports import DeadLetter, DeadLetterCounts, JobRef, JobWeight, QueueStats
from event_service.domain import (
    Batch,
    BatchStatus,
    Event,
    Header,
    IngestReport,
    ParsedChunk,
    RowError,
    StatusChange,
    TimestampBounds,
    parse_chunk,
    report_fields,
    status_change,
    sum_type_counts,
)
from event_service.entrypoints.bootstrap import Service, bootstrap


class FakeBatches:
    def __init__(self) -> None:
        self.batches: dict[str, Batch] = {}
        self.errors: dict[str, list[RowError]] = {}

    async def add(self, batch: Batch) -> None:
        for other in self.batches.values():
            if other.sha256 == batch.sha256 or (
                batch.idempotency_key is not None and other.idempotency_key == batch.idempotency_key
            ):
                raise DuplicateBatch(other.id)
        self.batches[batch.id] = batch

    async def finish_ingestion(self, batch_id: str, report: IngestReport, at: datetime) -> Batch | None:
        batch = self.batches.get(batch_id)
        if batch is None or batch.status is not BatchStatus.INGESTING:
            return None
        entry = status_change(BatchStatus.UPLOADED, at, {})
        self._change(batch_id, BatchStatus.UPLOADED, at, report_fields(report), entry)
        return self.batches[batch_id]

    async def event_types(self) -> set[str]:
        return {t for b in self.batches.values() for per_type in b.counts.values() for t in per_type}

    async def stale_claims(self, before: datetime) -> list[str]:
        return [b.id for b in self.batches.values() if b.status is BatchStatus.INGESTING and b.created_at < before]

    async def get(self, batch_id: str) -> Batch | None:
        return self.batches.get(batch_id)

    async def find_by_sha256(self, sha256: str) -> Batch | None:
        return next((b for b in self.batches.values() if b.sha256 == sha256), None)

    async def find_by_idempotency_key(self, key: str) -> Batch | None:
        return next((b for b in self.batches.values() if b.idempotency_key == key), None)

    async def set_status(self, batch_id: str, status: BatchStatus, at: datetime, **fields: Any) -> None:
        self._change(batch_id, status, at, fields, status_change(status, at, fields))

    def _change(self, batch_id: str, status: BatchStatus, at: datetime, fields: Any, entry: StatusChange) -> None:
        batch = self.batches[batch_id]
        history = [*batch.history, entry]
        self.batches[batch_id] = msgspec.structs.replace(batch, status=status, updated_at=at, history=history, **fields)

    async def add_errors(self, batch_id: str, errors: Sequence[RowError]) -> None:
        self.errors.setdefault(batch_id, []).extend(errors)

    async def list_errors(self, batch_id: str, offset: int, limit: int) -> list[RowError]:
        return self.errors.get(batch_id, [])[offset : offset + limit]

    async def list_recent(self, offset: int, limit: int) -> tuple[int, list[Batch]]:
        ordered = sorted(self.batches.values(), key=lambda b: (b.created_at, b.id), reverse=True)
        return len(ordered), ordered[offset : offset + limit]

    async def delete(self, batch_id: str) -> None:
        self.batches.pop(batch_id, None)
        self.errors.pop(batch_id, None)

    async def mark_retrying(self, batch_id: str, attempt: int, at: datetime, last_error: str) -> bool:
        batch = self.batches.get(batch_id)
        if batch is None or batch.status is not BatchStatus.PROCESSING or batch.attempts != attempt:
            return False
        entry = StatusChange(BatchStatus.ENQUEUED, at, attempt, last_error)
        self._change(batch_id, BatchStatus.ENQUEUED, at, {"last_error": last_error}, entry)
        return True


class FakeEvents:
    def __init__(self) -> None:
        self.events: dict[str, list[Event]] = {}

    async def add_many(self, batch_id: str, events: Sequence[Event]) -> list[int]:
        known = {e.event_id for stored in self.events.values() for e in stored if e.event_id is not None}
        duplicates = []
        kept = self.events.setdefault(batch_id, [])
        for index, event in enumerate(events):
            if event.event_id is not None and event.event_id in known:
                duplicates.append(index)
                continue
            if event.event_id is not None:
                known.add(event.event_id)
            kept.append(event)
        return duplicates

    async def delete_batch(self, batch_id: str) -> None:
        self.events.pop(batch_id, None)

    def total(self) -> int:
        return sum(len(events) for events in self.events.values())


class FakeMetrics:
    def __init__(self) -> None:
        self.contributions: dict[tuple[str, str], dict[str, int]] = {}
        self.totals: dict[str, dict[str, int]] = {}

    async def replace_contribution(self, batch_id: str, counts: Mapping[str, Mapping[str, int]]) -> set[str]:
        old = {day for (owner, day) in self.contributions if owner == batch_id}
        for day in old:
            del self.contributions[(batch_id, day)]
        for day, per_type in counts.items():
            self.contributions[(batch_id, day)] = dict(per_type)
        return old | set(counts)

    async def recompute_day(self, day: str) -> dict[str, int]:
        totals = sum_type_counts(c for (_, d), c in self.contributions.items() if d == day)
        self.totals[day] = totals
        return totals

    async def daily_totals(self, day: str) -> dict[str, int]:
        return dict(self.totals.get(day, {}))


class FakeQueue:
    """Jobs by key; ``finish(key)`` plays the worker taking one off the queue."""

    name = "metrics-processor"

    def __init__(self) -> None:
        self.jobs: dict[str, JobMessage] = {}
        self.fail_with: Exception | None = None

    @property
    def queued(self) -> list[str]:
        return [job.batch_id for job in self.jobs.values() if isinstance(job, ProcessBatchJob)]

    def key(self, job: JobMessage) -> str:
        if isinstance(job, ProcessBatchJob):
            return f"process_batch:{job.batch_id}"
        return f"{type(job).__name__}:{msgspec.json.encode(job).decode()}"

    async def enqueue(self, job: JobMessage, key: str | None = None) -> JobRef:
        if self.fail_with is not None:
            raise self.fail_with
        key = key or self.key(job)
        if key in self.jobs:
            return JobRef(key=key, status="queued", created=False)
        self.jobs[key] = job
        return JobRef(key=key, status="queued", created=True)

    def finish(self, key: str) -> None:
        del self.jobs[key]

    async def stats(self) -> QueueStats:
        return QueueStats(queued=len(self.jobs), active=0, scheduled=0, workers=1)


class FakeDeadLetters:
    def __init__(self) -> None:
        self.entries: dict[str, list[DeadLetter]] = {}
        self.failed: dict[str, int] = {}

    async def add(self, queue: str, entry: DeadLetter) -> bool:
        if any(stored.id == entry.id for stored in self.entries.get(queue, [])):
            return False
        self.entries.setdefault(queue, []).append(entry)
        self.failed[queue] = self.failed.get(queue, 0) + 1
        return True

    async def list(self, queue: str, offset: int, limit: int) -> tuple[list[DeadLetter], int]:
        newest_first = list(reversed(self.entries.get(queue, [])))
        return newest_first[offset : offset + limit], len(newest_first)

    async def get(self, queue: str, entry_id: str) -> DeadLetter | None:
        return next((entry for entry in self.entries.get(queue, []) if entry.id == entry_id), None)

    async def remove(self, queue: str, entry_id: str) -> bool:
        before = self.entries.get(queue, [])
        self.entries[queue] = [entry for entry in before if entry.id != entry_id]
        return len(self.entries[queue]) < len(before)

    async def purge(self, queue: str) -> int:
        return len(self.entries.pop(queue, []))

    async def counts(self, queue: str) -> DeadLetterCounts:
        return DeadLetterCounts(entries=len(self.entries.get(queue, [])), failed_total=self.failed.get(queue, 0))


class FakeLimiter:
    """Grants at once, recording the weight of every start."""

    def __init__(self) -> None:
        self.granted: list[JobWeight] = []

    async def acquire(self, weight: JobWeight) -> None:
        self.granted.append(weight)


class SerialPool:
    async def parse_chunks(
        self, chunks: AsyncIterator[bytes], header: Header, bounds: TimestampBounds, *, keep_events: bool = True
    ) -> AsyncIterator[ParsedChunk]:
        async for chunk in chunks:
            yield parse_chunk(chunk, header, bounds, keep_events=keep_events)

    def close(self) -> None:
        """No processes to stop."""


class FixedClock:
    def __init__(self, now: datetime = datetime(2025, 11, 14, 12, 0, tzinfo=UTC)) -> None:
        self.moment = now

    def now(self) -> datetime:
        self.moment += timedelta(milliseconds=1)
        return self.moment


def sequential_ids() -> Any:
    numbers = count(1)
    return lambda: f"batch-{next(numbers)}"


class FakeTotalsCache:
    """The cache port in memory, counting what it serves, with the same invalidation rule as the Redis adapter."""

    def __init__(self) -> None:
        self.values: dict[str, dict[str, int]] = {}
        self.generations: dict[str, int] = {}
        self.hits = 0
        self.loads = 0

    async def get_or_load(self, day: str, load: Callable[[], Awaitable[dict[str, int]]]) -> dict[str, int]:
        if day in self.values:
            self.hits += 1
            return dict(self.values[day])
        generation = self.generations.get(day, 0)
        self.loads += 1
        totals = await load()
        if self.generations.get(day, 0) == generation:
            self.values[day] = dict(totals)
        return totals

    async def invalidate(self, days: Iterable[str]) -> None:
        for day in days:
            self.generations[day] = self.generations.get(day, 0) + 1
            self.values.pop(day, None)


class FakeHealth:
    """A dependency that answers, fails with ``error``, or (``hangs``) never answers."""

    def __init__(self, error: Exception | None = None, hangs: bool = False) -> None:
        self.error = error
        self.hangs = hangs

    async def ping(self) -> None:
        if self.hangs:
            await asyncio.Event().wait()
        if self.error is not None:
            raise self.error


class InMemoryStore:
    """A store backend for ``bootstrap(store=...)``: the in-memory repositories, and a lifecycle that records itself."""

    kind = "memory"
    location = "this process"

    def __init__(self, metrics: FakeMetrics | None = None) -> None:
        self.batches = FakeBatches()
        self.events = FakeEvents()
        self.metrics = metrics if metrics is not None else FakeMetrics()
        self.health = FakeHealth()
        self.started = self.closed = False

    async def start(self) -> None:
        self.started = True

    def close(self) -> None:
        self.closed = True


class InMemoryRedis:
    """What the service keeps in Redis, in memory, for ``bootstrap(redis=...)``: no HTTP app or SAQ worker runs on it
    (they need a real queue), the use cases do."""

    url = "memory://"
    embedded = False
    location = None

    def __init__(self) -> None:
        self.job_queue = FakeQueue()
        self.dead_letters = FakeDeadLetters()
        self.limiter = FakeLimiter()
        self.totals_cache = FakeTotalsCache()
        self.health = FakeHealth()

    async def close(self) -> None:
        """Nothing to disconnect."""


def in_memory_service(
    store: InMemoryStore | None = None, limits: IngestLimits | None = None, clock: FixedClock | None = None
) -> Service:
    """The composition root's own wiring, on in-memory backends."""
    settings = load_settings(redis_url="redis://in-memory.invalid/0", mongodb_url=None)
    return bootstrap(
        settings,
        store=store or InMemoryStore(),
        redis=InMemoryRedis(),  # type: ignore[arg-type]
        compute=SerialPool(),
        clock=clock or FixedClock(),
        new_id=sequential_ids(),
        limits=limits,
    )
