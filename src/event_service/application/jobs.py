"""The jobs this service runs in the background, as typed messages: what the use cases enqueue, and what a dead
letter holds. The queue adapter maps them to and from its own job shape (SAQ's function name and kwargs)."""

from __future__ import annotations

from typing import Any

import msgspec


class ProcessBatchJob(msgspec.Struct, frozen=True):
    """Fold one batch into the daily metrics."""

    batch_id: str


class ReprocessDayJob(msgspec.Struct, frozen=True):
    """Recompute one UTC day's totals from the batch contributions."""

    day: str


class ReprocessYesterdayJob(msgspec.Struct, frozen=True):
    """The midnight run, which enqueues a ReprocessDayJob for the day before its tick.

    ``day`` is None until its first attempt chooses the day; a retry then runs for that same day.
    """

    day: str | None = None


class ForeignJob(msgspec.Struct, frozen=True):
    """A job on the queue this service cannot read (an unknown function, or arguments that are not its own), kept as
    it came so that an admin can see it, retry it or delete it."""

    function: str
    arguments: dict[str, Any]


JobMessage = ProcessBatchJob | ReprocessDayJob | ReprocessYesterdayJob | ForeignJob


def batch_of(job: JobMessage) -> str | None:
    """The batch whose state the job changes, if it is a batch's job."""
    return job.batch_id if isinstance(job, ProcessBatchJob) else None
