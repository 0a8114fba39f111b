"""Run a dead letter's job again, as a fresh job. The entry leaves the queue only once the job is enqueued."""

from __future__ import annotations

from collections.abc import Mapping

import msgspec

from event_service.application.errors import DeadLetterNotFound, UnknownQueue
from event_service.application.ports import BatchRepository, Clock, DeadLetterStore, JobQueue, JobRef
from event_service.application.request_processing import restore_queue_state
from event_service.domain import BatchStatus

_IN_FLIGHT = frozenset({BatchStatus.ENQUEUED, BatchStatus.PROCESSING})


class DeadLetterRetried(msgspec.Struct, frozen=True):
    entry_id: str
    job: JobRef


class RetryDeadLetter:
    def __init__(
        self, store: DeadLetterStore, queues: Mapping[str, JobQueue], batches: BatchRepository, clock: Clock
    ) -> None:
        self._store = store
        self._queues = queues
        self._batches = batches
        self._clock = clock

    async def __call__(self, queue: str, entry_id: str) -> DeadLetterRetried:
        if queue not in self._queues:
            raise UnknownQueue(queue)
        entry = await self._store.get(queue, entry_id)
        if entry is None:
            raise DeadLetterNotFound(queue, entry_id)
        batch_id = entry.kwargs.get("batch_id")
        # The job runs whatever became of its batch: a batch deleted meanwhile fails it again, into the DLQ, with
        # that reason. A batch that still exists shows it is queued again.
        batch = await self._batches.get(batch_id) if isinstance(batch_id, str) else None
        if batch is not None and batch.status not in _IN_FLIGHT:
            now = self._clock.now()
            await self._batches.set_status(
                batch.id, BatchStatus.ENQUEUED, now, enqueued_at=now, attempts=0, job_key=entry.job_key
            )
        try:
            job = await self._queues[queue].requeue(entry.function, dict(entry.kwargs), entry.job_key)
        except BaseException:
            if batch is not None and batch.status not in _IN_FLIGHT:
                await restore_queue_state(self._batches, batch, self._clock.now())
            raise
        await self._store.remove(queue, entry_id)
        return DeadLetterRetried(entry_id=entry_id, job=job)
