"""The midnight run: enqueue the recomputation of the day that just ended (UTC)."""

from __future__ import annotations

from datetime import date, timedelta

import msgspec

from event_service.application.ports import Clock, JobQueue, JobRef


class ReprocessingScheduled(msgspec.Struct, frozen=True):
    date: str
    job: JobRef


class ScheduleReprocessing:
    def __init__(self, queue: JobQueue, clock: Clock) -> None:
        self._queue = queue
        self._clock = clock

    async def __call__(self, day: date | None = None) -> ReprocessingScheduled:
        """A job of its own per day, so that a failure is retried, and dead-lettered, with its date.

        ``day`` defaults to yesterday (UTC); a retried midnight run passes the day it was first run for.
        """
        chosen = (day or (self._clock.now() - timedelta(days=1)).date()).isoformat()
        return ReprocessingScheduled(date=chosen, job=await self._queue.enqueue_reprocessing(chosen))
