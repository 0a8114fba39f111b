"""A job attempt failed and the job will run again: the batch shows it is waiting, with the error."""

from __future__ import annotations

from typing import Any

from event_service.application.ports import BatchRepository, Clock


class RecordJobRetry:
    def __init__(self, batches: BatchRepository, clock: Clock) -> None:
        self._batches = batches
        self._clock = clock

    async def __call__(self, job_kwargs: dict[str, Any], attempt: int, reason: str) -> bool:
        """True when a batch was updated. A later attempt that already started is left alone."""
        batch_id = job_kwargs.get("batch_id")
        if not isinstance(batch_id, str):
            return False
        return await self._batches.mark_retrying(batch_id, attempt, self._clock.now(), reason)
