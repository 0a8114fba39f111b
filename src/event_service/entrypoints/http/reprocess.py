"""POST /metrics/reprocess?date=YYYY-MM-DD (admin): recompute a day's totals from the batch contributions now."""

from __future__ import annotations

from typing import Annotated

from litestar import post
from litestar.params import QueryParameter
from litestar.status_codes import HTTP_200_OK

from event_service.application.reprocess_day import DayReprocessed
from event_service.entrypoints.http.days import parse_day
from event_service.entrypoints.http.dependencies import UseCasesDependency
from event_service.entrypoints.http.guards import admin_guard
from event_service.entrypoints.http.openapi import (
    ADMIN_DISABLED,
    ADMIN_SECURITY,
    CSRF_REFUSED,
    INVALID_DATE,
    UNAUTHORIZED,
    UNAVAILABLE,
    DocumentedOperation,
    failures,
)
from event_service.entrypoints.reprocess_log import log_reprocessed


@post(
    "/metrics/reprocess",
    status_code=HTTP_200_OK,
    guards=[admin_guard],
    tags=["admin"],
    security=ADMIN_SECURITY,
    operation_id="reprocessDay",
    operation_class=DocumentedOperation,
    responses=failures(INVALID_DATE, UNAUTHORIZED, CSRF_REFUSED, ADMIN_DISABLED, UNAVAILABLE),
    summary="Recompute one UTC day's totals from the batch contributions, and say what changed",
    description="What the midnight job does for yesterday, for any day. Idempotent; counts as a heavy job for the "
    "processing rate limit.",
)
async def reprocess_metrics(
    use_cases: UseCasesDependency,
    day: Annotated[str, QueryParameter(name="date", description="a UTC calendar day, YYYY-MM-DD", format="date")],
) -> DayReprocessed:
    result = await use_cases.reprocess_day(parse_day(day))
    log_reprocessed(result, trigger="admin")
    return result
