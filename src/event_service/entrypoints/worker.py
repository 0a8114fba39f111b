"""The SAQ side: the job functions, the lifecycle hooks, and the standalone worker process."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import structlog
from saq import Status, Worker
from saq.types import Context

from event_service.adapters.redis import PROCESS_BATCH
from event_service.application.errors import PermanentError
from event_service.application.ports import DeadLetter
from event_service.entrypoints.bootstrap import Container

log = structlog.get_logger(__name__)

_TRACEBACK_LINES = 12


async def process_batch(ctx: Context, *, batch_id: str) -> dict[str, Any]:
    container: Container = ctx["container"]  # type: ignore[typeddict-item]
    try:
        days = await container.process_batch(batch_id)
    except PermanentError:
        job = ctx["job"]
        # No attempts left: SAQ finishes the job as failed, and after_process dead-letters it.
        job.retries = job.attempts
        raise
    return {"batch_id": batch_id, "days": days}


def _job_fields(ctx: Context) -> dict[str, Any]:
    job = ctx["job"]
    return {
        "job_key": job.key,
        "function": job.function,
        "batch_id": (job.kwargs or {}).get("batch_id"),
        "attempt": job.attempts,
    }


async def before_process(ctx: Context) -> None:
    log.info("job.started", **_job_fields(ctx))


async def after_process(ctx: Context) -> None:
    job = ctx["job"]
    fields = _job_fields(ctx)
    exception = ctx.get("exception")
    reason = f"{type(exception).__name__}: {exception}" if exception is not None else (job.error or "unknown")
    if job.status is Status.COMPLETE:
        log.info("job.completed", **fields)
    elif job.status is Status.QUEUED:
        log.warning("job.retried", reason=reason, **fields)
    elif job.status is Status.FAILED:
        log.error("job.failed", reason=reason, **fields)
        container: Container = ctx["container"]  # type: ignore[typeddict-item]
        entry = DeadLetter(
            id=f"{job.key}:{job.attempts}:{int(datetime.now(UTC).timestamp() * 1000)}",
            job_key=job.key,
            function=job.function,
            kwargs=dict(job.kwargs or {}),
            reason=reason,
            attempts=job.attempts,
            failed_at=datetime.now(UTC),
            traceback_tail="\n".join((job.error or "").strip().splitlines()[-_TRACEBACK_LINES:]) or None,
        )
        await container.dead_letter_job(job.queue.name if job.queue else "", entry)
        log.error("job.dead_lettered", dead_letter_id=entry.id, **fields)


def worker_options(container: Container) -> dict[str, Any]:
    """What every SAQ worker of this service runs, whether standalone or inside the API process."""

    async def startup(ctx: Context) -> None:
        await container.start()
        ctx["container"] = container  # type: ignore[typeddict-unknown-key]

    return {
        "functions": [(PROCESS_BATCH, process_batch)],
        "concurrency": container.settings.worker_concurrency,
        "startup": [startup],
        "before_process": [before_process],
        "after_process": [after_process],
    }


def build_worker(container: Container) -> Worker:
    options = worker_options(container)
    return Worker(container.queue, options.pop("functions"), **options)


async def run_worker(container: Container) -> None:
    """Run until SIGINT/SIGTERM; SAQ then stops taking jobs and lets running ones finish."""
    worker = build_worker(container)
    log.info("worker.started", queue=container.queue.name, concurrency=worker.concurrency)
    try:
        await worker.start()
    finally:
        await container.close()
        log.info("worker.stopped")
