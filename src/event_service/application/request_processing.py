"""Ask for a batch to be processed in the background."""

from __future__ import annotations

import msgspec

from event_service.application.errors import BatchNotFound
from event_service.application.jobs import ProcessBatchJob
from event_service.application.ports import BatchRepository, JobRef
from event_service.application.submit_job import SubmitJob
from event_service.domain import JOB_IN_FLIGHT, BatchStatus


class ProcessingRequested(msgspec.Struct, frozen=True):
    batch_id: str
    status: BatchStatus
    """``enqueued`` (a new job, or the one already waiting), ``processing`` (its job runs now), or ``processed``
    (already done: nothing was enqueued)."""
    job: JobRef | None


class RequestProcessing:
    def __init__(self, batches: BatchRepository, submit: SubmitJob) -> None:
        self._batches = batches
        self._submit = submit

    async def __call__(self, batch_id: str, force: bool = False) -> ProcessingRequested:
        """Enqueue the batch's job, unless it is queued or running (that job is returned) or already processed
        (nothing happens unless ``force``)."""
        batch = await self._batches.get(batch_id)
        if batch is None:
            raise BatchNotFound(batch_id)
        if batch.status is BatchStatus.PROCESSED and not force:
            return ProcessingRequested(batch_id, BatchStatus.PROCESSED, None)
        job = await self._submit.for_batch(batch, ProcessBatchJob(batch_id))
        status = batch.status if batch.status in JOB_IN_FLIGHT else BatchStatus.ENQUEUED
        return ProcessingRequested(batch_id, status, job)
