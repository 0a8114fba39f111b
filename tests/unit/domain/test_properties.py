"""Property tests: random files of valid and invalid rows, cut at random sizes, against a simple reference."""

from __future__ import annotations

import unicodedata
from collections import Counter
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from event_service.domain import (
    InvalidTimestamp,
    RowError,
    TimestampBounds,
    parse_chunk,
    parse_header,
    parse_timestamp,
    utc_day,
)
from event_service.domain.timestamps import EPOCH_MS_THRESHOLD
from tests.unit.domain.support import BOUNDS, HEADER_LINE, ingest, ms

EARLIEST = BOUNDS.earliest_ms
LATEST = BOUNDS.latest_ms
FORMATS = ("iso_z", "iso_offset", "iso_naive", "iso_space", "epoch_s", "epoch_ms")

SETTINGS = settings(max_examples=120, deadline=None, database=None, suppress_health_check=[HealthCheck.too_slow])


def reference_day(instant_ms: int) -> str:
    return (datetime(1970, 1, 1, tzinfo=UTC) + timedelta(milliseconds=instant_ms)).date().isoformat()


def format_timestamp(instant_ms: int, fmt: str, offset_minutes: int) -> str:
    """``instant_ms`` in one of the accepted forms; epoch numbers only where they are unambiguous (seconds below
    10**11, milliseconds from 10**11 up, neither negative), ISO with ``Z`` otherwise."""
    moment = datetime(1970, 1, 1, tzinfo=UTC) + timedelta(milliseconds=instant_ms)
    fraction = f".{instant_ms % 1000:03d}" if instant_ms % 1000 else ""
    if fmt == "epoch_ms" and instant_ms >= EPOCH_MS_THRESHOLD:
        return str(instant_ms)
    if fmt == "epoch_s" and 0 <= instant_ms < EPOCH_MS_THRESHOLD * 1000:
        return f"{instant_ms // 1000}{fraction}"
    if fmt == "iso_offset":
        local = moment + timedelta(minutes=offset_minutes)
        sign = "-" if offset_minutes < 0 else "+"
        hours, minutes = divmod(abs(offset_minutes), 60)
        return f"{local:%Y-%m-%dT%H:%M:%S}{fraction}{sign}{hours:02d}:{minutes:02d}"
    if fmt == "iso_naive":
        return f"{moment:%Y-%m-%dT%H:%M:%S}{fraction}"
    if fmt == "iso_space":
        return f"{moment:%Y-%m-%d %H:%M:%S}{fraction}Z"
    return f"{moment:%Y-%m-%dT%H:%M:%S}{fraction}Z"


instants = st.one_of(
    st.integers(EARLIEST, LATEST),
    st.sampled_from([EARLIEST, LATEST, ms(2024, 2, 29, 23, 59, 59, 999), ms(2024, 3, 1), EPOCH_MS_THRESHOLD]),
)
offsets = st.integers(-14 * 60 + 1, 14 * 60 - 1)


@SETTINGS
@given(instant=instants, fmt=st.sampled_from(FORMATS), offset=offsets)
def test_every_accepted_form_reads_back_the_instant(instant: int, fmt: str, offset: int) -> None:
    value = format_timestamp(instant, fmt, offset)
    assert parse_timestamp(value, BOUNDS) == instant
    assert utc_day(instant) == reference_day(instant)


@SETTINGS
@given(instant=st.integers(ms(1000, 1, 2), ms(9998, 1, 1)), fmt=st.sampled_from(FORMATS), offset=offsets)
def test_bounds_are_inclusive_and_exact(instant: int, fmt: str, offset: int) -> None:
    bounds = TimestampBounds(earliest_ms=ms(1980, 1, 1), latest_ms=ms(2030, 1, 1))
    value = format_timestamp(instant, fmt, offset)
    if bounds.earliest_ms <= instant <= bounds.latest_ms:
        assert parse_timestamp(value, bounds) == instant
    elif instant < bounds.earliest_ms:
        with pytest.raises(InvalidTimestamp, match="is before the earliest accepted instant 1980-01-01T00:00:00Z"):
            parse_timestamp(value, bounds)
    else:
        with pytest.raises(InvalidTimestamp, match="is after the latest accepted instant 2030-01-01T00:00:00Z"):
            parse_timestamp(value, bounds)


timestamp_like = st.one_of(
    st.text(alphabet=st.characters(blacklist_categories=("Cs",)), max_size=30),
    st.from_regex(
        r"\A ?[0-9]{4}-[0-9]{2}-[0-9]{2}[Tt ][0-9]{2}(:[0-9]{2}(:[0-9]{2}(\.[0-9]{1,9})?)?)?"
        r"( ?Z|z|[+-][0-9]{2}(:?[0-9]{2})?)? ?\Z"
    ),
    st.from_regex(r"\A[+-]?[0-9]{1,16}(\.[0-9]{0,4})?(e[0-9])?\Z"),
    st.builds(format_timestamp, instants, st.sampled_from(FORMATS), offsets),
)


@SETTINGS
@given(value=timestamp_like)
def test_rows_accept_exactly_what_parse_timestamp_accepts(value: str) -> None:
    """However parse_chunk reads a timestamp, it agrees with parse_timestamp on the trimmed value."""
    header = parse_header(HEADER_LINE)
    cell = b'"' + value.encode().replace(b'"', b'""') + b'"'
    parsed = parse_chunk(b"u1,click," + cell + b"\n", header, BOUNDS)
    try:
        expected: int | str = parse_timestamp(value.strip(), BOUNDS)
    except InvalidTimestamp as exc:
        expected = f"timestamp: {exc}"
    if isinstance(expected, str):
        assert parsed.errors == [RowError(1, "timestamp", expected)]
        assert (parsed.rows, parsed.rejected, parsed.events, parsed.counts) == (1, 1, [], {})
    else:
        assert parsed.errors == []
        assert [event.timestamp_ms for event in parsed.events] == [expected]
        assert parsed.counts == {utc_day(expected): {"click": 1}}


# --- whole files ------------------------------------------------------------------------------------------------

BAD_TIMESTAMPS = ["garbage", "2024-02-30T12:00:00Z", "1960-01-01T00:00:00Z", "2030-01-01T00:00:00Z", "", "  "]
EVENT_TYPES = ["click", "view", "Click", "buy now", "a,b", 'say "hi"', "multi\u2028line", "\u65e5\u672c", "cafe\u0301"]

text = st.text(
    alphabet=st.characters(blacklist_categories=("Cs",), blacklist_characters="\x00"),
    max_size=12,
)
user_ids = st.text(alphabet=st.characters(blacklist_categories=("Cs", "Cc")), max_size=12).filter(
    lambda value: value.strip() != ""
)


@dataclass
class Row:
    fields: dict[str, bytes] | None  # None: a blank line
    valid: bool = True
    error_column: str | None = None
    user_id: str = ""
    event_type: str = ""
    instant: int = 0
    width: int | None = None  # a wrong field count


@st.composite
def valid_rows(draw: st.DrawFn) -> Row:
    user_id = draw(user_ids)
    event_type = draw(st.sampled_from(EVENT_TYPES))
    padding = draw(st.sampled_from(["", " ", "  "]))
    instant = draw(instants)
    timestamp = format_timestamp(instant, draw(st.sampled_from(FORMATS)), draw(offsets))
    fields = {
        "user_id": user_id.encode(),
        "event_type": (padding + event_type + padding).encode(),
        "timestamp": (padding + timestamp).encode(),
        "note": draw(text).encode(),
    }
    return Row(
        fields,
        user_id=unicodedata.normalize("NFC", user_id.strip()),
        event_type=unicodedata.normalize("NFC", event_type),
        instant=instant,
    )


@st.composite
def invalid_rows(draw: st.DrawFn) -> Row:
    row = draw(valid_rows())
    assert row.fields is not None
    kind = draw(st.sampled_from(["user_empty", "user_long", "type_empty", "type_long", "timestamp", "width", "utf8"]))
    row.valid = False
    if kind == "user_empty":
        row.fields["user_id"] = draw(st.sampled_from([b"", b" ", b"\t "]))
        row.error_column = "user_id"
    elif kind == "user_long":
        row.fields["user_id"] = b"u" * draw(st.integers(257, 300))
        row.error_column = "user_id"
    elif kind == "type_empty":
        row.fields["event_type"] = draw(st.sampled_from([b"", b"   "]))
        row.error_column = "event_type"
    elif kind == "type_long":
        row.fields["event_type"] = b"t" * draw(st.integers(129, 140))
        row.error_column = "event_type"
    elif kind == "timestamp":
        row.fields["timestamp"] = draw(st.sampled_from(BAD_TIMESTAMPS)).encode()
        row.error_column = "timestamp"
    elif kind == "width":
        row.width = draw(st.sampled_from([1, 2, 3, 5, 6]))
    else:
        row.fields["user_id"] = draw(st.sampled_from([b"caf\xe9", b"\xff", b"ok\xc3", b"\xed\xa0\x80"]))
        row.error_column = "user_id"
    return row


def quote(value: bytes, force: bool) -> bytes:
    if force or any(c in value for c in b',"\r\n') or value != value.strip():
        return b'"' + value.replace(b'"', b'""') + b'"'
    return value


@st.composite
def files(draw: st.DrawFn) -> tuple[bytes, list[Row]]:
    columns = draw(st.permutations(["user_id", "event_type", "timestamp", "note"]))
    header_names = [draw(st.sampled_from([name, name.upper(), f" {name} ", name.title()])) for name in columns]
    rows = draw(
        st.lists(
            st.one_of(valid_rows(), invalid_rows(), st.just(Row(None))),
            max_size=30,
        )
    )
    newline = draw(st.sampled_from([b"\n", b"\r\n"]))
    bom = draw(st.sampled_from([b"", b"\xef\xbb\xbf"]))
    force_quotes = draw(st.booleans())
    lines = [b",".join(quote(name.encode(), force_quotes) for name in header_names)]
    for row in rows:
        if row.fields is None:
            lines.append(draw(st.sampled_from([b"", b" ", b"\t"])))
        elif row.width is not None:
            lines.append(b",".join([b"x"] * row.width) if row.width != 4 else b"x")
        else:
            lines.append(b",".join(quote(row.fields[column], force_quotes) for column in columns))
    data = bom + newline.join(lines) + (newline if draw(st.booleans()) else b"")
    return data, rows


@SETTINGS
@given(
    file=files(),
    chunk_bytes=st.one_of(st.integers(1, 300), st.just(1 << 20)),
    block_size=st.one_of(st.none(), st.integers(1, 64)),
)
def test_random_files_in_random_chunks_match_the_reference(
    file: tuple[bytes, list[Row]], chunk_bytes: int, block_size: int | None
) -> None:
    data, rows = file
    outcome = ingest(data, chunk_bytes=chunk_bytes, block_size=block_size)
    report = outcome.report
    assert b"".join(outcome.chunks) == data

    data_rows = [row for row in rows if row.fields is not None]
    valid = [row for row in data_rows if row.valid]
    expected_errors = [(number, row.error_column) for number, row in enumerate(rows, start=2) if not row.valid]

    assert report.rows_total == len(data_rows)
    assert report.rows_accepted + report.rows_rejected == report.rows_total
    assert report.rows_accepted == len(valid)
    assert report.rows_rejected == len(data_rows) - len(valid)
    assert report.errors_total == len(expected_errors)
    assert [(error.row, error.column) for error in outcome.errors] == expected_errors
    assert report.first_errors == outcome.errors[:100]

    assert [(e.user_id, e.event_type, e.timestamp_ms) for e in outcome.events] == [
        (row.user_id, row.event_type, row.instant) for row in valid
    ]
    reference = Counter((reference_day(row.instant), row.event_type) for row in valid)
    actual = Counter(
        {(day, event_type): n for day, per_type in report.counts.items() for event_type, n in per_type.items()}
    )
    assert actual == reference
