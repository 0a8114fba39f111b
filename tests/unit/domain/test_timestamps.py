"""Timestamp rules: ISO 8601 and Unix epoch forms, invalid values, bounds, and UTC day buckets."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from event_service.domain import InvalidTimestamp, TimestampBounds, parse_timestamp, utc_day
from event_service.domain.timestamps import EPOCH_MS_THRESHOLD
from tests.unit.domain.support import BOUNDS, NOW, WIDE_BOUNDS, ms

NOT_A_TIMESTAMP = "is not an ISO 8601 date-time (e.g. 2025-11-13T09:30:00Z) or a Unix epoch number"


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("2024-03-10T12:34:56Z", ms(2024, 3, 10, 12, 34, 56)),
        ("2024-03-10T12:34:56+00:00", ms(2024, 3, 10, 12, 34, 56)),
        ("2024-03-10T12:34:56+02:00", ms(2024, 3, 10, 10, 34, 56)),
        ("2024-03-10T12:34:56-05:30", ms(2024, 3, 10, 18, 4, 56)),
        ("2024-03-10T12:34:56", ms(2024, 3, 10, 12, 34, 56)),
        ("2024-03-10 12:34:56Z", ms(2024, 3, 10, 12, 34, 56)),
        ("2024-03-10 12:34:56", ms(2024, 3, 10, 12, 34, 56)),
        ("2024-03-10 12:34:56-05:30", ms(2024, 3, 10, 18, 4, 56)),
        ("2024-03-10T12:34:56.5Z", ms(2024, 3, 10, 12, 34, 56, 500)),
        ("2024-03-10T12:34:56.123Z", ms(2024, 3, 10, 12, 34, 56, 123)),
        ("2024-03-10T12:34:56.123456Z", ms(2024, 3, 10, 12, 34, 56, 123)),
        ("2024-03-10T12:34:56.9999Z", ms(2024, 3, 10, 12, 34, 56, 999)),
        ("2024-03-10T12:34:56.250+02:00", ms(2024, 3, 10, 10, 34, 56, 250)),
        ("2024-03-10 12:34:56.250", ms(2024, 3, 10, 12, 34, 56, 250)),
        ("2024-03-10T12:34Z", ms(2024, 3, 10, 12, 34)),
        ("2024-02-29T12:00:00Z", ms(2024, 2, 29, 12)),
    ],
)
def test_iso_8601_date_times_are_read_as_utc_milliseconds(value: str, expected: int) -> None:
    assert parse_timestamp(value, BOUNDS) == expected


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("1700000000", 1_700_000_000_000),
        ("1700000000.25", 1_700_000_000_250),
        ("1700000000.0", 1_700_000_000_000),
        ("1700000000.9999", 1_700_000_000_999),  # cut to the millisecond, like ISO fractions
        ("01700000000", 1_700_000_000_000),
        ("1700000000123", 1_700_000_000_123),
        ("1700000000123.9", 1_700_000_000_123),
        ("31536000", ms(1971, 1, 1)),
    ],
)
def test_unix_epoch_seconds_and_milliseconds(value: str, expected: int) -> None:
    assert parse_timestamp(value, BOUNDS) == expected


def test_epoch_threshold_is_10_to_the_11() -> None:
    assert EPOCH_MS_THRESHOLD == 10**11
    # Below 10**11 the number is seconds, from 10**11 up it is milliseconds.
    assert parse_timestamp("99999999999", WIDE_BOUNDS) == 99_999_999_999_000
    assert parse_timestamp("99999999999.5", WIDE_BOUNDS) == 99_999_999_999_500
    assert parse_timestamp("100000000000", WIDE_BOUNDS) == 100_000_000_000
    assert parse_timestamp("100000000001", WIDE_BOUNDS) == 100_000_000_001
    # With the real bounds, 99999999999 seconds is the year 5138: too far ahead.
    with pytest.raises(InvalidTimestamp, match="is after the latest accepted instant"):
        parse_timestamp("99999999999", BOUNDS)
    assert parse_timestamp("100000000000", BOUNDS) == ms(1973, 3, 3, 9, 46, 40)


@pytest.mark.parametrize(
    "value",
    [
        "2024-02-30T12:00:00Z",
        "2023-02-29T00:00:00Z",
        "2024-04-31T00:00:00",
        "2024-13-01T00:00:00Z",
        "2024-00-10T00:00:00Z",
        "2024-01-01T24:00:00Z",
        "2024-01-01T12:60:00Z",
        "2024-01-01 12:00:61",
    ],
)
def test_impossible_dates_are_rejected_as_invalid_dates(value: str) -> None:
    with pytest.raises(InvalidTimestamp) as raised:
        parse_timestamp(value, WIDE_BOUNDS)
    assert str(raised.value) == f'"{value}" is not a valid date'


@pytest.mark.parametrize(
    "value",
    [
        "yesterday",
        "not a date at all",
        "2024-01-01",
        "12:00:00",
        "2024/01/01 12:00:00",
        "1700000000abc",
        "0x65",
        "nan",
        "inf",
        "1e400",
        "2024-01-01T12:00:00+2",
        "2024-01-01T12:00:00+24:00",
        "--",
        # Epoch numbers are ASCII digits with an optional fraction: float() reads all of these.
        "1_763_026_200",
        "1.7630262e9",
        "1763026200e0",
        "+1763026200",
        "-1700000000",
        "-0",
        " 1763026200",
        "\u0661\u0667\u0666\u0663\u0660\u0662\u0666\u0662\u0660\u0660",  # Arabic-Indic digits
        "\uff11\uff17\uff16\uff13\uff10\uff12\uff16\uff12\uff10\uff10",  # fullwidth digits
        ".5",
        "1763026200.",
        "1763026200.5.5",
        "1763026200,5",
    ],
)
def test_garbage_is_rejected_saying_what_is_expected(value: str) -> None:
    with pytest.raises(InvalidTimestamp) as raised:
        parse_timestamp(value, WIDE_BOUNDS)
    assert str(raised.value) == f'"{value}" {NOT_A_TIMESTAMP}'


def test_empty_value_is_rejected() -> None:
    with pytest.raises(InvalidTimestamp) as raised:
        parse_timestamp("", WIDE_BOUNDS)
    assert str(raised.value) == "is empty; expected an ISO 8601 date-time or a Unix epoch number"


def test_invalid_timestamp_is_a_value_error() -> None:
    assert issubclass(InvalidTimestamp, ValueError)


def test_default_bounds_are_1971_and_now_plus_24_hours() -> None:
    assert TimestampBounds(earliest_ms=ms(1971, 1, 1), latest_ms=ms(2025, 6, 2)) == BOUNDS
    assert BOUNDS.earliest_ms == 31_536_000_000


def test_milliseconds_below_the_threshold_are_read_as_seconds() -> None:
    # 1971-01-01 in milliseconds is 31536000000, below 10**11: it is read as seconds (the year 2969).
    with pytest.raises(InvalidTimestamp) as raised:
        parse_timestamp("31536000000", BOUNDS)
    assert str(raised.value) == '"31536000000" is after the latest accepted instant 2025-06-02T00:00:00Z'
    assert parse_timestamp("31536000000", WIDE_BOUNDS) == 31_536_000_000_000


def test_bounds_are_configurable() -> None:
    bounds = TimestampBounds.around(
        NOW, earliest=datetime(2020, 1, 1, tzinfo=UTC), future_tolerance=timedelta(minutes=5)
    )
    assert bounds == TimestampBounds(earliest_ms=ms(2020, 1, 1), latest_ms=ms(2025, 6, 1, 0, 5))
    assert parse_timestamp("2020-01-01T00:00:00Z", bounds) == ms(2020, 1, 1)
    assert parse_timestamp("2025-06-01T00:05:00Z", bounds) == ms(2025, 6, 1, 0, 5)
    with pytest.raises(InvalidTimestamp) as early:
        parse_timestamp("2019-12-31T23:59:59Z", bounds)
    assert str(early.value) == '"2019-12-31T23:59:59Z" is before the earliest accepted instant 2020-01-01T00:00:00Z'
    with pytest.raises(InvalidTimestamp) as late:
        parse_timestamp("2025-06-01T00:05:01Z", bounds)
    assert str(late.value) == '"2025-06-01T00:05:01Z" is after the latest accepted instant 2025-06-01T00:05:00Z'


def test_naive_now_is_taken_as_utc() -> None:
    assert TimestampBounds.around(datetime(2025, 6, 1)) == BOUNDS


@pytest.mark.parametrize(
    "value",
    [
        "1971-01-01T00:00:00Z",
        "1971-01-01T02:00:00+02:00",
        "1970-12-31T19:00:00-05:00",
        "31536000",
    ],
)
def test_earliest_instant_is_accepted(value: str) -> None:
    assert parse_timestamp(value, BOUNDS) == ms(1971, 1, 1)


@pytest.mark.parametrize(
    "value",
    [
        "1970-12-31T23:59:59.999Z",
        "1971-01-01T01:00:00+02:00",
        "1970-01-01T00:00:00Z",
        "1969-07-20T20:17:00Z",
        "0",
        "31535999",
        "0001-01-01T00:00:00+01:00",
    ],
)
def test_instants_before_1971_are_rejected(value: str) -> None:
    with pytest.raises(InvalidTimestamp) as raised:
        parse_timestamp(value, BOUNDS)
    assert str(raised.value) == f'"{value}" is before the earliest accepted instant 1971-01-01T00:00:00Z'


@pytest.mark.parametrize(
    "value",
    ["2025-06-02T00:00:00Z", "2025-06-02T02:00:00+02:00", "2025-06-01T18:30:00-05:30", str(ms(2025, 6, 2))],
)
def test_up_to_24_hours_ahead_is_accepted(value: str) -> None:
    assert parse_timestamp(value, BOUNDS) == ms(2025, 6, 2)


@pytest.mark.parametrize(
    "value",
    [
        "2025-06-02T00:00:00.001Z",
        "2025-06-01T20:00:00-05:00",
        "2025-06-03T00:00:00Z",
        str(ms(2025, 6, 2) + 1),
        str(ms(2025, 6, 2) // 1000 + 1),
        "9999-12-31T23:59:59-01:00",
    ],
)
def test_more_than_24_hours_ahead_is_rejected(value: str) -> None:
    with pytest.raises(InvalidTimestamp) as raised:
        parse_timestamp(value, BOUNDS)
    assert str(raised.value) == f'"{value}" is after the latest accepted instant 2025-06-02T00:00:00Z'


@pytest.mark.parametrize(
    ("value", "day"),
    [
        ("2024-03-01T01:00:00+02:00", "2024-02-29"),
        ("2024-02-29T20:00:00-05:30", "2024-03-01"),
        ("2023-12-31T23:30:00-01:00", "2024-01-01"),
        ("2024-01-01T00:30:00+01:00", "2023-12-31"),
        ("2024-01-01T00:00:00Z", "2024-01-01"),
        ("2023-12-31T23:59:59.999Z", "2023-12-31"),
        ("2024-06-15 23:59:59", "2024-06-15"),
        ("1700000000", "2023-11-14"),
    ],
)
def test_offsets_bucket_into_the_utc_day(value: str, day: str) -> None:
    assert utc_day(parse_timestamp(value, BOUNDS)) == day


@pytest.mark.parametrize(
    ("instant", "day"),
    [
        (0, "1970-01-01"),
        (-1, "1969-12-31"),
        (86_399_999, "1970-01-01"),
        (86_400_000, "1970-01-02"),
        (ms(2024, 2, 29, 23, 59, 59, 999), "2024-02-29"),
        (ms(2024, 3, 1), "2024-03-01"),
        (ms(2025, 6, 2), "2025-06-02"),
    ],
)
def test_utc_day_of_an_instant(instant: int, day: str) -> None:
    assert utc_day(instant) == day
    assert utc_day(instant) == day  # the cached answer is the same


def test_epoch_numbers_of_any_length_are_read_exactly() -> None:
    # Exact integer arithmetic: float() would round a 17-digit millisecond value.
    assert parse_timestamp("12345678901234567", TimestampBounds(0, 10**17)) == 12_345_678_901_234_567
    with pytest.raises(InvalidTimestamp, match="is after the latest accepted instant"):
        parse_timestamp("9" * 5000, BOUNDS)
    assert parse_timestamp("0" * 30 + "1700000000.5", BOUNDS) == 1_700_000_000_500
