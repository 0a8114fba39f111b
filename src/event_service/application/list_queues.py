"""Every job queue with its counts, dead letters included."""

from __future__ import annotations

from collections.abc import Mapping

import msgspec

from event_service.application.ports import DeadLetterStore, JobQueue


class QueueOverview(msgspec.Struct, frozen=True):
    name: str
    queued: int
    active: int
    scheduled: int
    failed: int
    """Jobs that failed for good (no attempts left, or a permanent error), ever."""
    dead_letters: int
    """Of those, the entries the dead-letter queue holds now."""
    workers: int


class ListQueues:
    def __init__(self, queues: Mapping[str, JobQueue], store: DeadLetterStore) -> None:
        self._queues = queues
        self._store = store

    async def __call__(self) -> list[QueueOverview]:
        overviews = []
        for name in sorted(self._queues):
            stats = await self._queues[name].stats()
            counts = await self._store.counts(name)
            overviews.append(
                QueueOverview(
                    name=name,
                    queued=stats.queued,
                    active=stats.active,
                    scheduled=stats.scheduled,
                    failed=counts.failed_total,
                    dead_letters=counts.entries,
                    workers=stats.workers,
                )
            )
        return overviews
