"""GET /metrics?date=YYYY-MM-DD: counts per event type for a UTC day."""

from __future__ import annotations

from datetime import date
from typing import Annotated

from litestar import get
from litestar.exceptions import ValidationException
from litestar.params import QueryParameter

from event_service.entrypoints.http.dependencies import ContainerDependency
from event_service.entrypoints.http.schemas import MetricsBody


@get("/metrics", tags=["metrics"], summary="Event counts per type for one UTC day")
async def daily_metrics(
    container: ContainerDependency,
    day: Annotated[str | None, QueryParameter(name="date", description="a UTC calendar day, YYYY-MM-DD")] = None,
) -> MetricsBody:
    if not day:
        raise ValidationException("query parameter 'date' is required, as YYYY-MM-DD")
    try:
        parsed = date.fromisoformat(day)
    except ValueError:
        parsed = None
    if parsed is None or len(day) != 10:
        raise ValidationException(f"query parameter 'date' must be a calendar day as YYYY-MM-DD, got {day!r}")
    return MetricsBody(date=parsed.isoformat(), metrics=await container.get_daily_metrics(parsed))
