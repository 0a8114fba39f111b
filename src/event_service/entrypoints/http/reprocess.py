"""POST /metrics/reprocess?date=YYYY-MM-DD (admin): recompute a day's totals from the batch contributions now."""

from __future__ import annotations

from datetime import date
from typing import Annotated

from litestar import post
from litestar.exceptions import ValidationException
from litestar.params import QueryParameter
from litestar.status_codes import HTTP_200_OK

from event_service.application.reprocess_day import DayReprocessed
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
async def reprocess_metrics(
    container: ContainerDependency,
    day: Annotated[str | None, QueryParameter(name="date", description="a UTC calendar day, YYYY-MM-DD")] = None,
) -> DayReprocessed:
    if not day:
        raise ValidationException("query parameter 'date' is required, as YYYY-MM-DD")
    try:
        parsed = date.fromisoformat(day) if len(day) == 10 else None
    except ValueError:
        parsed = None
    if parsed is None:
        raise ValidationException(f"query parameter 'date' must be a calendar day as YYYY-MM-DD, got {day!r}")
    result = await container.reprocess_day(parsed)
    log_reprocessed(result, trigger="admin")
    return result
