"""The SAQ side: the job functions, the lifecycle hooks, and the standalone worker process.

Failures: a ``PermanentError`` (the batch does not exist, its stored state is corrupt, the job's arguments are
invalid) skips the remaining attempts; anything else (connection errors, timeouts, an interrupted attempt) is
transient and retried with the backoff of the ``RetryPolicy``. A job that fails for good becomes a dead letter.
"""

from __future__ import annotations

import asyncio
import functools
import uuid
from collections.abc import Awaitable, Callable
from datetime import UTC, date, datetime, timedelta
from typing import Any

import msgspec
import structlog
from saq import CronJob, Job, Status, Worker
from saq.types import Context

from event_service.adapters.redis import PROCESS_BATCH, REPROCESS_DAY, ServiceQueue
from event_service.application.errors import PermanentError
from event_service.application.ports import DeadLetter
from event_service.application.reprocess_day import DayReprocessed
from event_service.domain import calendar_day
from event_service.entrypoints import telemetry
from event_service.entrypoints.bootstrap import Container

log = structlog.get_logger(__name__)

_TRACEBACK_LINES = 12
DEQUEUE_TIMEOUT = 1.0
_FIRST_FAILED_AT = "first_failed_at"

JobFunction = Callable[..., Awaitable[dict[str, Any]]]


class InvalidJobArguments(PermanentError):
    """The job was enqueued with arguments it can never run with."""


def _container(ctx: Context) -> Container:
    return ctx["container"]  # type: ignore[typeddict-item]


def job_function(function: JobFunction) -> JobFunction:
    """What every job of this service does around its work: classify its failure, and note when the first was."""

    @functools.wraps(function)
    async def run(ctx: Context, **kwargs: Any) -> dict[str, Any]:
        job = ctx["job"]
        try:
            return await function(ctx, **kwargs)
        except PermanentError:
            _note_failure(job)
            # No attempts left: SAQ finishes the job as failed, and after_process dead-letters it.
            job.retries = job.attempts
            raise
        except BaseException:
            # Transient; also an attempt cut short by its timeout (the task is cancelled). SAQ saves the job
            # after this, so the note travels with it to the next attempt.
            _note_failure(job)
            raise

    return run


def _note_failure(job: Job) -> None:
    job.meta.setdefault(_FIRST_FAILED_AT, datetime.now(UTC).isoformat())


@job_function
async def process_batch(ctx: Context, *, batch_id: str) -> dict[str, Any]:
    days = await _container(ctx).process_batch(batch_id, attempt=ctx["job"].attempts)
    return {"batch_id": batch_id, "days": days}


@job_function
async def reprocess_day(ctx: Context, *, date: str) -> dict[str, Any]:
    result = await _container(ctx).reprocess_day(_day(date))
    log_reprocessed(result, trigger="job")
    return msgspec.to_builtins(result)


@job_function
async def reprocess_yesterday(ctx: Context, *, date: str | None = None) -> dict[str, Any]:
    """The midnight cron job: enqueues ``reprocess_day`` for the UTC day before its cron tick.

    The day goes into the job's own kwargs on the first attempt. SAQ saves them with the job, so a retry, and a
    retry from the dead-letter queue days later, schedule that day and not the day before the retry.
    """
    job = ctx["job"]
    if date is None:
        # The tick, or now for a run that was started early by hand (its tick still ahead).
        now = datetime.now(UTC)
        tick = min(datetime.fromtimestamp(job.scheduled, UTC), now) if job.scheduled else now
        date = (tick - timedelta(days=1)).date().isoformat()
        job.kwargs = {**(job.kwargs or {}), "date": date}
    scheduled = await _container(ctx).schedule_reprocessing(_day(date))
    log.info("reprocess.scheduled", date=scheduled.date, job_key=scheduled.job.key, created=scheduled.job.created)
    return {"date": scheduled.date, "job_key": scheduled.job.key}


def _day(value: str) -> date:
    day = calendar_day(value)
    if day is None:
        raise InvalidJobArguments(f"date {value!r} is not a calendar day as YYYY-MM-DD")
    return day


def log_reprocessed(result: DayReprocessed, trigger: str) -> None:
    """One line per recomputed day, saying what changed (``{event_type: [before, after]}``)."""
    log.info(
        "metrics.reprocessed",
        date=result.date,
        trigger=trigger,
        changed=result.changed,
        unchanged=not result.changed,
        totals=result.after,
    )


def _job_fields(job: Job) -> dict[str, Any]:
    return {
        "job_key": job.key,
        "function": job.function,
        "batch_id": (job.kwargs or {}).get("batch_id"),
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
    if job.status is Status.COMPLETE:
        log.info("job.completed", **fields)
    elif job.status is Status.QUEUED:
        reason = _reason(job, exception)
        log.warning("job.retried", reason=reason, **fields)
        await _container(ctx).record_job_retry(dict(job.kwargs or {}), job.attempts, reason)
    elif job.status is Status.ABORTED:
        reason = job.error or "abort"
        log.warning("job.aborted", reason=reason, **fields)
        await _container(ctx).record_job_aborted(dict(job.kwargs or {}), reason)
    elif job.status is Status.FAILED:
        reason = _reason(job, exception)
        log.error("job.failed", reason=reason, **fields)
        await _dead_letter(_container(ctx), job, reason, _traceback_tail(job))


def _traceback_tail(job: Job) -> str | None:
    return "\n".join((job.error or "").strip().splitlines()[-_TRACEBACK_LINES:]) or None


async def _dead_letter(container: Container, job: Job, reason: str, traceback_tail: str | None) -> bool:
    """Dead-letter the job's failure; False when it was dead-lettered already (see ``_dead_letter_id``)."""
    now = datetime.now(UTC)
    first = job.meta.get(_FIRST_FAILED_AT)
    entry = DeadLetter(
        id=_dead_letter_id(job),
        job_key=job.key,
        function=job.function,
        kwargs=dict(job.kwargs or {}),
        reason=reason,
        attempts=job.attempts,
        failed_at=now,
        traceback_tail=traceback_tail,
        first_failed_at=datetime.fromisoformat(first) if first else now,
    )
    if not await container.dead_letter_job(job.queue.name if job.queue else container.queue.name, entry):
        log.info("job.dead_letter_repeated", dead_letter_id=entry.id, reason=reason, **_job_fields(job))
        return False
    telemetry.record_dead_lettered(job)
    log.error("job.dead_lettered", dead_letter_id=entry.id, reason=reason, **_job_fields(job))
    return True


def _dead_letter_id(job: Job) -> str:
    """The same id for every report of one failure of one job run, so that it is dead-lettered once.

    Two reports happen: SAQ's sweep can catch a job between its dequeue and its start (it is in the active list,
    not yet marked active), abort it, and report it given up, while the worker that dequeued it runs it to its
    own failure. A job run is its id and enqueue time; its attempts count tells the failure apart from an earlier
    one of the same run.
    """
    return uuid.uuid5(uuid.NAMESPACE_URL, f"{job.id}|{job.queued}|{job.attempts}").hex


async def _given_up_by_sweep(container: Container, job: Job) -> None:
    """A job SAQ's sweep found stuck with no attempts left: no worker reported on it, so it is dead-lettered here."""
    reason = (
        f"WorkerLost: attempt {job.attempts} was still running after the {job.timeout} s timeout "
        "(its worker died or hung) and no attempts are left"
    )
    if await _dead_letter(container, job, reason, None):
        log.error("job.failed", reason=reason, **_job_fields(job))
        telemetry.record_lost(job)


def worker_options(container: Container) -> dict[str, Any]:
    """What every SAQ worker of this service runs, whether standalone or inside the API process."""

    async def startup(ctx: Context) -> None:
        await container.start()
        ctx["container"] = container  # type: ignore[typeddict-unknown-key]
        queue = ctx["worker"].queue
        if isinstance(queue, ServiceQueue):
            queue.on_given_up = functools.partial(_given_up_by_sweep, container)

    settings = container.settings
    return {
        "functions": [(PROCESS_BATCH, process_batch), (REPROCESS_DAY, reprocess_day)],
        # Unique: one key for the whole queue, so N workers schedule it once.
        "cron_jobs": [CronJob(reprocess_yesterday, cron=settings.reprocess_cron)],
        "concurrency": settings.worker_concurrency,
        "timers": {"sweep": settings.worker_sweep_interval},
        # A deploy's SIGTERM lets running jobs finish for this long before cancelling (and re-queueing) them.
        "shutdown_grace_period_s": settings.worker_shutdown_grace,
        # A blocking dequeue that returns every second instead of never: a stopping worker notices at once, and
        # no Redis client stays blocked on the queue (taking jobs nobody runs) after its worker is gone.
        "dequeue_timeout": DEQUEUE_TIMEOUT,
        "startup": [startup],
        "before_process": [before_process],
        "after_process": [after_process],
    }


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


def build_worker(container: Container, queue: ServiceQueue | None = None, **overrides: Any) -> Worker:
    """A worker on the container's queue, or on ``queue`` (its own Redis connection) with the same policy."""
    options = worker_options(container) | overrides
    if queue is None:
        queue = container.queue
    else:
        container.job_queue.policy.attach(queue)
    return ServiceWorker(queue, options.pop("functions"), **options)


async def run_worker(container: Container) -> None:
    """Run until SIGINT/SIGTERM; SAQ then stops taking jobs, lets the running ones finish for up to
    ``WORKER_SHUTDOWN_GRACE`` seconds, and cancels and queues again those still running.

    With ``WORKER_METRICS_PORT``, the process's Prometheus metrics are served on ``HOST:WORKER_METRICS_PORT``.
    """
    worker = build_worker(container)
    settings = container.settings
    stop_metrics = None
    try:
        if settings.worker_metrics_port is not None:
            stop_metrics = telemetry.serve_worker_metrics(settings.host, settings.worker_metrics_port)
        log.info(
            "worker.started",
            queue=container.queue.name,
            concurrency=worker.concurrency,
            metrics_port=settings.worker_metrics_port,
        )
        await worker.start()
    finally:
        await container.close()
        if stop_metrics is not None:
            stop_metrics()
        log.info("worker.stopped")
