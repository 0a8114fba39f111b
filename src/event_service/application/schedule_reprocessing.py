"""The midnight run: enqueue the recomputation of the day that just ended (UTC)."""

from __future__ import annotations

from datetime import timedelta

import msgspec

from event_service.application.ports import Clock, JobQueue, JobRef


class ReprocessingScheduled(msgspec.Struct, frozen=True):
    date: str
    job: JobRef


class ScheduleReprocessing:
    def __init__(self, queue: JobQueue, clock: Clock) -> None:
        self._queue = queue
        self._clock = clock

    async def __call__(self) -> ReprocessingScheduled:
        """A job of its own per day, so that a failure is retried, and dead-lettered, with its date."""
        yesterday = (self._clock.now() - timedelta(days=1)).date().isoformat()
        return ReprocessingScheduled(date=yesterday, job=await self._queue.enqueue_reprocessing(yesterday))
