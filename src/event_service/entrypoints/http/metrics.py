"""GET /metrics: counts per event type for one UTC day (``?date=``), or for every day of a range (``?from=&to=``)."""

from __future__ import annotations

from typing import Annotated

from litestar import get
from litestar.exceptions import ValidationException
from litestar.params import QueryParameter

from event_service.application.get_daily_metrics import MAX_RANGE_DAYS, date_range
from event_service.entrypoints.http.days import parse_day
from event_service.entrypoints.http.dependencies import ContainerDependency
from event_service.entrypoints.http.schemas import DayMetrics, MetricsBody, MetricsRangeBody


def _day_parameter(name: str, description: str) -> QueryParameter:
    return QueryParameter(name=name, description=description, schema_extra={"format": "date"})


DateParameter = Annotated[str | None, _day_parameter("date", "one UTC calendar day, YYYY-MM-DD (not with from/to)")]
FromParameter = Annotated[
    str | None, _day_parameter("from", "first UTC day of a range, YYYY-MM-DD, inclusive (with `to`, not `date`)")
]
ToParameter = Annotated[
    str | None, _day_parameter("to", "last UTC day of a range, YYYY-MM-DD, inclusive (with `from`, not `date`)")
]


@get(
    "/metrics",
    tags=["metrics"],
    summary="Event counts per type for one UTC day, or for each day of a range",
    description='Either `?date=YYYY-MM-DD`, answering `{"date", "metrics"}` (`{}` for a day with no events), or '
    f"`?from=YYYY-MM-DD&to=YYYY-MM-DD` (inclusive, at most {MAX_RANGE_DAYS} days), answering "
    '`{"from", "to", "days": [{"date", "metrics"}]}` with every day of the range listed in order. '
    "400 when both forms or neither are given, a day is not YYYY-MM-DD, `from` is after `to`, or the range is too "
    "long.",
)
async def daily_metrics(
    container: ContainerDependency,
    day: DateParameter = None,
    first: FromParameter = None,
    last: ToParameter = None,
) -> MetricsBody | MetricsRangeBody:
    if day is None and first is None and last is None:
        raise ValidationException("query parameter 'date' is required, as YYYY-MM-DD (or 'from' and 'to' for a range)")
    if first is None and last is None:
        parsed = parse_day(day)
        return MetricsBody(date=parsed.isoformat(), metrics=await container.get_daily_metrics(parsed))
    if day is not None:
        raise ValidationException("give either 'date' or 'from' and 'to', not both")
    if first is None or last is None:
        raise ValidationException("a range needs both 'from' and 'to', as YYYY-MM-DD")
    start, end = date_range(first, last)
    days = await container.get_daily_metrics.over(start, end)
    return MetricsRangeBody(
        from_=start.isoformat(),
        to=end.isoformat(),
        days=[DayMetrics(date=d.isoformat(), metrics=totals) for d, totals in days],
    )
