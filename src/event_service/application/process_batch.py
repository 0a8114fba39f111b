"""Fold a batch into the daily metrics. Idempotent: it replaces the batch's contribution, never adds to it."""

from __future__ import annotations

from event_service.application.errors import BatchNotFound
from event_service.application.ports import BatchRepository, Clock, DailyTotalsCache, MetricsRepository
from event_service.domain import BatchStatus


class ProcessBatch:
    def __init__(
        self,
        batches: BatchRepository,
        metrics: MetricsRepository,
        clock: Clock,
        cache: DailyTotalsCache | None = None,
    ) -> None:
        self._batches = batches
        self._metrics = metrics
        self._clock = clock
        self._cache = cache

    async def __call__(self, batch_id: str) -> list[str]:
        """Process the batch and return the days whose totals were recomputed."""
        batch = await self._batches.get(batch_id)
        if batch is None:
            raise BatchNotFound(batch_id)
        await self._batches.set_status(batch_id, BatchStatus.PROCESSING, self._clock.now())
        days = sorted(await self._metrics.replace_contribution(batch_id, batch.counts))
        for day in days:
            await self._metrics.recompute_day(day)
        if self._cache is not None:
            # After the totals are stored: a failure here fails the job, and its retry recomputes and invalidates.
            await self._cache.invalidate(days)
        now = self._clock.now()
        await self._batches.set_status(batch_id, BatchStatus.PROCESSED, now, processed_at=now, last_error=None)
        return days
