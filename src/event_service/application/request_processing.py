"""Ask for a batch to be processed in the background."""

from __future__ import annotations

from event_service.application.errors import BatchNotFound
from event_service.application.ports import BatchRepository, Clock, JobQueue, JobRef
from event_service.domain import BatchStatus


class RequestProcessing:
    def __init__(self, batches: BatchRepository, queue: JobQueue, clock: Clock) -> None:
        self._batches = batches
        self._queue = queue
        self._clock = clock

    async def __call__(self, batch_id: str) -> JobRef:
        batch = await self._batches.get(batch_id)
        if batch is None:
            raise BatchNotFound(batch_id)
        running = batch.status is BatchStatus.PROCESSING
        if not running:
            # Marked before the enqueue, so a fast worker's "processing" is never overwritten by "enqueued".
            now = self._clock.now()
            await self._batches.set_status(batch_id, BatchStatus.ENQUEUED, now, enqueued_at=now)
        try:
            job = await self._queue.enqueue_processing(batch_id)
        except BaseException:
            if not running:
                await self._batches.set_status(batch_id, batch.status, self._clock.now(), enqueued_at=batch.enqueued_at)
            raise
        if not running:
            await self._batches.set_status(batch_id, BatchStatus.ENQUEUED, self._clock.now(), job_key=job.key)
        return job
