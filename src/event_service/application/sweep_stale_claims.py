"""Remove what uploads that died mid-file left behind: their ``ingesting`` batch, its events and its row errors.

An upload claims its batch before storing any row and finishes it in one write, so a batch still ``ingesting`` long
after it was created belongs to a process that was killed (kill -9, OOM, power cut). Its orphan events would hold
their ``event_id``s, making a later upload of the same file count those rows as duplicates.
"""

from __future__ import annotations

from datetime import timedelta

from event_service.application.ports import BatchRepository, Clock, EventRepository
from event_service.application.remove_batch import remove_batch


class SweepStaleClaims:
    def __init__(self, batches: BatchRepository, events: EventRepository, clock: Clock, timeout: timedelta) -> None:
        self._batches = batches
        self._events = events
        self._clock = clock
        self._timeout = timeout
        """Longer than any upload can take: a live upload's claim must never look stale."""

    async def __call__(self) -> list[str]:
        """Sweep every claim older than the timeout; return the ids of the batches removed."""
        swept = await self._batches.stale_claims(self._clock.now() - self._timeout)
        for batch_id in swept:
            await remove_batch(self._batches, self._events, batch_id)
        return swept
