"""Counts per event type for one UTC day."""

from __future__ import annotations

from datetime import date

from event_service.application.ports import MetricsRepository


class GetDailyMetrics:
    def __init__(self, metrics: MetricsRepository) -> None:
        self._metrics = metrics

    async def __call__(self, day: date) -> dict[str, int]:
        return await self._metrics.daily_totals(day.isoformat())
