"""Fold a batch into the daily metrics. Idempotent: it replaces the batch's contribution, never adds to it."""

from __future__ import annotations

from event_service.application.errors import BatchNotFound, CorruptBatch
from event_service.application.ports import (
    BatchRepository,
    Clock,
    DailyTotalsCache,
    JobWeight,
    MetricsRepository,
    RateLimiter,
)
from event_service.domain import Batch, BatchStatus, calendar_day

HEAVY_BATCH_ROWS = 100_000
"""From this many rows a batch is a heavy job for the processing rate limits."""


class ProcessBatch:
    def __init__(
        self,
        batches: BatchRepository,
        metrics: MetricsRepository,
        clock: Clock,
        *,
        cache: DailyTotalsCache | None = None,
        limiter: RateLimiter | None = None,
        heavy_rows: int = HEAVY_BATCH_ROWS,
    ) -> None:
        self._batches = batches
        self._metrics = metrics
        self._clock = clock
        self._cache = cache
        self._limiter = limiter
        self._heavy_rows = heavy_rows

    def weight(self, batch: Batch) -> JobWeight:
        return JobWeight.HEAVY if batch.rows_total >= self._heavy_rows else JobWeight.LIGHT

    async def __call__(self, batch_id: str, attempt: int = 1) -> list[str]:
        """Process the batch and return the days whose totals were recomputed.

        ``attempt`` is the job's attempt number, shown on the batch while it runs.
        """
        batch = await self._batches.get(batch_id)
        if batch is None:
            raise BatchNotFound(batch_id)
        _check_counts(batch)
        if self._limiter is not None:
            await self._limiter.acquire(self.weight(batch))
        await self._batches.set_status(batch_id, BatchStatus.PROCESSING, self._clock.now(), attempts=attempt)
        days = sorted(await self._metrics.replace_contribution(batch_id, batch.counts))
        for day in days:
            await self._metrics.recompute_day(day)
        if self._cache is not None:
            # After the totals are stored: a failure here fails the job, and its retry recomputes and invalidates.
            await self._cache.invalidate(days)
        now = self._clock.now()
        await self._batches.set_status(batch_id, BatchStatus.PROCESSED, now, processed_at=now, last_error=None)
        return days


def _check_counts(batch: Batch) -> None:
    """Counts that would corrupt the daily totals make the batch permanently unprocessable."""
    for day, per_type in batch.counts.items():
        if calendar_day(day) is None:
            raise CorruptBatch(batch.id, f"its counts hold {day!r}, which is not a YYYY-MM-DD day")
        for event_type, count in per_type.items():
            if count < 0:
                raise CorruptBatch(batch.id, f"its count of {event_type!r} on {day} is negative ({count})")
