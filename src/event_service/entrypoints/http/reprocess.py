"""POST /metrics/reprocess?date=YYYY-MM-DD (admin): recompute a day's totals from the batch contributions now."""

from __future__ import annotations

from litestar import post
from litestar.status_codes import HTTP_200_OK

from event_service.application.reprocess_day import DayReprocessed
from event_service.entrypoints.http.days import DayParameter, parse_day
from event_service.entrypoints.http.dependencies import ContainerDependency
from event_service.entrypoints.http.guards import admin_guard
from event_service.entrypoints.worker import log_reprocessed


@post(
    "/metrics/reprocess",
    status_code=HTTP_200_OK,
    guards=[admin_guard],
    tags=["admin"],
    security=[{"BearerToken": []}],
    summary="Recompute one UTC day's totals from the batch contributions, and say what changed",
    description="What the midnight job does for yesterday, for any day. Idempotent; counts as a heavy job for the "
    "processing rate limit.",
)
async def reprocess_metrics(container: ContainerDependency, day: DayParameter = None) -> DayReprocessed:
    result = await container.reprocess_day(parse_day(day))
    log_reprocessed(result, trigger="admin")
    return result
