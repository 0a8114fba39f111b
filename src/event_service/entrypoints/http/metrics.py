"""GET /metrics?date=YYYY-MM-DD: counts per event type for a UTC day."""

from __future__ import annotations

from litestar import get

from event_service.entrypoints.http.days import DayParameter, parse_day
from event_service.entrypoints.http.dependencies import ContainerDependency
from event_service.entrypoints.http.openapi import INVALID_DATE, UNAVAILABLE, DocumentedOperation, failures
from event_service.entrypoints.http.schemas import MetricsBody


@get(
    "/metrics",
    tags=["metrics"],
    operation_id="getDailyMetrics",
    operation_class=DocumentedOperation,
    summary="Event counts per type for one UTC day",
    description="`{}` for a day with no events. Counts come from processed batches only.",
    responses=failures(INVALID_DATE, UNAVAILABLE),
)
async def daily_metrics(container: ContainerDependency, day: DayParameter = None) -> MetricsBody:
    parsed = parse_day(day)
    return MetricsBody(date=parsed.isoformat(), metrics=await container.get_daily_metrics(parsed))
