"""The job queue port on SAQ: one job per batch, keyed by the batch id, retried with exponential backoff."""

from __future__ import annotations

from dataclasses import dataclass

import structlog
from redis.exceptions import ConnectionError as RedisConnectionError
from redis.exceptions import TimeoutError as RedisTimeoutError
from saq import Job, Queue

from event_service.application.errors import QueueUnavailable
from event_service.application.ports import JobRef

PROCESS_BATCH = "process_batch"

log = structlog.get_logger(__name__)


def processing_job_key(batch_id: str) -> str:
    return f"{PROCESS_BATCH}:{batch_id}"


@dataclass(frozen=True)
class RetryPolicy:
    attempts: int = 5
    base_delay: float = 1.0
    max_delay: float = 60.0
    timeout: int = 300


class SaqJobQueue:
    def __init__(self, queue: Queue, policy: RetryPolicy) -> None:
        self._queue = queue
        self._policy = policy
        self.name = queue.name

    async def enqueue_processing(self, batch_id: str) -> JobRef:
        key = processing_job_key(batch_id)
        job = Job(
            function=PROCESS_BATCH,
            kwargs={"batch_id": batch_id},
            key=key,
            retries=self._policy.attempts,
            retry_delay=self._policy.base_delay,
            # A number caps SAQ's exponential backoff (delay doubles per attempt, with jitter).
            retry_backoff=self._policy.max_delay,
            timeout=self._policy.timeout,
        )
        try:
            created = await self._queue.enqueue(job)
            if created is None:
                # A job with this key is queued or running: that one will do the work.
                existing = await self._queue.job(key)
                status = existing.status.value if existing is not None else "queued"
                log.info("job.already_enqueued", job_key=key, batch_id=batch_id, job_status=status)
                return JobRef(key=key, status=status, created=False)
        except (RedisConnectionError, RedisTimeoutError, OSError) as exc:
            raise QueueUnavailable("the job queue (Redis) cannot be reached; try again shortly") from exc
        log.info("job.enqueued", job_key=key, batch_id=batch_id, queue=self.name)
        return JobRef(key=key, status="queued", created=True)
