"""The SAQ side of every process that runs jobs (``serve``'s API process and ``event-service worker``): the job
functions, the lifecycle hooks that report each attempt to the use cases, and the worker that runs them.

Failures: a ``PermanentError`` (the batch does not exist, its stored state is corrupt, the job's arguments are
invalid) skips the remaining attempts; anything else (connection errors, timeouts, an interrupted attempt) is
transient and retried with the backoff of the ``RetryPolicy``. A job that fails for good becomes a dead letter.
"""

from __future__ import annotations

import asyncio
import functools
from collections.abc import Awaitable, Callable
from datetime import UTC, date, datetime
from typing import Any, cast

import msgspec
import structlog
from saq import CronJob, Job, Status, Worker
from saq.types import Context, PartialTimersDict

from event_service.adapters.redis import PROCESS_BATCH, REPROCESS_DAY, ServiceQueue, job_message
from event_service.adapters.settings import QUEUE_NAME
from event_service.application.errors import PermanentError
from event_service.application.job_outcomes import JobFailure
from event_service.application.jobs import batch_of
from event_service.domain import calendar_day
from event_service.entrypoints import telemetry
from event_service.entrypoints.bootstrap import Service, UseCases
from event_service.entrypoints.reprocess_log import log_reprocessed

log = structlog.get_logger(__name__)

_TRACEBACK_LINES = 12
DEQUEUE_TIMEOUT = 0.25
"""A blocking dequeue that returns four times a second instead of never: a stopping worker waits at most that long
for its idle job slots (each in a dequeue that must end, not be cancelled, or a job it took would be stranded), and
no Redis client stays blocked on the queue (taking jobs nobody runs) after its worker is gone. Idle, a slot costs
Redis four cheap calls a second."""

JobFunction = Callable[..., Awaitable[dict[str, Any]]]


class InvalidJobArguments(PermanentError):
    """The job was enqueued with arguments it can never run with."""


def _use_cases(ctx: Context) -> UseCases:
    return ctx["use_cases"]  # type: ignore[typeddict-item]


def job_function(function: JobFunction) -> JobFunction:
    """What every job of this service does around its work: classify its failure, and note when the first was."""

    @functools.wraps(function)
    async def run(ctx: Context, **kwargs: Any) -> dict[str, Any]:
        job = ctx["job"]
        try:
            return await function(ctx, **kwargs)
        except BaseException as failure:
            # Also an attempt cut short by its timeout (the task is cancelled). SAQ saves the job after this, so the
            # note travels with it to the next attempt.
            _use_cases(ctx).job_outcomes.note_failure(job.meta)
            if isinstance(failure, PermanentError):
                # No attempts left: SAQ finishes the job as failed, and after_process dead-letters it.
                job.retries = job.attempts
            raise

    return run


@job_function
async def process_batch(ctx: Context, *, batch_id: str) -> dict[str, Any]:
    days = await _use_cases(ctx).process_batch(batch_id, attempt=ctx["job"].attempts)
    return {"batch_id": batch_id, "days": days}


@job_function
async def reprocess_day(ctx: Context, *, date: str) -> dict[str, Any]:
    result = await _use_cases(ctx).reprocess_day(_day(date))
    log_reprocessed(result, trigger="job")
    return msgspec.to_builtins(result)


@job_function
async def reprocess_yesterday(ctx: Context, *, date: str | None = None) -> dict[str, Any]:
    """The midnight cron job: enqueues ``reprocess_day`` for the UTC day before its cron tick.

    The day goes into the job's own kwargs on the first attempt. SAQ saves them with the job, so a retry, and a
    retry from the dead-letter queue days later, schedule that day and not the day before the retry.
    """
    job = ctx["job"]
    schedule = _use_cases(ctx).schedule_reprocessing
    if date is None:
        day = schedule.day_before(datetime.fromtimestamp(job.scheduled, UTC) if job.scheduled else None)
        job.kwargs = {**(job.kwargs or {}), "date": day.isoformat()}
    else:
        day = _day(date)
    scheduled = await schedule(day)
    log.info("reprocess.scheduled", date=scheduled.date, job_key=scheduled.job.key, created=scheduled.job.created)
    return {"date": scheduled.date, "job_key": scheduled.job.key}


def _day(value: str) -> date:
    day = calendar_day(value)
    if day is None:
        raise InvalidJobArguments(f"date {value!r} is not a calendar day as YYYY-MM-DD")
    return day


def _job_fields(job: Job) -> dict[str, Any]:
    return {
        "job_key": job.key,
        "function": job.function,
        "batch_id": batch_of(job_message(job.function, job.kwargs)),
        "attempt": job.attempts,
    }


def _reason(job: Job, exception: BaseException | None) -> str:
    """``Type: message`` of what failed the attempt, like ``ValueError: Invalid date``."""
    if isinstance(exception, TimeoutError) and not str(exception):
        return f"TimeoutError: the attempt ran over the job's {job.timeout} s timeout"
    if exception is not None:
        message = str(exception)
        return f"{type(exception).__name__}: {message}" if message else type(exception).__name__
    lines = (job.error or "").strip().splitlines()
    return lines[-1] if lines else "unknown"


async def before_process(ctx: Context) -> None:
    log.info("job.started", **_job_fields(ctx["job"]))
    telemetry.record_started(ctx["job"])


async def after_process(ctx: Context) -> None:
    job = ctx["job"]
    telemetry.record_attempt(job)
    fields = _job_fields(job)
    exception = ctx.get("exception")
    outcomes = _use_cases(ctx).job_outcomes
    if job.status is Status.COMPLETE:
        log.info("job.completed", **fields)
    elif job.status is Status.QUEUED:
        reason = _reason(job, exception)
        log.warning("job.retried", reason=reason, **fields)
        await outcomes.retried(job_message(job.function, job.kwargs), job.attempts, reason)
    elif job.status is Status.ABORTED:
        reason = job.error or "abort"
        log.warning("job.aborted", reason=reason, **fields)
        await outcomes.aborted(job_message(job.function, job.kwargs), reason)
    elif job.status is Status.FAILED:
        reason = _reason(job, exception)
        log.error("job.failed", reason=reason, **fields)
        tail = "\n".join((job.error or "").strip().splitlines()[-_TRACEBACK_LINES:]) or None
        await _dead_letter(_use_cases(ctx), job, reason, tail)


async def _dead_letter(use_cases: UseCases, job: Job, reason: str, traceback_tail: str | None) -> bool:
    """Dead-letter the job's failure; False when this failure was dead-lettered already."""
    failure = JobFailure(
        # A job run is its id and enqueue time: the same job enqueued again is another run.
        run=f"{job.id}|{job.queued}",
        job_key=job.key,
        job=job_message(job.function, job.kwargs),
        reason=reason,
        attempts=job.attempts,
        notes=dict(job.meta),
        traceback_tail=traceback_tail,
    )
    queue = job.queue.name if job.queue else QUEUE_NAME
    entry = await use_cases.job_outcomes.failed(queue, failure)
    if entry is None:
        log.info("job.dead_letter_repeated", reason=reason, **_job_fields(job))
        return False
    telemetry.record_dead_lettered(job)
    log.error("job.dead_lettered", dead_letter_id=entry.id, reason=reason, **_job_fields(job))
    return True


async def _given_up_by_sweep(use_cases: UseCases, job: Job) -> None:
    """A job SAQ's sweep found stuck with no attempts left: no worker reported on it, so it is dead-lettered here."""
    reason = (
        f"WorkerLost: attempt {job.attempts} was still running after the {job.timeout} s timeout "
        "(its worker died or hung) and no attempts are left"
    )
    if await _dead_letter(use_cases, job, reason, None):
        log.error("job.failed", reason=reason, **_job_fields(job))
        telemetry.record_lost(job)


class ServiceWorker(Worker):
    """SAQ's worker, whose stop lets running jobs finish (up to ``WORKER_SHUTDOWN_GRACE``) but not its upkeep loops.

    SAQ's stop waits the grace period for all of the worker's tasks, and its upkeep loops (sweep, schedule,
    worker info) only look at the stop signal after sleeping up to a sweep interval: every stop would take the
    whole grace period. They hold no work, so they are cancelled at once; a job task ends when its job does.
    """

    async def stop(self) -> None:
        self.event.set()
        upkeep = [task for task in self.tasks if task.get_name() != "process"]
        self.tasks.difference_update(upkeep)
        pending = set(upkeep)
        while pending:
            # Again until they end: a cancellation that lands inside a Redis call can be swallowed there, and the
            # loop would then sleep out its interval.
            for task in pending:
                task.cancel()
            _, pending = await asyncio.wait(pending, timeout=0.1)
        await super().stop()


def build_worker(service: Service, queue: ServiceQueue | None = None, *, handle_signals: bool = True) -> ServiceWorker:
    """What every SAQ worker of this service runs, standalone or inside the API process (``handle_signals=False``:
    the server handles them and stops the worker on shutdown), on the service's queue or on ``queue`` (a queue
    object of its own Redis connection)."""
    queue = service.redis.queue if queue is None else service.redis.adopt(queue)
    settings = service.settings

    async def startup(ctx: Context) -> None:
        await service.start()
        ctx["use_cases"] = service.use_cases  # type: ignore[typeddict-unknown-key]
        queue.on_given_up = functools.partial(_given_up_by_sweep, service.use_cases)

    worker = ServiceWorker(
        queue,
        [(PROCESS_BATCH, process_batch), (REPROCESS_DAY, reprocess_day)],
        # Unique: one key for the whole queue, so N workers schedule it once.
        cron_jobs=[CronJob(reprocess_yesterday, cron=settings.reprocess_cron)],
        concurrency=settings.worker_concurrency,
        # A cast: SAQ's PartialTimersDict inherits its keys as required, though the worker takes any of them.
        timers=cast("PartialTimersDict", {"sweep": settings.worker_sweep_interval}),
        # A deploy's SIGTERM lets running jobs finish for this long before cancelling (and re-queueing) them.
        shutdown_grace_period_s=settings.worker_shutdown_grace,
        dequeue_timeout=DEQUEUE_TIMEOUT,
        startup=[startup],
        before_process=[before_process],
        after_process=[after_process],
    )
    if not handle_signals:
        worker.SIGNALS = []
    return worker
