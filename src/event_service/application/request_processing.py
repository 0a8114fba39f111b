"""Ask for a batch to be processed in the background."""

from __future__ import annotations

from datetime import datetime

import msgspec

from event_service.application.errors import BatchNotFound, BatchStillIngesting
from event_service.application.ports import BatchRepository, Clock, JobQueue, JobRef
from event_service.domain import Batch, BatchStatus

_IN_FLIGHT = frozenset({BatchStatus.ENQUEUED, BatchStatus.PROCESSING})


class ProcessingRequested(msgspec.Struct, frozen=True):
    batch_id: str
    status: BatchStatus
    """``enqueued`` (a new job, or the one already waiting), ``processing`` (its job runs now), or ``processed``
    (already done: nothing was enqueued)."""
    job: JobRef | None


class RequestProcessing:
    def __init__(self, batches: BatchRepository, queue: JobQueue, clock: Clock) -> None:
        self._batches = batches
        self._queue = queue
        self._clock = clock

    async def __call__(self, batch_id: str, force: bool = False) -> ProcessingRequested:
        """Enqueue the batch's job, unless it is queued or running (that job is returned) or already processed
        (nothing happens unless ``force``)."""
        batch = await self._batches.get(batch_id)
        if batch is None:
            raise BatchNotFound(batch_id)
        if batch.status is BatchStatus.INGESTING:
            raise BatchStillIngesting(batch_id)
        if batch.status is BatchStatus.PROCESSED and not force:
            return ProcessingRequested(batch_id, BatchStatus.PROCESSED, None)
        if batch.status in _IN_FLIGHT:
            # The job key is the batch's: if its job still waits or runs, SAQ hands back that one.
            job = await self._queue.enqueue_processing(batch_id)
            return ProcessingRequested(batch_id, batch.status, job)
        # Everything is written before the enqueue: a fast worker's "processing" must never be overwritten.
        now = self._clock.now()
        await self._batches.set_status(
            batch_id,
            BatchStatus.ENQUEUED,
            now,
            enqueued_at=now,
            attempts=0,
            job_key=self._queue.processing_job_key(batch_id),
        )
        try:
            job = await self._queue.enqueue_processing(batch_id)
        except BaseException:
            await restore_queue_state(self._batches, batch, self._clock.now())
            raise
        return ProcessingRequested(batch_id, BatchStatus.ENQUEUED, job)


async def restore_queue_state(batches: BatchRepository, batch: Batch, at: datetime) -> None:
    """Undo marking ``batch`` enqueued, after the enqueue itself failed: the batch shows what it was before."""
    await batches.set_status(
        batch.id, batch.status, at, enqueued_at=batch.enqueued_at, attempts=batch.attempts, job_key=batch.job_key
    )
