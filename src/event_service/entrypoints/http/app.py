"""The Litestar application, built on the composition root's service."""

from __future__ import annotations

import asyncio
import sys
from collections.abc import Awaitable, Callable

import structlog
from litestar import Litestar, Router
from litestar.datastructures import State
from litestar.di import Provide
from litestar.stores.redis import RedisStore
from litestar_saq import SAQConfig, SAQPlugin

import event_service
from event_service.adapters.settings import QUEUE_NAME, Settings, load_settings
from event_service.entrypoints.bootstrap import Service, bootstrap
from event_service.entrypoints.http.batches import BatchController, list_batches, request_processing
from event_service.entrypoints.http.dashboard import DASHBOARD_PATH, redirect_to_dashboard_root
from event_service.entrypoints.http.decompression import GzipRequestBody
from event_service.entrypoints.http.dependencies import provide_use_cases
from event_service.entrypoints.http.docs import SWAGGER, docs, swagger_assets
from event_service.entrypoints.http.errors import EXCEPTION_HANDLERS
from event_service.entrypoints.http.guards import admin_guard
from event_service.entrypoints.http.metrics import daily_metrics
from event_service.entrypoints.http.middleware import RequestLogMiddleware, per_minute_limit, trusted_proxies
from event_service.entrypoints.http.monitoring import MONITORING_HANDLERS, REQUEST_METRICS
from event_service.entrypoints.http.openapi import openapi_config
from event_service.entrypoints.http.queues import QueueController
from event_service.entrypoints.http.reprocess import reprocess_metrics
from event_service.entrypoints.http.ui import ui_handlers
from event_service.entrypoints.http.uploads import upload
from event_service.entrypoints.jobs import build_worker
from event_service.entrypoints.logging import configure_logging

log = structlog.get_logger(__name__)

# Multipart framing around the file part is small; this leaves room for it over MAX_UPLOAD_BYTES.
_MULTIPART_OVERHEAD = 64 * 1024


def _dashboard(service: Service) -> SAQPlugin:
    """SAQ's dashboard on the service's queue. No queue configs: litestar-saq would run workers of its own, and the
    API process runs this service's worker itself (``_in_process_worker``)."""
    return SAQPlugin(
        SAQConfig(
            web_enabled=True,
            web_path=DASHBOARD_PATH,
            web_guards=[admin_guard],
            queue_instances={QUEUE_NAME: service.redis.queue},
        )
    )


def _in_process_worker(service: Service) -> tuple[Callable[[], Awaitable[None]], Callable[[], Awaitable[None]]]:
    """Start and stop hooks that run the service's worker inside the API process (`serve`, RUN_WORKER=true)."""
    worker = build_worker(service, handle_signals=False)
    running: asyncio.Task[None] | None = None

    async def start() -> None:
        nonlocal running
        running = asyncio.create_task(worker.start(), name="saq-worker")

    async def stop() -> None:
        # Running jobs finish (up to WORKER_SHUTDOWN_GRACE) before the backends close.
        await worker.stop()
        if running is not None:
            await asyncio.gather(running, return_exceptions=True)

    return start, stop


def _admin_token(settings: Settings) -> str | None:
    """ADMIN_TOKEN; `event-service serve` sets a generated one when the operator set none. The app never invents
    one: separate API processes would each invent a different one."""
    if settings.admin_token is None:
        log.warning("admin.disabled", reason="ADMIN_TOKEN is not set; admin routes answer 503 until it is")
        return None
    return settings.admin_token.get_secret_value()


def create_app(service: Service | None = None, settings: Settings | None = None) -> Litestar:
    """Build the app; with no service, bootstrapped from the environment (the factory granian calls)."""
    if service is None:
        settings = settings or load_settings()
        configure_logging(settings.log_format, settings.log_level)
        # Inline parsing and the SQLite writer run Python on threads beside the event loop, which then waits up to
        # a whole switch interval for the GIL at each hand-back: /health p99 during a 1M-row upload went from 21-25
        # ms at the default 5 ms to 11 ms at 1 ms, with the same upload rate (docs/benchmarks.md, (g)).
        sys.setswitchinterval(0.001)
        service = bootstrap(settings)
    settings = service.settings
    upload_limit = per_minute_limit(settings.upload_rate_limit, "upload_rate_limit")
    process_limit = per_minute_limit(settings.process_rate_limit, "process_rate_limit")
    on_startup: list[Callable[[], Awaitable[None]]] = [service.start]
    on_shutdown: list[Callable[[], Awaitable[None]]] = [service.close]
    if settings.run_worker:
        start_worker, stop_worker = _in_process_worker(service)
        on_startup.append(start_worker)
        on_shutdown.insert(0, stop_worker)
    redis = service.redis.client
    return Litestar(
        route_handlers=[
            *MONITORING_HANDLERS,
            docs,
            swagger_assets(),
            daily_metrics,
            BatchController,
            list_batches,
            QueueController,
            reprocess_metrics,
            Router("/", route_handlers=[upload], middleware=[upload_limit.middleware, GzipRequestBody()]),
            Router("/", route_handlers=[request_processing], middleware=[process_limit.middleware]),
            *ui_handlers(),
        ],
        dependencies={"use_cases": Provide(provide_use_cases, sync_to_thread=False)},
        state=State(
            {
                "use_cases": service.use_cases,
                "admin_token": _admin_token(settings),
                "readiness_timeout": settings.readiness_timeout,
            }
        ),
        stores={
            "upload_rate_limit": RedisStore(redis, namespace="event-service:ratelimit:upload"),
            "process_rate_limit": RedisStore(redis, namespace="event-service:ratelimit:process"),
        },
        middleware=[trusted_proxies(settings.trusted_proxies), RequestLogMiddleware(), REQUEST_METRICS.middleware],
        before_request=redirect_to_dashboard_root,
        exception_handlers=EXCEPTION_HANDLERS,
        on_startup=on_startup,
        on_shutdown=on_shutdown,
        plugins=[_dashboard(service)],
        request_max_body_size=settings.max_upload_bytes + _MULTIPART_OVERHEAD,
        openapi_config=openapi_config(event_service.__version__, SWAGGER),
        logging_config=None,
    )
