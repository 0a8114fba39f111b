"""The range use case: every day of an inclusive range in order, and what makes a range unanswerable."""

from __future__ import annotations

from datetime import date

import pytest

from event_service.application.errors import InvalidDateRange
from event_service.application.get_daily_metrics import GetDailyMetrics
from tests.unit.application.fakes import FakeMetrics


async def test_every_day_of_the_range_in_order_empty_days_included() -> None:
    metrics = FakeMetrics()
    metrics.totals = {"2025-12-31": {"signup": 2}, "2026-01-02": {"refund": 1, "signup": 5}}
    days = await GetDailyMetrics(metrics).over(date(2025, 12, 30), date(2026, 1, 2))
    assert days == [
        (date(2025, 12, 30), {}),
        (date(2025, 12, 31), {"signup": 2}),
        (date(2026, 1, 1), {}),
        (date(2026, 1, 2), {"refund": 1, "signup": 5}),
    ]


async def test_the_longest_range_is_a_leap_year_and_a_range_runs_forwards() -> None:
    over = GetDailyMetrics(FakeMetrics()).over
    assert len(await over(date(2024, 1, 1), date(2024, 12, 31))) == 366
    with pytest.raises(InvalidDateRange, match="spans 367 days"):
        await over(date(2024, 1, 1), date(2025, 1, 1))
    with pytest.raises(InvalidDateRange, match=r"'from' \(2025-11-02\) is after 'to' \(2025-11-01\)"):
        await over(date(2025, 11, 2), date(2025, 11, 1))
