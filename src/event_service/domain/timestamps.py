"""Parse event timestamps into epoch milliseconds (UTC) and check them against bounds.

Accepted: ISO 8601 date-times (``T`` or space separator, optional fraction, ``Z``/offset or naive = UTC)
and Unix epoch numbers: ASCII digits with an optional fraction after a dot (``[0-9]+([.][0-9]+)?``), read as
seconds below 10**11 and as milliseconds from there up, the fraction cut to the millisecond. No sign, no ``_``,
no exponent, no other digits than 0-9: ``float()`` takes all of those, and a value it reads differently from
what the writer meant is a row stored at the wrong instant.
"""

from __future__ import annotations

import re
from datetime import UTC, date, datetime, timedelta

import msgspec

EPOCH_MS_THRESHOLD = 10**11
DEFAULT_EARLIEST = datetime(1971, 1, 1, tzinfo=UTC)
DEFAULT_FUTURE_TOLERANCE = timedelta(hours=24)
MS_PER_DAY = 86_400_000
EPOCH_ORDINAL = date(1970, 1, 1).toordinal()


class TimestampBounds(msgspec.Struct, frozen=True):
    """The accepted instants, inclusive, in epoch milliseconds."""

    earliest_ms: int
    latest_ms: int

    @classmethod
    def around(
        cls,
        now: datetime,
        earliest: datetime = DEFAULT_EARLIEST,
        future_tolerance: timedelta = DEFAULT_FUTURE_TOLERANCE,
    ) -> TimestampBounds:
        return cls(to_epoch_ms(earliest), to_epoch_ms(now + future_tolerance))


class InvalidTimestamp(ValueError):
    """The value is not an accepted timestamp; the message says why and what was expected."""


def to_epoch_ms(moment: datetime) -> int:
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=UTC)
    delta = moment - datetime(1970, 1, 1, tzinfo=UTC)
    return (delta.days * 86_400 + delta.seconds) * 1000 + delta.microseconds // 1000


_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
_NAIVE_EPOCH = datetime(1970, 1, 1)
_fromisoformat = datetime.fromisoformat
_LONGEST_EPOCH_DIGITS = 18
"""Longer digit strings go the general way: far out of bounds anyway, and int() refuses over 4300 digits."""


def fast_epoch_ms(value: str) -> int | None:
    """Epoch milliseconds of the common shapes (ISO date-times, whole epoch numbers), unchecked against bounds;
    None for anything else.

    The fast path of the parser: ``parse_timestamp`` decides (and explains) every value this returns None for.
    """
    if len(value) <= _LONGEST_EPOCH_DIGITS and value.isdigit() and value.isascii():
        number = int(value)
        return number * 1000 if number < EPOCH_MS_THRESHOLD else number
    if len(value) < 19 or value[10] not in "Tt ":
        return None
    try:
        moment = _fromisoformat(value)
    except ValueError:
        return None
    # Attribute arithmetic: several times faster than dividing the timedelta by one millisecond.
    delta = moment - (_NAIVE_EPOCH if moment.tzinfo is None else _EPOCH)
    return delta.days * MS_PER_DAY + delta.seconds * 1000 + delta.microseconds // 1000


def calendar_day(value: str) -> date | None:
    """The day written exactly as ``YYYY-MM-DD``, or None (``fromisoformat`` alone also takes ``20251113`` and the
    week date ``2025-W46-4``)."""
    if len(value) != 10:
        return None
    try:
        day = date.fromisoformat(value)
    except ValueError:
        return None
    return day if day.isoformat() == value else None


def format_epoch_ms(ms: int) -> str:
    return datetime.fromtimestamp(ms / 1000, tz=UTC).isoformat().replace("+00:00", "Z")


_day_names: dict[int, str] = {}


def utc_day(ms: int) -> str:
    """The UTC calendar day of an instant, as ``YYYY-MM-DD``; cached because a file spans few days."""
    day_number = ms // MS_PER_DAY
    name = _day_names.get(day_number)
    if name is None:
        name = date.fromordinal(EPOCH_ORDINAL + day_number).isoformat()
        _day_names[day_number] = name
    return name


_EPOCH_NUMBER = re.compile(r"([0-9]+)(?:\.([0-9]+))?")
_BEYOND_ANY_BOUND = 10**18
"""Epoch milliseconds past any datetime (year 9999 is about 2.5 * 10**14): what a longer number stands for."""


def _parse_epoch(value: str) -> int | None:
    """Epoch milliseconds of an epoch number, exactly (no float rounding), or None if ``value`` is not one."""
    match = _EPOCH_NUMBER.fullmatch(value)
    if match is None:
        return None
    whole, fraction = match.group(1).lstrip("0") or "0", match.group(2) or ""
    if len(whole) > _LONGEST_EPOCH_DIGITS:
        return _BEYOND_ANY_BOUND
    number = int(whole)
    if number >= EPOCH_MS_THRESHOLD:
        return number
    return number * 1000 + int(fraction[:3].ljust(3, "0"))


def _parse_iso(value: str) -> int:
    # fromisoformat also takes a bare date: the rules ask for a date-time.
    if len(value) < 11 or ("T" not in value and "t" not in value and " " not in value):
        raise InvalidTimestamp(
            f'"{value}" is not an ISO 8601 date-time (e.g. 2025-11-13T09:30:00Z) or a Unix epoch number'
        )
    try:
        moment = datetime.fromisoformat(value)
    except ValueError as exc:
        reason = str(exc)
        if "out of range" in reason or "must be in" in reason:
            raise InvalidTimestamp(f'"{value}" is not a valid date') from None
        raise InvalidTimestamp(
            f'"{value}" is not an ISO 8601 date-time (e.g. 2025-11-13T09:30:00Z) or a Unix epoch number'
        ) from exc
    return to_epoch_ms(moment)


def parse_timestamp(value: str, bounds: TimestampBounds) -> int:
    """Epoch milliseconds of ``value`` (already trimmed), or InvalidTimestamp saying why."""
    if not value:
        raise InvalidTimestamp("is empty; expected an ISO 8601 date-time or a Unix epoch number")
    ms = _parse_epoch(value)
    if ms is None:
        ms = _parse_iso(value)
    if ms < bounds.earliest_ms:
        raise InvalidTimestamp(
            f'"{value}" is before the earliest accepted instant {format_epoch_ms(bounds.earliest_ms)}'
        )
    if ms > bounds.latest_ms:
        raise InvalidTimestamp(f'"{value}" is after the latest accepted instant {format_epoch_ms(bounds.latest_ms)}')
    return ms
