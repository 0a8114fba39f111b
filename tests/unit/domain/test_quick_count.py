"""Counting without events (``keep_events=False``) gives exactly what the exact parser gives.

Without events, ``parse_chunk`` counts the rows in the common shapes quickly and leaves the other lines to the
exact parser (``domain/quick_count.py``): with the compiled extension ``_common_rows`` where it was built, then
with one regular expression. Each of the two is tested alone (the other switched off), against the exact parser:
the differential test below feeds random chunks to both ways, the exact one being ``keep_events=True``, and
requires the same records, rows, rejections, errors (row, column, message) and counts. The chunks are built
mostly of rows that are valid or nearly so, in every timestamp shape the fast ways take and in many they must leave
alone, around the edges of the bounds and of the calendar, with every line ending, blank lines, quotes, NUL, BOMs,
invalid UTF-8, control characters and fields over the csv field limit.
"""

from __future__ import annotations

import csv
import itertools
import shutil
import sysconfig
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st

from event_service.domain import Header, ParsedChunk, TimestampBounds, parse_chunk, parse_header
from event_service.domain import events as events_module
from event_service.domain import quick_count as quick_count_module
from event_service.domain.events import MAX_EVENT_TYPE_LENGTH, MAX_USER_ID_LENGTH
from event_service.domain.quick_count import quick_count
from tests.unit.domain.shapes import COMMON, RARE, headers, line, row, row_values
from tests.unit.domain.support import BOUNDS, ms

FIELD_LIMIT = (csv.field_size_limit(), MAX_USER_ID_LENGTH, MAX_EVENT_TYPE_LENGTH)

LINE_ENDINGS = st.sampled_from(["\n", "\n", "\r\n", "\r"])
EDGE_BOUNDS = [
    BOUNDS,
    # Bounds inside a day: its rows are in bounds or not by their clock.
    TimestampBounds(BOUNDS.earliest_ms, ms(2024, 3, 10, 12, 30, 45)),
    TimestampBounds(ms(2024, 3, 10, 12, 30, 45, 1), BOUNDS.latest_ms),
    # Bounds at a day's first and last millisecond, and one millisecond inside them.
    TimestampBounds(ms(2024, 3, 10), ms(2024, 3, 10, 23, 59, 59, 999)),
    TimestampBounds(ms(2024, 3, 10, 0, 0, 0, 1), BOUNDS.latest_ms),
    TimestampBounds(BOUNDS.earliest_ms, ms(2024, 3, 10, 23, 59, 59, 998)),
]


@st.composite
def chunks(draw: st.DrawFn) -> tuple[str, bytes]:
    """A header line and a chunk of records for it."""
    columns = draw(headers())
    lines = []
    for _ in range(draw(st.integers(0, 30))):
        kind = draw(st.integers(0, 19))
        if kind == 0:
            lines.append(draw(st.sampled_from(["", " ", "\t"])))
            continue
        if kind == 1:
            width = draw(st.integers(1, len(columns) + 1))
            lines.append(",".join("x" for _ in range(width)))
            continue
        lines.append(line(columns, draw(row_values())))
    text = "".join(line + draw(LINE_ENDINGS) for line in lines)
    if draw(st.booleans()):
        text = text.rstrip("\r\n")
    if draw(st.integers(0, 19)) == 0:
        text = '"' + text  # a quote anywhere: the chunk is read by the csv reader
    return ",".join(columns), text.encode("utf-8", "surrogateescape")


mostly_limit = st.integers(0, 9).map(lambda n: {0: 40, 1: 270}.get(n, 131072))
"""The csv module's field limit: its default mostly, else too low for the expression, or just high enough."""


@contextmanager
def field_limit(limit: int) -> Iterator[None]:
    previous = csv.field_size_limit(limit)
    try:
        yield
    finally:
        csv.field_size_limit(previous)


def without_events(parsed: ParsedChunk) -> tuple[object, ...]:
    return parsed.records, parsed.rows, parsed.rejected, parsed.errors, parsed.counts


COUNTERS = ["compiled", "expression"]


@contextmanager
def counting_with(counter: str) -> Iterator[None]:
    """Only ``counter`` counts quickly: what it leaves goes straight to the exact parser."""
    if counter == "compiled" and quick_count_module._common_rows is None:
        pytest.skip("the C extension was not built here (no C compiler or no Python headers)")
    with pytest.MonkeyPatch.context() as patch:
        if counter == "compiled":
            patch.setattr(quick_count_module, "_patterns", lambda *_: None)
        else:
            patch.setattr(quick_count_module, "_common_rows", None)
        yield


def test_the_extension_is_built_wherever_it_can_be() -> None:
    """It is optional so that an install without a compiler works; where one and the headers are at hand (as in
    development and CI), a build that lost it would make ``summarize`` several times slower without failing."""
    compiler = (sysconfig.get_config_var("CC") or "cc").split()[0]  # what setuptools compiles with
    if shutil.which(compiler) is None or not (Path(sysconfig.get_paths()["include"]) / "Python.h").exists():
        pytest.skip("no C compiler or no Python headers here: the extension is not expected")
    assert quick_count_module._common_rows is not None


@pytest.mark.parametrize("counter", COUNTERS)
def test_rows_in_the_common_shapes_never_reach_the_exact_parser(counter: str, monkeypatch: pytest.MonkeyPatch) -> None:
    """The differential tests would pass if nothing were counted quickly (both sides would be the exact parser):
    this one fails if a chunk of common rows is not counted by the fast way alone."""

    def exact(*_: object) -> None:
        raise AssertionError("the exact parser ran")

    header = parse_header(b"user_id,event_type,timestamp")
    data = b"".join(b"u%d,click,2025-03-10T12:30:%02dZ\n" % (n, n % 60) for n in range(100))
    with counting_with(counter):
        monkeypatch.setattr(events_module, "_parse", exact)
        parsed = parse_chunk(data, header, BOUNDS, keep_events=False)
    assert (parsed.records, parsed.rows, parsed.counts) == (100, 100, {"2025-03-10": {"click": 100}})


@pytest.mark.parametrize("counter", COUNTERS)
@settings(max_examples=400, deadline=None, database=None, suppress_health_check=[HealthCheck.too_slow])
@given(chunk=chunks(), bounds=st.sampled_from([BOUNDS, BOUNDS, BOUNDS, *EDGE_BOUNDS]), limit=mostly_limit)
@example(chunk=("user_id,event_type,timestamp", b"u1,click,2024-03-10T12:30:45Z\n"), bounds=BOUNDS, limit=131072)
@example(chunk=("user_id,event_type,timestamp", b"u1,click,2024-03-10T12:30:45Z\r"), bounds=BOUNDS, limit=20)
@example(
    chunk=("timestamp,user_id,event_type", b"2024-03-10 12:30:45,u1,click\r\n\r\n2024-03-10T12:30:46Z,u2, buy "),
    bounds=EDGE_BOUNDS[1],
    limit=131072,
)
def test_counting_without_events_agrees_with_the_exact_parser(
    counter: str, chunk: tuple[str, bytes], bounds: TimestampBounds, limit: int
) -> None:
    header_line, data = chunk
    with field_limit(limit), counting_with(counter):
        header = parse_header(header_line.encode())
        exact = parse_chunk(data, header, bounds, keep_events=True)
        counted = parse_chunk(data, header, bounds, keep_events=False)
    assert counted.events == []
    assert without_events(counted) == without_events(exact)


HEADER_SHAPES = [
    ["user_id", "event_type", "timestamp"],
    ["timestamp", "event_id", "user_id", "note", "event_type"],
    ["event_type", "event_id", "timestamp", "user_id", "note"],
]
"""The type and day captured as one string, as two in the order of the columns, and as two the other way."""
FIRST = {name: values[0] for name, values in COMMON.items()}


@pytest.mark.parametrize("counter", COUNTERS)
@pytest.mark.parametrize("columns", HEADER_SHAPES, ids=",".join)
@pytest.mark.parametrize("bounds", EDGE_BOUNDS)
def test_every_value_alone_in_a_valid_row_is_counted_as_the_exact_parser_counts_it(
    counter: str, columns: list[str], bounds: TimestampBounds
) -> None:
    """Each common and each rare value of every part, in a row otherwise of the first common values, between two
    such rows: the chunk is counted quickly (two of its three lines are common) and must agree with the exact
    parser, with the default field limit, one just high enough for the expression and one just too low."""
    header = parse_header(",".join(columns).encode())
    plain = line(columns, row(FIRST))
    variants = [row({**FIRST, name: value}) for name in COMMON for value in (*COMMON[name], *RARE[name])]
    variants += [row(FIRST, timestamp) for timestamp in RARE["timestamp"]]
    for limit in (csv.field_size_limit(), MAX_USER_ID_LENGTH + 8, MAX_USER_ID_LENGTH + 2):
        with field_limit(limit), counting_with(counter):
            for values in variants:
                for ending in ("\n", "\r\n", "\r"):
                    data = ending.join([plain, line(columns, values), plain, ""]).encode("utf-8", "surrogateescape")
                    exact = parse_chunk(data, header, bounds, keep_events=True)
                    counted = parse_chunk(data, header, bounds, keep_events=False)
                    assert without_events(counted) == without_events(exact), (limit, data)


def header_of(line: str) -> Header:
    return parse_header(line.encode())


SHAPES = [
    "2025-03-10T12:30:45Z",
    "2025-03-10T12:30:45.250Z",
    "2025-03-10T12:30:45.123456Z",
    "2025-03-10T12:30:45+00:00",
    "2025-03-10 12:30:45",
    "2025-03-10T12:30:45",
    "2025-03-10 12:30:45Z",
    " 2025-03-10T23:59:59.9+00:00 ",
]


@pytest.mark.parametrize("counter", COUNTERS)
@pytest.mark.parametrize("columns", ["user_id,event_type,timestamp", "timestamp,event_id,user_id,note,event_type"])
def test_the_common_shapes_are_counted_without_the_exact_parser(counter: str, columns: str) -> None:
    header = header_of(columns)
    values = {"user_id": "user 42", "event_type": " page view ", "event_id": "e-1", "note": "a note"}
    lines = [",".join(values.get(name, stamp) for name in columns.split(",")) for stamp in SHAPES]
    text = "".join(line + "\n" for line in lines)
    with counting_with(counter):
        counted = quick_count(text.encode(), len(lines), header, BOUNDS, FIELD_LIMIT)
    assert counted is not None
    assert (counted.rows, counted.leftover) == (len(SHAPES), [])
    assert counted.counts == {"2025-03-10": {"page view": len(SHAPES)}}


@pytest.mark.parametrize("counter", COUNTERS)
def test_lines_in_other_shapes_or_out_of_bounds_are_left_to_the_exact_parser(counter: str) -> None:
    header = header_of("user_id,event_type,timestamp")
    lines = [
        "u1,click,2025-03-10T12:30:45Z",
        "u1,click,1741609845",  # an epoch number
        "u1,click,2025-03-10T12:30:45+01:00",  # another offset can change the day
        "u1,click,2025-06-02T12:00:00Z",  # the day the latest instant falls in
        "u1,click,2025-02-29T12:00:00Z",  # not a day of 2025
        *["u1,click,2025-03-10T12:30:45Z"] * 4,  # most lines are counted: else the whole chunk is left
    ]
    text = "".join(line + "\n" for line in lines)
    with counting_with(counter):
        counted = quick_count(text.encode(), len(lines), header, BOUNDS, FIELD_LIMIT)
    assert counted is not None
    assert (counted.rows, counted.leftover) == (5, [1, 2, 3, 4])


@pytest.mark.parametrize("counter", COUNTERS)
def test_only_days_of_the_calendar_are_counted(counter: str) -> None:
    """February 29 of 1900 and 2100 does not exist (of 2000 it does), nor do months 0 and 13 or April 31: rows on
    them are the exact parser's to refuse."""
    header = header_of("user_id,event_type,timestamp")
    bounds = TimestampBounds(ms(1899, 1, 1), ms(2101, 1, 1))
    days = ["1900-02-29", "2000-02-29", "2100-02-29", "2023-02-29", "2024-02-29", "2024-04-31", "2024-13-01"]
    days += ["2024-00-10", "2024-01-00", "2024-12-31", *["2024-03-10"] * 20]  # mostly counted, else all left over
    data = "".join(f"u1,click,{day}T12:00:00Z\n" for day in days).encode()
    exact = parse_chunk(data, header, bounds, keep_events=True)
    with counting_with(counter):
        counted = parse_chunk(data, header, bounds, keep_events=False)
    assert without_events(counted) == without_events(exact)
    assert exact.counts == {
        day: {"click": days.count(day)} for day in ["2000-02-29", "2024-02-29", "2024-12-31", "2024-03-10"]
    }


def test_text_beyond_ascii_is_counted_by_the_expression_when_the_extension_leaves_it() -> None:
    """The extension counts printable ASCII lines only; a chunk of other text is still counted quickly."""
    header = header_of("user_id,event_type,note,timestamp")
    lines = ["u1,click,\u00e9t\u00e9,2025-03-10T12:30:45Z", "u2,click,\u00e9t\u00e9,2025-03-10T12:30:46Z"]
    text = "".join(line + "\n" for line in lines)
    with counting_with("compiled"):
        assert quick_count(text.encode(), len(lines), header, BOUNDS, FIELD_LIMIT) is None
    counted = quick_count(text.encode(), len(lines), header, BOUNDS, FIELD_LIMIT)
    assert counted is not None
    assert (counted.rows, counted.leftover, counted.counts) == (2, [], {"2025-03-10": {"click": 2}})


@pytest.mark.parametrize("counter", COUNTERS)
def test_a_chunk_mostly_in_other_shapes_is_left_whole_to_the_exact_parser(counter: str) -> None:
    header = header_of("user_id,event_type,timestamp")
    lines = ["u1,click,1741609845", "u1,click,1741609846", "u1,click,2025-03-10T12:30:45Z"]
    text = "".join(line + "\n" for line in lines)
    with counting_with(counter):
        assert quick_count(text.encode(), len(lines), header, BOUNDS, FIELD_LIMIT) is None


@pytest.mark.parametrize("counter", COUNTERS)
def test_errors_of_the_lines_left_over_keep_their_row_numbers(counter: str) -> None:
    header = header_of("user_id,event_type,timestamp")
    rows = itertools.cycle(["u1,click,2025-03-10T12:30:45Z\r\n", ",click,2025-03-10T12:30:45Z\r\n", "\r\n"])
    data = "".join(itertools.islice(rows, 9)).encode()
    with counting_with(counter):
        parsed = parse_chunk(data, header, BOUNDS, keep_events=False)
    assert (parsed.records, parsed.rows, parsed.rejected) == (9, 6, 3)
    assert [(error.row, error.column) for error in parsed.errors] == [(2, "user_id"), (5, "user_id"), (8, "user_id")]
    assert parsed.counts == {"2025-03-10": {"click": 3}}
