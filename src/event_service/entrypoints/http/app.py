"""The Litestar application, built on the composition root's container."""

from __future__ import annotations

from litestar import Litestar, Router
from litestar.datastructures import State
from litestar.di import Provide
from litestar.stores.redis import RedisStore
from litestar_saq import QueueConfig, SAQConfig, SAQPlugin

import event_service
from event_service.adapters.settings import QUEUE_NAME, Settings, load_settings
from event_service.entrypoints.bootstrap import Container, build_container
from event_service.entrypoints.http.batches import BatchController, list_batches, process_batch
from event_service.entrypoints.http.dashboard import DASHBOARD_PATH, redirect_to_dashboard_root
from event_service.entrypoints.http.decompression import GzipRequestBody
from event_service.entrypoints.http.dependencies import provide_container
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
from event_service.entrypoints.logging import configure_logging
from event_service.entrypoints.worker import worker_options

# Multipart framing around the file part is small; this leaves room for it over MAX_UPLOAD_BYTES.
_MULTIPART_OVERHEAD = 64 * 1024


def _saq_plugin(container: Container) -> SAQPlugin:
    """The dashboard always; the worker inside this process unless RUN_WORKER is false (`event-service api`)."""
    options = worker_options(container)
    plugin = SAQPlugin(
        SAQConfig(
            web_enabled=True,
            web_path=DASHBOARD_PATH,
            web_guards=[admin_guard],
            queue_instances={QUEUE_NAME: container.queue},
            queue_configs=[
                QueueConfig(
                    name=QUEUE_NAME,
                    broker_instance=container.redis,
                    tasks=options["functions"],
                    scheduled_tasks=options["cron_jobs"],
                    timers=options["timers"],
                    dequeue_timeout=options["dequeue_timeout"],
                    concurrency=options["concurrency"],
                    startup=options["startup"],
                    before_process=options["before_process"],
                    after_process=options["after_process"],
                    separate_process=not container.settings.run_worker,
                )
            ],
        )
    )
    for worker in plugin.get_workers().values():
        # litestar-saq's heartbeat manager serves its @monitored_job decorator, which this service does not use: it
        # would only run a thread with an event loop of its own per app (no option turns it off).
        worker._enable_heartbeat_manager = False
    return plugin


def create_app(container: Container | None = None, settings: Settings | None = None) -> Litestar:
    """Build the app; with no container, from the environment (the factory granian calls)."""
    if container is None:
        settings = settings or load_settings()
        configure_logging(settings.log_format, settings.log_level)
        container = build_container(settings)
    settings = container.settings
    upload_limit = per_minute_limit(settings.upload_rate_limit, "upload_rate_limit")
    process_limit = per_minute_limit(settings.process_rate_limit, "process_rate_limit")
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
            Router("/", route_handlers=[process_batch], middleware=[process_limit.middleware]),
            *ui_handlers(),
        ],
        dependencies={"container": Provide(provide_container, sync_to_thread=False)},
        state=State({"container": container, "admin_token": container.admin_token}),
        stores={
            "upload_rate_limit": RedisStore(container.redis, namespace="event-service:ratelimit:upload"),
            "process_rate_limit": RedisStore(container.redis, namespace="event-service:ratelimit:process"),
        },
        middleware=[trusted_proxies(settings.trusted_proxies), RequestLogMiddleware(), REQUEST_METRICS.middleware],
        before_request=redirect_to_dashboard_root,
        exception_handlers=EXCEPTION_HANDLERS,
        on_startup=[container.start],
        on_shutdown=[container.close],
        plugins=[_saq_plugin(container)],
        request_max_body_size=settings.max_upload_bytes + _MULTIPART_OVERHEAD,
        openapi_config=openapi_config(event_service.__version__, SWAGGER),
        logging_config=None,
    )
