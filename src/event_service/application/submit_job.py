"""Enqueue a background job. A batch's job first marks its batch ``enqueued``, and puts it back if the enqueue fails.

The one writer of a batch's state before its job runs: the request to process it and the retry of its dead letter
both come through here.
"""

from __future__ import annotations

from event_service.application.errors import BatchStillIngesting
from event_service.application.jobs import JobMessage, batch_of
from event_service.application.ports import BatchRepository, Clock, JobQueue, JobRef
from event_service.domain import JOB_IN_FLIGHT, Batch, BatchStatus


class SubmitJob:
    def __init__(self, batches: BatchRepository, queue: JobQueue, clock: Clock) -> None:
        self._batches = batches
        self._queue = queue
        self._clock = clock
        self.queue_name = queue.name

    async def __call__(self, job: JobMessage, key: str | None = None) -> JobRef:
        """Enqueue ``job`` (under ``key``, else its own). A batch deleted meanwhile is left to the job, which fails
        with that reason."""
        batch_id = batch_of(job)
        batch = await self._batches.get(batch_id) if batch_id is not None else None
        return await self.for_batch(batch, job, key) if batch is not None else await self._queue.enqueue(job, key)

    async def for_batch(self, batch: Batch, job: JobMessage, key: str | None = None) -> JobRef:
        """Enqueue the job of ``batch`` as it was just read. A batch whose job is queued or running keeps its state:
        the job's key is the batch's, so the queue hands back that job. A batch still being uploaded is refused:
        marked enqueued, its upload would lose its claim."""
        if batch.status is BatchStatus.INGESTING:
            raise BatchStillIngesting(batch.id)
        if batch.status in JOB_IN_FLIGHT:
            return await self._queue.enqueue(job, key)
        # Everything is written before the enqueue: a fast worker's "processing" must never be overwritten.
        now = self._clock.now()
        job_key = key or self._queue.key(job)
        await self._batches.set_status(
            batch.id, BatchStatus.ENQUEUED, now, enqueued_at=now, attempts=0, job_key=job_key
        )
        try:
            return await self._queue.enqueue(job, job_key)  # the key the batch records, not derived again
        except BaseException:
            # The batch shows what it was before.
            await self._batches.set_status(
                batch.id,
                batch.status,
                self._clock.now(),
                enqueued_at=batch.enqueued_at,
                attempts=batch.attempts,
                job_key=batch.job_key,
            )
            raise
