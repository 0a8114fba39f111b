"""The service's own Prometheus metrics, recorded where the entrypoints see the outcomes.

The application layer stays free of metrics: the upload route records what ``IngestUpload`` returned, the SAQ
hooks record each job's lifecycle, and the HTTP scrape refreshes the queue gauges from ``ListQueues``. Every process
keeps its own counters in prometheus-client's default registry; Prometheus sums them across processes.
"""

from __future__ import annotations

from collections.abc import Callable

from prometheus_client import Counter, Gauge, Histogram, disable_created_metrics, start_http_server
from saq import Job

from event_service.application.list_queues import QueueOverview
from event_service.domain import Batch

# A ``*_created`` timestamp series next to every counter doubles the exposition; Prometheus does not need them.
disable_created_metrics()

# Jobs range from a few milliseconds (a small batch) to JOB_TIMEOUT (300 s by default).
_JOB_BUCKETS = (0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 120, 300, 600)

UPLOADS = Counter(
    "event_service_uploads_total",
    "Uploads accepted: created (201, a new batch) or duplicate (200, the same file or Idempotency-Key again)",
    ["outcome"],
)
UPLOAD_ROWS = Counter(
    "event_service_upload_rows_total",
    "Data rows of created batches: accepted (stored), rejected (invalid), duplicate (event_id already stored)",
    ["result"],
)
JOBS_ENQUEUED = Counter("event_service_jobs_enqueued_total", "New jobs enqueued by this process", ["function"])
JOBS_STARTED = Counter("event_service_jobs_started_total", "Job attempts started by this worker", ["function"])
JOBS_COMPLETED = Counter("event_service_jobs_completed_total", "Job attempts that succeeded", ["function"])
JOBS_RETRIED = Counter(
    "event_service_jobs_retried_total", "Job attempts that failed and were queued again to retry", ["function"]
)
JOBS_FAILED = Counter(
    "event_service_jobs_failed_total",
    "Jobs that failed for good: no attempts left, a permanent error, or lost with its worker",
    ["function"],
)
JOBS_DEAD_LETTERED = Counter(
    "event_service_jobs_dead_lettered_total", "Jobs stored in the dead-letter queue", ["function"]
)
JOB_DURATION = Histogram(
    "event_service_job_duration_seconds",
    "Duration of one job attempt, by its outcome (complete, queued for a retry, failed, aborted)",
    ["function", "outcome"],
    buckets=_JOB_BUCKETS,
)
QUEUE_JOBS = Gauge(
    "event_service_queue_jobs",
    "Jobs in the queue now: queued (waiting), active (running), scheduled (retry backoff, cron)",
    ["queue", "state"],
)
QUEUE_WORKERS = Gauge("event_service_queue_workers", "Live workers on the queue", ["queue"])
DEAD_LETTERS = Gauge("event_service_dead_letters", "Entries the dead-letter queue holds now", ["queue"])


def record_upload(batch: Batch, duplicate: bool) -> None:
    if duplicate:
        UPLOADS.labels("duplicate").inc()
        return
    UPLOADS.labels("created").inc()
    UPLOAD_ROWS.labels("accepted").inc(batch.rows_accepted)
    UPLOAD_ROWS.labels("rejected").inc(batch.rows_rejected)
    UPLOAD_ROWS.labels("duplicate").inc(batch.rows_duplicate)


def record_enqueued(job: Job) -> None:
    JOBS_ENQUEUED.labels(job.function).inc()


def record_started(job: Job) -> None:
    JOBS_STARTED.labels(job.function).inc()


def record_attempt(job: Job) -> None:
    """After an attempt: its outcome, from the status SAQ gave the job, and its duration."""
    outcome = job.status.value
    counter = {"complete": JOBS_COMPLETED, "queued": JOBS_RETRIED, "failed": JOBS_FAILED}.get(outcome)
    if counter is not None:
        counter.labels(job.function).inc()
    if (running_ms := job.duration("running")) is not None:
        JOB_DURATION.labels(job.function, outcome).observe(max(0, running_ms) / 1000)


def record_lost(job: Job) -> None:
    """A job SAQ's sweep gave up on: its worker never reported, so no attempt outcome was recorded."""
    JOBS_FAILED.labels(job.function).inc()


def record_dead_lettered(job: Job) -> None:
    JOBS_DEAD_LETTERED.labels(job.function).inc()


def set_queue_gauges(queues: list[QueueOverview]) -> None:
    for queue in queues:
        QUEUE_JOBS.labels(queue.name, "queued").set(queue.queued)
        QUEUE_JOBS.labels(queue.name, "active").set(queue.active)
        QUEUE_JOBS.labels(queue.name, "scheduled").set(queue.scheduled)
        QUEUE_WORKERS.labels(queue.name).set(queue.workers)
        DEAD_LETTERS.labels(queue.name).set(queue.dead_letters)


def clear_queue_gauges() -> None:
    """No numbers rather than stale ones, when the queue could not be read."""
    for gauge in (QUEUE_JOBS, QUEUE_WORKERS, DEAD_LETTERS):
        gauge.clear()


def serve_worker_metrics(host: str, port: int) -> Callable[[], None]:
    """Serve this process's metrics at ``http://host:port/metrics`` from a thread; return what stops it."""
    server, thread = start_http_server(port, addr=host)

    def stop() -> None:
        server.shutdown()
        server.server_close()
        thread.join()

    return stop
