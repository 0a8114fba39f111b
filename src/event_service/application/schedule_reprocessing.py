"""The midnight run: enqueue the recomputation of the day that just ended (UTC)."""

from __future__ import annotations

from datetime import date, datetime, timedelta

import msgspec

from event_service.application.jobs import ReprocessDayJob
from event_service.application.ports import Clock, JobQueue, JobRef


class ReprocessingScheduled(msgspec.Struct, frozen=True):
    date: str
    job: JobRef


class ScheduleReprocessing:
    def __init__(self, queue: JobQueue, clock: Clock) -> None:
        self._queue = queue
        self._clock = clock

    def day_before(self, tick: datetime | None = None) -> date:
        """The UTC day before ``tick`` (the midnight run's cron tick), or before now for a run with no tick or one
        started early by hand (its tick still ahead)."""
        now = self._clock.now()
        return (min(tick, now) if tick is not None else now).date() - timedelta(days=1)

    async def __call__(self, day: date | None = None) -> ReprocessingScheduled:
        """A job of its own per day, so that a failure is retried, and dead-lettered, with its date.

        ``day`` defaults to yesterday (UTC); a retried midnight run passes the day it was first run for.
        """
        chosen = (day or self.day_before()).isoformat()
        return ReprocessingScheduled(date=chosen, job=await self._queue.enqueue(ReprocessDayJob(chosen)))
