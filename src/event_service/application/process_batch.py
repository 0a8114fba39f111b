"""Fold a batch into the daily metrics. Idempotent: it replaces the batch's contribution, never adds to it."""

from __future__ import annotations

from event_service.application.errors import BatchNotFound
from event_service.application.ports import BatchRepository, Clock, MetricsRepository
from event_service.domain import BatchStatus


class ProcessBatch:
    def __init__(self, batches: BatchRepository, metrics: MetricsRepository, clock: Clock) -> None:
        self._batches = batches
        self._metrics = metrics
        self._clock = clock

    async def __call__(self, batch_id: str) -> list[str]:
        """Process the batch and return the days whose totals were recomputed."""
        batch = await self._batches.get(batch_id)
        if batch is None:
            raise BatchNotFound(batch_id)
        await self._batches.set_status(batch_id, BatchStatus.PROCESSING, self._clock.now())
        days = sorted(await self._metrics.replace_contribution(batch_id, batch.counts))
        for day in days:
            await self._metrics.recompute_day(day)
        now = self._clock.now()
        await self._batches.set_status(batch_id, BatchStatus.PROCESSED, now, processed_at=now, last_error=None)
        return days
