"""What operators and orchestrators ask of a running API: liveness, readiness, and Prometheus metrics."""

from __future__ import annotations

import asyncio

import msgspec
import structlog
from litestar import MediaType, Response, get
from litestar.datastructures import State
from litestar.enums import ScopeType
from litestar.plugins.prometheus import PrometheusConfig
from litestar.status_codes import HTTP_200_OK, HTTP_503_SERVICE_UNAVAILABLE
from prometheus_client import CONTENT_TYPE_LATEST, REGISTRY, generate_latest

from event_service.application.list_queues import ListQueues
from event_service.entrypoints import telemetry
from event_service.entrypoints.http.dependencies import UseCasesDependency
from event_service.entrypoints.http.openapi import DocumentedOperation, Failure, failures
from event_service.entrypoints.http.schemas import HealthBody

log = structlog.get_logger(__name__)

# Uploads of large files take seconds to minutes; the default buckets stop at 10 s.
_REQUEST_BUCKETS: list[str | float] = [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 120, 300]

REQUEST_METRICS = PrometheusConfig(
    app_name="event-service",
    prefix="event_service_http",
    # The route template (/batches/{batch_id:str}), not the path: one series per route, not per batch.
    group_path=True,
    buckets=_REQUEST_BUCKETS,
    scopes={ScopeType.HTTP},
)
"""Litestar's Prometheus middleware: requests, errors, in-progress and duration by method, route and status."""


class ReadyBody(msgspec.Struct):
    status: str
    checks: dict[str, str]


class NotReadyBody(msgspec.Struct):
    status_code: int
    message: str
    status: str
    checks: dict[str, str]


async def _alive() -> HealthBody:
    return HealthBody(status="ok")


live = get(
    "/-/live",
    tags=["health"],
    summary="200 while the process serves",
    operation_id="getLiveness",
    operation_class=DocumentedOperation,
)(_alive)
health = get(
    "/health",
    tags=["health"],
    summary="200 while the process serves (the older address of /-/live)",
    operation_id="getHealth",
    operation_class=DocumentedOperation,
)(_alive)


@get(
    "/-/ready",
    tags=["health"],
    summary="200 when Redis and the store each answer within READINESS_TIMEOUT, else 503 naming what failed",
    operation_id="getReadiness",
    operation_class=DocumentedOperation,
    responses=failures(
        Failure(503, "not-ready", "a dependency failed or did not answer", "not ready: redis: TimeoutError"),
        bodies={HTTP_503_SERVICE_UNAVAILABLE: NotReadyBody},
    ),
)
async def ready(use_cases: UseCasesDependency) -> Response[ReadyBody | NotReadyBody]:
    readiness = await use_cases.check_readiness()
    if readiness.ready:
        return Response(ReadyBody("ready", readiness.checks), status_code=HTTP_200_OK)
    problems = "; ".join(f"{name}: {readiness.checks[name]}" for name in readiness.failed)
    log.warning("readiness.failed", checks=readiness.checks)
    return Response(
        NotReadyBody(HTTP_503_SERVICE_UNAVAILABLE, f"not ready: {problems}", "not ready", readiness.checks),
        status_code=HTTP_503_SERVICE_UNAVAILABLE,
        media_type=MediaType.JSON,
    )


@get(
    "/-/metrics",
    tags=["health"],
    summary="Prometheus exposition of this process's metrics",
    media_type=MediaType.TEXT,
    operation_id="getPrometheusMetrics",
    operation_class=DocumentedOperation,
)
async def metrics(use_cases: UseCasesDependency, state: State) -> Response[bytes]:
    """Litestar's PrometheusController serves the registry as it is; the queue gauges must be read first."""
    await _refresh_queue_gauges(use_cases.list_queues, state.readiness_timeout)
    # As a header: as a media type, Litestar would append a second charset to it.
    return Response(generate_latest(REGISTRY), headers={"Content-Type": CONTENT_TYPE_LATEST})


async def _refresh_queue_gauges(list_queues: ListQueues, within: float) -> None:
    try:
        queues = await asyncio.wait_for(list_queues(), within)
    except Exception as exc:
        # A scrape must not fail, nor wait long, because Redis does: the gauges go missing instead.
        log.warning("metrics.queue_unavailable", error=f"{type(exc).__name__}: {exc}")
        telemetry.clear_queue_gauges()
        return
    telemetry.set_queue_gauges(queues)


MONITORING_HANDLERS = [live, health, ready, metrics]
