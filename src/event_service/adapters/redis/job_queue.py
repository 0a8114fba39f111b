"""The job queue port on SAQ: one job per batch (or per reprocessed day), keyed so a second enqueue is a no-op,
retried with exponential backoff."""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass
from typing import Any

import msgspec
import structlog
from saq import Job, Queue, Status
from saq.queue.redis import RedisQueue

from event_service.application.jobs import (
    ForeignJob,
    JobMessage,
    ProcessBatchJob,
    ReprocessDayJob,
    ReprocessYesterdayJob,
)
from event_service.application.ports import JobRef, QueueStats

PROCESS_BATCH = "process_batch"
REPROCESS_DAY = "reprocess_day"
REPROCESS_YESTERDAY = "reprocess_yesterday"
"""SAQ's names of the job functions: the worker registers its functions under them."""

log = structlog.get_logger(__name__)


def saq_call(job: JobMessage) -> tuple[str, dict[str, Any]]:
    """The SAQ function name and kwargs that run ``job``."""
    match job:
        case ProcessBatchJob(batch_id=batch_id):
            return PROCESS_BATCH, {"batch_id": batch_id}
        case ReprocessDayJob(day=day):
            return REPROCESS_DAY, {"date": day}
        case ReprocessYesterdayJob(day=day):
            return REPROCESS_YESTERDAY, {} if day is None else {"date": day}
        case ForeignJob(function=function, arguments=arguments):
            return function, dict(arguments)


def job_message(function: str, kwargs: Mapping[str, Any] | None) -> JobMessage:
    """The message an SAQ job carries; a ForeignJob when its function or kwargs are not this service's."""
    arguments = dict(kwargs or {})
    value = arguments.get("date")
    if function == PROCESS_BATCH and arguments.keys() == {"batch_id"} and isinstance(arguments["batch_id"], str):
        return ProcessBatchJob(arguments["batch_id"])
    if function == REPROCESS_DAY and arguments.keys() == {"date"} and isinstance(value, str):
        return ReprocessDayJob(value)
    if function == REPROCESS_YESTERDAY and arguments.keys() <= {"date"} and isinstance(value, str | None):
        return ReprocessYesterdayJob(value)
    return ForeignJob(function, arguments)


def job_key(job: JobMessage) -> str:
    """One key per batch and per day, so that a second enqueue finds the first job; the midnight run's is the one
    SAQ gives a unique cron job."""
    match job:
        case ProcessBatchJob(batch_id=batch_id):
            return f"{PROCESS_BATCH}:{batch_id}"
        case ReprocessDayJob(day=day):
            return f"{REPROCESS_DAY}:{day}"
        case ReprocessYesterdayJob():
            return f"cron:{REPROCESS_YESTERDAY}"
        case ForeignJob(function=function, arguments=arguments):
            return f"{function}:{msgspec.json.encode(arguments, order='sorted').decode()}"


@dataclass(frozen=True)
class RetryPolicy:
    """Attempts, exponential backoff with a cap, and the time limit of one attempt, for every job type."""

    attempts: int = 5
    base_delay: float = 1.0
    max_delay: float = 60.0
    timeout: int = 300

    async def apply(self, job: Job) -> None:
        """SAQ before-enqueue hook: stamps the policy on every job enqueued through the queue, cron jobs included.

        SAQ waits a random time up to ``min(max_delay, base_delay * 2 ** (attempt - 1))`` before retry ``attempt``.
        """
        job.retries = self.attempts
        job.retry_delay = self.base_delay
        # A number caps SAQ's exponential backoff at that many seconds.
        job.retry_backoff = self.max_delay
        job.timeout = self.timeout

    def attach(self, queue: Queue) -> None:
        queue.register_before_enqueue(self.apply)


GivenUp = Callable[[Job], Awaitable[None]]
Enqueued = Callable[[Job], None]


class ServiceQueue(RedisQueue):
    """SAQ's Redis queue, plus a report of the jobs its sweep gives up on, and of the jobs enqueued.

    SAQ's sweep puts a stuck job (its worker died, or it outlived its timeout) back in the queue while it has
    attempts left, and otherwise finishes it as aborted without running any hook. ``on_given_up`` hears of those,
    so that they are dead-lettered like every other job that failed for good.

    ``on_enqueued`` hears of every new job enqueued through this queue object (the API's, and the worker's cron
    jobs), not of an enqueue that found its key already taken.
    """

    on_given_up: GivenUp | None = None
    on_enqueued: Enqueued | None = None

    async def enqueue(self, job_or_func: str | Job, **kwargs: Any) -> Job | None:
        job = await super().enqueue(job_or_func, **kwargs)
        if job is not None and self.on_enqueued is not None:
            self.on_enqueued(job)
        return job

    async def sweep(self, lock: int = 60, abort: float = 5.0) -> list[str]:
        swept = await super().sweep(lock, abort)
        if swept and self.on_given_up is not None:
            for job in await self.jobs(self.job_key_from_id(job_id) for job_id in swept):
                if job is not None and job.status is Status.ABORTED and job.error == self.swept_error_message:
                    await self.on_given_up(job)
        return swept


class SaqJobQueue:
    def __init__(self, queue: Queue, policy: RetryPolicy) -> None:
        self._queue = queue
        self.policy = policy
        self.name = queue.name
        policy.attach(queue)

    def key(self, job: JobMessage) -> str:
        return job_key(job)

    async def enqueue(self, job: JobMessage, key: str | None = None) -> JobRef:
        function, kwargs = saq_call(job)
        return await self._enqueue(function, kwargs, key or job_key(job))

    async def stats(self) -> QueueStats:
        info = await self._queue.info()
        return QueueStats(
            queued=info["queued"], active=info["active"], scheduled=info["scheduled"], workers=len(info["workers"])
        )

    async def _enqueue(self, function: str, kwargs: dict[str, Any], key: str) -> JobRef:
        # A fresh Job: attempts from zero. The policy hook sets retries, backoff and timeout.
        created = await self._queue.enqueue(Job(function=function, kwargs=kwargs, key=key))
        if created is None:
            # A job with this key is queued, scheduled for a retry, or running: that one will do the work.
            existing = await self._queue.job(key)
            status = existing.status.value if existing is not None else Status.QUEUED.value
            log.info("job.already_enqueued", job_key=key, function=function, job_status=status)
            return JobRef(key=key, status=status, created=False)
        log.info("job.enqueued", job_key=key, function=function, queue=self.name)
        return JobRef(key=key, status=Status.QUEUED.value, created=True)
