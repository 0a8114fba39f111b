"""``event-service worker``: a process that only runs jobs, on the queue the API processes enqueue to."""

from __future__ import annotations

import structlog

from event_service.entrypoints import telemetry
from event_service.entrypoints.bootstrap import Service
from event_service.entrypoints.jobs import build_worker

log = structlog.get_logger(__name__)


async def run_worker(service: Service) -> None:
    """Run until SIGINT/SIGTERM; SAQ then stops taking jobs, lets the running ones finish for up to
    ``WORKER_SHUTDOWN_GRACE`` seconds, and cancels and queues again those still running.

    With ``WORKER_METRICS_PORT``, the process's Prometheus metrics are served on ``HOST:WORKER_METRICS_PORT``.
    """
    worker = build_worker(service)
    settings = service.settings
    stop_metrics = None
    try:
        if settings.worker_metrics_port is not None:
            stop_metrics = telemetry.serve_worker_metrics(settings.host, settings.worker_metrics_port)
        log.info(
            "worker.started",
            queue=worker.queue.name,
            concurrency=worker.concurrency,
            metrics_port=settings.worker_metrics_port,
        )
        await worker.start()
    finally:
        await service.close()
        if stop_metrics is not None:
            stop_metrics()
        log.info("worker.stopped")
