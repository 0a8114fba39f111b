"""Record a job that will not be retried: a dead letter, and the batch marked failed."""

from __future__ import annotations

from event_service.application.ports import BatchRepository, Clock, DeadLetter, DeadLetterStore
from event_service.domain import BatchStatus


class DeadLetterJob:
    def __init__(self, store: DeadLetterStore, batches: BatchRepository, clock: Clock) -> None:
        self._store = store
        self._batches = batches
        self._clock = clock

    async def __call__(self, queue: str, entry: DeadLetter) -> bool:
        """False when this failure was recorded already (its entry id is stored): then nothing changes."""
        if not await self._store.add(queue, entry):
            return False
        batch_id = entry.kwargs.get("batch_id")
        if isinstance(batch_id, str) and await self._batches.get(batch_id) is not None:
            await self._batches.set_status(batch_id, BatchStatus.FAILED, self._clock.now(), last_error=entry.reason)
        return True
