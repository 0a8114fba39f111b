"""What the worker reports about a job's attempts, and what each report changes: the batch's state, and the
dead-letter queue. The queue owns the attempts; the batch shows them, written here as they happen."""

from __future__ import annotations

import uuid
from collections.abc import Mapping, MutableMapping
from datetime import datetime
from typing import Any

import msgspec

from event_service.application.jobs import JobMessage, batch_of
from event_service.application.ports import BatchRepository, Clock, DeadLetter, DeadLetterStore
from event_service.domain import JOB_IN_FLIGHT, BatchStatus

FIRST_FAILED_AT = "first_failed_at"
"""The note a job carries from attempt to attempt: when its first attempt failed."""


class JobFailure(msgspec.Struct, frozen=True):
    """A job that failed for good, as its worker (or the queue's sweep) reports it."""

    run: str
    """The job run: the same for every report of one run, different for the same job enqueued again."""
    job_key: str
    job: JobMessage
    reason: str
    attempts: int
    notes: Mapping[str, Any]
    """The job's notes (see ``note_failure``)."""
    traceback_tail: str | None = None


class JobOutcomes:
    def __init__(self, batches: BatchRepository, dead_letters: DeadLetterStore, clock: Clock) -> None:
        self._batches = batches
        self._dead_letters = dead_letters
        self._clock = clock

    def note_failure(self, notes: MutableMapping[str, Any]) -> None:
        """Note in the job's notes, which travel with it to its next attempt, when its first attempt failed."""
        notes.setdefault(FIRST_FAILED_AT, self._clock.now().isoformat())

    async def retried(self, job: JobMessage, attempt: int, reason: str) -> bool:
        """The attempt failed and the job will run again: its batch waits, showing the error. True when a batch was
        updated; a later attempt that already started is left alone."""
        batch_id = batch_of(job)
        if batch_id is None:
            return False
        return await self._batches.mark_retrying(batch_id, attempt, self._clock.now(), reason)

    async def aborted(self, job: JobMessage, reason: str) -> bool:
        """The job was aborted (from the SAQ dashboard, say): its batch shows it failed, a state that a plain process
        request enqueues again. Without this it stayed ``processing`` for good: no retry and no failure follow an
        abort. True when a batch was marked failed."""
        batch_id = batch_of(job)
        batch = await self._batches.get(batch_id) if batch_id is not None else None
        if batch is None or batch.status not in JOB_IN_FLIGHT:
            return False
        await self._batches.set_status(batch.id, BatchStatus.FAILED, self._clock.now(), last_error=f"aborted: {reason}")
        return True

    async def failed(self, queue: str, failure: JobFailure) -> DeadLetter | None:
        """Dead-letter the failure and mark its batch failed; None (nothing changes) when it was reported already.

        One failure can be reported twice: the queue's sweep can catch a job between its dequeue and its start,
        abort it, and report it given up, while the worker that dequeued it runs it to its own failure. The entry's
        id comes from the job run and its attempts, so both reports name one entry, and the first one wins.
        """
        now = self._clock.now()
        first = failure.notes.get(FIRST_FAILED_AT)
        entry = DeadLetter(
            id=uuid.uuid5(uuid.NAMESPACE_URL, f"{failure.run}|{failure.attempts}").hex,
            job_key=failure.job_key,
            job=failure.job,
            reason=failure.reason,
            attempts=failure.attempts,
            failed_at=now,
            traceback_tail=failure.traceback_tail,
            first_failed_at=datetime.fromisoformat(first) if isinstance(first, str) else now,
        )
        if not await self._dead_letters.add(queue, entry):
            return None
        batch_id = batch_of(failure.job)
        if batch_id is not None and await self._batches.get(batch_id) is not None:
            await self._batches.set_status(batch_id, BatchStatus.FAILED, now, last_error=failure.reason)
        return entry
