"""The range use case: every day of an inclusive range in order, and what makes a range unanswerable."""

from __future__ import annotations

from datetime import date

import pytest

from event_service.application.errors import InvalidDateRange
from event_service.application.get_daily_metrics import GetDailyMetrics, date_range
from tests.unit.application.fakes import FakeMetrics


async def test_every_day_of_the_range_in_order_empty_days_included() -> None:
    metrics = FakeMetrics()
    metrics.totals = {"2025-12-31": {"signup": 2}, "2026-01-02": {"refund": 1, "signup": 5}}
    days = await GetDailyMetrics(metrics).over(*date_range("2025-12-30", "2026-01-02"))
    assert days == [
        (date(2025, 12, 30), {}),
        (date(2025, 12, 31), {"signup": 2}),
        (date(2026, 1, 1), {}),
        (date(2026, 1, 2), {"refund": 1, "signup": 5}),
    ]


def test_the_longest_range_is_a_leap_year() -> None:
    assert date_range("2024-01-01", "2024-12-31") == (date(2024, 1, 1), date(2024, 12, 31))
    with pytest.raises(InvalidDateRange, match="spans 367 days"):
        date_range("2024-01-01", "2025-01-01")


@pytest.mark.parametrize(
    ("first", "last", "message"),
    [
        ("2025-11-02", "2025-11-01", "is after"),
        ("2025-1-01", "2025-11-01", "'from' must be a calendar day"),
        ("2025-11-01", "2025-11-31", "'to' must be a calendar day"),
    ],
)
def test_unanswerable_ranges_say_why(first: str, last: str, message: str) -> None:
    with pytest.raises(InvalidDateRange, match=message):
        date_range(first, last)
