"""Counts per event type for one UTC day, or for every day of a range, served from the cache when one is wired."""

from __future__ import annotations

from datetime import date, timedelta

from event_service.application.errors import InvalidDateRange
from event_service.application.ports import DailyTotalsCache, MetricsRepository

MAX_RANGE_DAYS = 366
"""A leap year: the longest range one request may ask for, so one answer stays small and quick."""


class GetDailyMetrics:
    def __init__(self, metrics: MetricsRepository, cache: DailyTotalsCache | None = None) -> None:
        self._metrics = metrics
        self._cache = cache

    async def __call__(self, day: date) -> dict[str, int]:
        key = day.isoformat()
        if self._cache is None:
            return await self._metrics.daily_totals(key)
        return await self._cache.get_or_load(key, lambda: self._metrics.daily_totals(key))

    async def over(self, start: date, end: date) -> list[tuple[date, dict[str, int]]]:
        """Every day from ``start`` to ``end`` inclusive, in order, with its totals (empty for a day with none);
        InvalidDateRange for a reversed range or one longer than MAX_RANGE_DAYS."""
        if start > end:
            raise InvalidDateRange(f"'from' ({start}) is after 'to' ({end})")
        span = (end - start).days + 1
        if span > MAX_RANGE_DAYS:
            raise InvalidDateRange(f"the range spans {span} days; at most {MAX_RANGE_DAYS} may be asked at once")
        days = [start + timedelta(days=offset) for offset in range(span)]
        # One read per day, in turn: each goes through the cache (a near copy answers most without a round trip),
        # and reading all at once would take as many connections from the shared Redis pool as there are days.
        return [(day, await self(day)) for day in days]
