"""Recompute one day's totals from the batch contributions, and say what changed. Idempotent."""

from __future__ import annotations

from datetime import date

import msgspec

from event_service.application.ports import DailyTotalsCache, JobWeight, MetricsRepository, RateLimiter


class DayReprocessed(msgspec.Struct, frozen=True):
    date: str
    before: dict[str, int]
    after: dict[str, int]
    changed: dict[str, list[int]]
    """``{event_type: [before, after]}`` for every type whose count changed; empty when the totals were right."""


class ReprocessDay:
    def __init__(
        self,
        metrics: MetricsRepository,
        limiter: RateLimiter | None = None,
        cache: DailyTotalsCache | None = None,
    ) -> None:
        self._metrics = metrics
        self._limiter = limiter
        self._cache = cache

    async def __call__(self, day: date) -> DayReprocessed:
        if self._limiter is not None:
            await self._limiter.acquire(JobWeight.HEAVY)
        key = day.isoformat()
        before = await self._metrics.daily_totals(key)
        after = await self._metrics.recompute_day(key)
        if self._cache is not None:
            await self._cache.invalidate([key])
        changed = {
            event_type: [before.get(event_type, 0), after.get(event_type, 0)]
            for event_type in sorted(before.keys() | after.keys())
            if before.get(event_type, 0) != after.get(event_type, 0)
        }
        return DayReprocessed(date=key, before=before, after=after, changed=changed)
