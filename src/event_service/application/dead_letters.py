"""The dead-letter queue as admins see it: read, retry (as a fresh job), delete, purge."""

from __future__ import annotations

import msgspec

from event_service.application.errors import DeadLetterNotFound, UnknownQueue
from event_service.application.ports import DeadLetter, DeadLetterStore, JobRef
from event_service.application.submit_job import SubmitJob


class DeadLetterRetried(msgspec.Struct, frozen=True):
    entry_id: str
    job: JobRef


class DeadLetters:
    def __init__(self, store: DeadLetterStore, submit: SubmitJob) -> None:
        self._store = store
        self._submit = submit

    def _known(self, queue: str) -> str:
        """Only the queue the service enqueues on, so that a retried entry goes back to the queue it came from."""
        if queue != self._submit.queue_name:
            raise UnknownQueue(queue)
        return queue

    async def list(self, queue: str, offset: int = 0, limit: int = 50) -> tuple[list[DeadLetter], int]:
        """Newest first, with the total count."""
        return await self._store.list(self._known(queue), offset, limit)

    async def get(self, queue: str, entry_id: str) -> DeadLetter:
        entry = await self._store.get(self._known(queue), entry_id)
        if entry is None:
            raise DeadLetterNotFound(queue, entry_id)
        return entry

    async def retry(self, queue: str, entry_id: str) -> DeadLetterRetried:
        """Run the entry's job again as a fresh job; the entry leaves the queue only once the job is enqueued."""
        entry = await self.get(queue, entry_id)
        job = await self._submit(entry.job, entry.job_key)
        await self._store.remove(queue, entry_id)
        return DeadLetterRetried(entry_id=entry_id, job=job)

    async def delete(self, queue: str, entry_id: str) -> None:
        """Drop the entry without running its job again."""
        if not await self._store.remove(self._known(queue), entry_id):
            raise DeadLetterNotFound(queue, entry_id)

    async def purge(self, queue: str) -> int:
        """Drop every entry of the queue; return how many there were."""
        return await self._store.purge(self._known(queue))
