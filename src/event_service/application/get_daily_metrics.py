"""Counts per event type for one UTC day, served from the cache when one is wired."""

from __future__ import annotations

from datetime import date

from event_service.application.ports import DailyTotalsCache, MetricsRepository


class GetDailyMetrics:
    def __init__(self, metrics: MetricsRepository, cache: DailyTotalsCache | None = None) -> None:
        self._metrics = metrics
        self._cache = cache

    async def __call__(self, day: date) -> dict[str, int]:
        key = day.isoformat()
        if self._cache is None:
            return await self._metrics.daily_totals(key)
        return await self._cache.get_or_load(key, lambda: self._metrics.daily_totals(key))
