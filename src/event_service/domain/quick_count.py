"""Counting the rows of a chunk that are certainly valid with one regular expression, for callers that keep no
events: the offline ``summarize``, and a strict upload's first pass, which only validates.

Most rows of most exports share a few shapes: printable ASCII identifiers and an ISO 8601 timestamp in UTC
(``...Z``, with a fraction, ``+00:00``, or naive). For a header, one expression matches a line only when the
parser would accept it as a row, given a good event type and day: the right number of fields, none holding a
quote or over the csv field limit, a non-empty ``user_id`` within its length and without control characters, an
``event_id`` without them, and a timestamp whose hour, minute and second are in range. It captures the event type
and the day; the regular expression engine and ``collections.Counter`` do the per-row work in C. The rest is
checked once per distinct (event type, day): the type's stripped length, and that the day is written
``YYYY-MM-DD``, exists in the calendar and lies wholly within the bounds. A line the expression does not match, or
whose type or day fails those checks, is left to the exact parser, which decides it and words its errors.

The chunk must hold no quote and no NUL: then every line break ends a record, for the csv reader and for the
parser's own splitting alike, so a line is a record and lines can be decided one by one.

Where the package was built with a C compiler, the optional extension ``_common_rows`` counts first: the same
promise for printable ASCII lines (spaces around values allowed), several times faster because it makes no Python
object per row. A chunk it leaves mostly uncounted (other text, other shapes) goes on to the expression.
"""

from __future__ import annotations

import functools
import re
from collections import Counter
from datetime import date

from event_service.domain.aggregation import DailyCounts
from event_service.domain.header import Header
from event_service.domain.timestamps import EPOCH_ORDINAL, MS_PER_DAY, TimestampBounds, calendar_day, utc_day

try:
    from event_service.domain import _common_rows
except ImportError:  # built without a C compiler: the regular expression counts alone
    _common_rows = None  # type: ignore[assignment]

_VISIBLE = r"!#-+\--~"
"""Printable ASCII but space, quote and comma: none is a control character, none changes under NFC or strip()."""
_SPACES = 8
"""Spaces taken around a value: more, and the line is left to the exact parser (which strips any number)."""
_AROUND = f" {{0,{_SPACES}}}+"
_DAY = "[0-9-]{10}"
"""Ten characters that are a day as ``YYYY-MM-DD`` only if the check per distinct day says so."""
_CLOCK = r"[T ](?:[01][0-9]|2[0-3]):[0-5][0-9]:[0-5][0-9](?:\.[0-9]{1,6}+)?+(?:Z|\+00:00)?+" + _AROUND
"""The rest of a UTC date-time ``datetime.fromisoformat`` reads: hour 00-23, minute and second 00-59, a fraction
of 1 to 6 digits, ``Z``, ``+00:00`` or none (naive is UTC), then a few spaces."""
_LONGEST_TIMESTAMP = _SPACES + len("YYYY-MM-DDTHH:MM:SS.ffffff+00:00") + _SPACES


def _user_id(longest: int) -> str:
    """A field whose stripped value is 1 to ``longest`` characters of printable ASCII: a few leading spaces, a
    visible character, then at most ``longest`` - 1 more (so the stripped value cannot be longer)."""
    return f"{_AROUND}[{_VISIBLE}][ {_VISIBLE}]{{0,{longest - 1}}}+"


def _event_type(longest: int) -> str:
    """Printable ASCII, ``longest`` characters and a few spaces around at most: captured, so that its stripped
    length is checked once per distinct value."""
    return f"[ {_VISIBLE}]{{1,{longest + 2 * _SPACES}}}+"


def _no_controls(longest: int) -> str:
    """``event_id``: no control character (NFC never makes one), no lone surrogate (an invalid UTF-8 byte)."""
    return rf"[^\x00-\x1f\x7f-\x9f,\ud800-\udfff]{{0,{longest}}}+"


def _anything(longest: int) -> str:
    """Any other column: checked for nothing but encoding."""
    return rf"[^\x00\n,\ud800-\udfff]{{0,{longest}}}+"


@functools.cache
def _patterns(
    header: Header, field_limit: int, max_user_id: int, max_event_type: int
) -> tuple[re.Pattern[str], re.Pattern[str], bool] | None:
    """The expression for a line of rows that are certainly valid, the same with an alternative that matches any
    other line (so that ``findall`` gives one result a line, in order), and whether the event type and day are
    one captured string (``event_type,YYYY-MM-DD``, when the timestamp column follows the event type's).

    Every field is bounded by the csv field limit: a line whose fields are all within it reads the same through
    the csv reader, which the parser falls back to when a line is longer than that limit. None when the limit is
    below the longest ``user_id``, ``event_type`` or timestamp field the expression takes.
    """
    if field_limit < max(_SPACES + max_user_id, max_event_type + 2 * _SPACES, _LONGEST_TIMESTAMP):
        return None
    # The type and its day in one string when the columns are neighbours: a str per row instead of a tuple of two.
    joined = header.timestamp == header.event_type + 1
    columns = []
    for index in range(header.width):
        if index == header.user_id:
            columns.append(_user_id(max_user_id))
        elif index == header.event_type:
            event_type = _event_type(max_event_type)
            columns.append(f"({event_type},{_AROUND}{_DAY}){_CLOCK}" if joined else f"({event_type})")
        elif index == header.timestamp:
            if not joined:
                columns.append(f"{_AROUND}({_DAY}){_CLOCK}")
        elif index == header.event_id:
            columns.append(_no_controls(field_limit))
        else:
            columns.append(_anything(field_limit))
    row = ",".join(columns)
    return re.compile(f"(?m)^{row}\n"), re.compile(f"(?m)^(?:{row}\n|[^\n]*+\n)"), joined


class QuickCount:
    """The counts of the rows found certainly valid, and the lines (0-based) left to the exact parser."""

    __slots__ = ("counts", "leftover", "rows")

    def __init__(self, counts: DailyCounts, rows: int, leftover: list[int]) -> None:
        self.counts = counts
        self.rows = rows
        self.leftover = leftover


def quick_count(
    data: bytes, lines: int, header: Header, bounds: TimestampBounds, limits: tuple[int, int, int]
) -> QuickCount | None:
    """Count the certainly valid rows of ``data``: ``lines`` lines, each ended by LF, no CR, quote or NUL.
    ``limits``: the csv field limit and the longest ``user_id`` and ``event_type`` allowed.

    None when fewer than half the lines are in the common shapes (the exact parser is then faster on its own), or
    when the csv field limit is too low for them.
    """
    if _common_rows is not None and (counted := _count_compiled(data, lines, header, bounds, limits)) is not None:
        return counted
    max_event_type = limits[2]
    patterns = _patterns(header, *limits)
    if patterns is None:
        return None
    pattern, aligned, joined = patterns
    text = data.decode("utf-8", "surrogateescape")  # bytes that are not UTF-8 become lone surrogates, never matched
    keys: list[str] | list[tuple[str, str]] = pattern.findall(text)
    if len(keys) * 2 < lines:
        return None
    if len(keys) != lines:
        keys = aligned.findall(text)  # one entry a line, empty for the lines in other shapes
    counts: DailyCounts = {}
    rows = 0
    refused: set[str | tuple[str, str]] = set()
    other_shapes = "" if joined else ("", "")
    whole_days = _whole_days(bounds)
    days_in_bounds: dict[str, bool] = {}
    for key, count in Counter(keys).items():
        if key == other_shapes:
            refused.add(key)
            continue
        if joined:
            assert isinstance(key, str)
            comma = key.rfind(",")
            event_type, day = key[:comma], key[-10:]
        else:
            assert isinstance(key, tuple)
            event_type, day = key if header.event_type < header.timestamp else key[::-1]
        in_bounds = days_in_bounds.get(day)
        if in_bounds is None:
            in_bounds = days_in_bounds[day] = _wholly_within(day, whole_days)
        event_type = event_type.strip()
        if not in_bounds or not 0 < len(event_type) <= max_event_type:
            refused.add(key)
            continue
        rows += count
        per_type = counts.setdefault(day, {})
        per_type[event_type] = per_type.get(event_type, 0) + count
    leftover = [line for line, key in enumerate(keys) if key in refused] if refused else []
    return QuickCount(counts, rows, leftover)


def _count_compiled(
    data: bytes, lines: int, header: Header, bounds: TimestampBounds, limits: tuple[int, int, int]
) -> QuickCount | None:
    days = _whole_days(bounds)
    if days is None:
        return None
    first, last = days
    counts, rows, leftover = _common_rows.count(
        data, header.width, header.user_id, header.event_type, header.timestamp, *limits, first.encode(), last.encode()
    )
    if rows * 2 < lines:
        return None
    return QuickCount(counts, rows, leftover)


_DAYS_A_DATE_HOLDS = (date.min.toordinal() - EPOCH_ORDINAL, date.max.toordinal() - EPOCH_ORDINAL)
"""Day numbers (days since the epoch) of years 1 to 9999: as ``YYYY-MM-DD``, these compare as strings compare."""


@functools.lru_cache(maxsize=8)
def _whole_days(bounds: TimestampBounds) -> tuple[str, str] | None:
    """The first and the last day whose every instant is within ``bounds``, as ``YYYY-MM-DD``; None if none is."""
    first = max(-(-bounds.earliest_ms // MS_PER_DAY), _DAYS_A_DATE_HOLDS[0])
    last = min((bounds.latest_ms + 1) // MS_PER_DAY - 1, _DAYS_A_DATE_HOLDS[1])
    if first > last:
        return None
    return utc_day(first * MS_PER_DAY), utc_day(last * MS_PER_DAY)


def _wholly_within(day: str, whole_days: tuple[str, str] | None) -> bool:
    """Whether ``day`` is a calendar day written ``YYYY-MM-DD`` between the first and the last whole day."""
    return whole_days is not None and whole_days[0] <= day <= whole_days[1] and calendar_day(day) is not None
