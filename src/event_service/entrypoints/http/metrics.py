"""GET /metrics: counts per event type for one UTC day (``?date=``), or for every day of a range (``?from=&to=``)."""

from __future__ import annotations

from typing import Annotated

from litestar import get
from litestar.exceptions import ValidationException

from event_service.application.get_daily_metrics import MAX_RANGE_DAYS
from event_service.entrypoints.http.days import day_parameter, parse_day
from event_service.entrypoints.http.dependencies import UseCasesDependency
from event_service.entrypoints.http.openapi import INVALID_DATE, UNAVAILABLE, DocumentedOperation, Failure, failures
from event_service.entrypoints.http.schemas import DayMetrics, MetricsBody, MetricsRangeBody

DateParameter = Annotated[str | None, day_parameter("date", "one UTC calendar day, YYYY-MM-DD (not with from/to)")]
FromParameter = Annotated[
    str | None, day_parameter("from", "first UTC day of a range, YYYY-MM-DD, inclusive (with `to`, not `date`)")
]
ToParameter = Annotated[
    str | None, day_parameter("to", "last UTC day of a range, YYYY-MM-DD, inclusive (with `from`, not `date`)")
]

_NO_DAY = Failure(
    400,
    "no-day",
    "neither `date` nor `from` and `to`",
    "query parameter 'date' is required, as YYYY-MM-DD (or 'from' and 'to' for a range)",
)
_BOTH_FORMS = Failure(400, "both-forms", "both `date` and a range", "give either 'date' or 'from' and 'to', not both")
_HALF_RANGE = Failure(
    400, "half-range", "only one of `from` and `to`", "a range needs both 'from' and 'to', as YYYY-MM-DD"
)
_REVERSED = Failure(400, "reversed-range", "`from` is after `to`", "'from' (2025-11-14) is after 'to' (2025-11-13)")
_TOO_LONG = Failure(
    400,
    "range-too-long",
    f"the range spans more than {MAX_RANGE_DAYS} days",
    f"the range spans 367 days; at most {MAX_RANGE_DAYS} may be asked at once",
)


@get(
    "/metrics",
    tags=["metrics"],
    operation_id="getDailyMetrics",
    operation_class=DocumentedOperation,
    summary="Event counts per type for one UTC day, or for each day of a range",
    description='Either `?date=YYYY-MM-DD`, answering `{"date", "metrics"}` (`{}` for a day with no events), or '
    f"`?from=YYYY-MM-DD&to=YYYY-MM-DD` (inclusive, at most {MAX_RANGE_DAYS} days), answering "
    '`{"from", "to", "days": [{"date", "metrics"}]}` with every day of the range listed in order. '
    "Counts come from processed batches only.",
    responses=failures(INVALID_DATE, _NO_DAY, _BOTH_FORMS, _HALF_RANGE, _REVERSED, _TOO_LONG, UNAVAILABLE),
)
async def daily_metrics(
    use_cases: UseCasesDependency,
    day: DateParameter = None,
    first: FromParameter = None,
    last: ToParameter = None,
) -> MetricsBody | MetricsRangeBody:
    if day is None and first is None and last is None:
        raise ValidationException(_NO_DAY.message)
    if first is None and last is None:
        parsed = parse_day(day)
        return MetricsBody(date=parsed.isoformat(), metrics=await use_cases.get_daily_metrics(parsed))
    if day is not None:
        raise ValidationException(_BOTH_FORMS.message)
    if first is None or last is None:
        raise ValidationException(_HALF_RANGE.message)
    start, end = parse_day(first, "from"), parse_day(last, "to")
    days = await use_cases.get_daily_metrics.over(start, end)
    return MetricsRangeBody(
        from_=start.isoformat(),
        to=end.isoformat(),
        days=[DayMetrics(date=d.isoformat(), metrics=totals) for d, totals in days],
    )
