"""A job was aborted (from the SAQ dashboard, say): its batch shows it failed, and can be processed again."""

from __future__ import annotations

from typing import Any

from event_service.application.ports import BatchRepository, Clock
from event_service.domain import BatchStatus

_IN_FLIGHT = frozenset({BatchStatus.ENQUEUED, BatchStatus.PROCESSING})


class RecordJobAborted:
    def __init__(self, batches: BatchRepository, clock: Clock) -> None:
        self._batches = batches
        self._clock = clock

    async def __call__(self, job_kwargs: dict[str, Any], reason: str) -> bool:
        """True when a batch was marked failed. Without this it stayed ``processing`` for good: SAQ runs no retry
        and no failure hook for an aborted job. ``failed`` is a state a plain process request enqueues again."""
        batch_id = job_kwargs.get("batch_id")
        if not isinstance(batch_id, str):
            return False
        batch = await self._batches.get(batch_id)
        if batch is None or batch.status not in _IN_FLIGHT:
            return False
        await self._batches.set_status(batch_id, BatchStatus.FAILED, self._clock.now(), last_error=f"aborted: {reason}")
        return True
