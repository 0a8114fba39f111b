"""Differential test of the whole CSV path against a small reference written here.

The reference reads the whole file at once: ``csv.reader`` over the decoded text, then the documented rules
(header, field count, encoding, user_id / event_type / timestamp / event_id). The real path reads the same bytes
as uploads do: cut into record chunks (tiny chunk sizes force many cuts), header split off, chunks parsed by the
InlinePool through ``validate_csv``. Random files mix every line ending, quoting that is and is not RFC 4180,
stray quotes, BOMs, blank lines, invalid UTF-8, control characters and both Unicode forms of the same text.
Both must give the same counts, the same errors (row, column, message), the same events and the same metrics.
"""

from __future__ import annotations

import asyncio
import csv
import io
import re
import unicodedata
from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from datetime import UTC, datetime

from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st

from event_service.adapters.compute import InlinePool
from event_service.application.csv_stream import read_chunks, validate_csv
from event_service.domain import DomainError, Event, IngestReport, ParsedChunk, RowError
from tests.unit.domain.shapes import headers, line, row_values
from tests.unit.domain.support import BOUNDS

# --- the reference ----------------------------------------------------------------------------------------------

REQUIRED = ("user_id", "event_type", "timestamp")
KNOWN = (*REQUIRED, "event_id")
NOT_A_TIMESTAMP = "is not an ISO 8601 date-time (e.g. 2025-11-13T09:30:00Z) or a Unix epoch number"
CONTROL = re.compile("[\x00-\x1f\x7f-\x9f]")


@dataclass
class Result:
    """What a whole file gives: the refusal of the whole file, or its rows."""

    refused: str | None = None
    rows_total: int = 0
    rows_rejected: int = 0
    errors: list[RowError] = field(default_factory=list)
    events: list[Event] = field(default_factory=list)
    counts: dict[str, dict[str, int]] = field(default_factory=dict)


def _iso(ms: int) -> str:
    return datetime.fromtimestamp(ms // 1000, tz=UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def reference_timestamp(value: str) -> int | str:
    """Epoch milliseconds, or the reason the value is refused."""
    if not value:
        return "is empty; expected an ISO 8601 date-time or a Unix epoch number"
    if number := re.fullmatch(r"([0-9]+)(?:\.([0-9]+))?", value):
        whole = int(number.group(1))
        ms = whole if whole >= 10**11 else whole * 1000 + int((number.group(2) or "")[:3].ljust(3, "0"))
    else:
        if len(value) < 11 or not {"T", "t", " "} & set(value):
            return f'"{value}" {NOT_A_TIMESTAMP}'
        try:
            moment = datetime.fromisoformat(value)
        except ValueError as exc:
            if "out of range" in str(exc) or "must be in" in str(exc):
                return f'"{value}" is not a valid date'
            return f'"{value}" {NOT_A_TIMESTAMP}'
        moment = moment if moment.tzinfo else moment.replace(tzinfo=UTC)
        ms = (moment - datetime(1970, 1, 1, tzinfo=UTC)) // _MILLISECOND
    if ms < BOUNDS.earliest_ms:
        return f'"{value}" is before the earliest accepted instant {_iso(BOUNDS.earliest_ms)}'
    if ms > BOUNDS.latest_ms:
        return f'"{value}" is after the latest accepted instant {_iso(BOUNDS.latest_ms)}'
    return ms


_MILLISECOND = datetime(1970, 1, 1, 0, 0, 0, 1000) - datetime(1970, 1, 1)


def _text_errors(row: int, column: str, value: str, limit: int | None) -> list[RowError]:
    if limit is not None and not value:
        return [RowError(row, column, f"{column}: is empty")]
    if limit is not None and len(value) > limit:
        return [RowError(row, column, f"{column}: is {len(value)} characters long; at most {limit} are allowed")]
    if found := CONTROL.search(value):
        message = (
            f"{column}: contains the control character U+{ord(found.group()):04X}; control characters are not allowed"
        )
        return [RowError(row, column, message)]
    return []


def reference(data: bytes) -> Result:
    text = data.decode("utf-8", "surrogateescape").removeprefix("\ufeff")
    records: list[list[str] | csv.Error] = []
    reader = csv.reader(io.StringIO(text, newline=""))
    while True:
        try:
            records.append(next(reader))
        except StopIteration:
            break
        except csv.Error as exc:
            records.append(exc)
    header = records[0] if records else []
    assert not isinstance(header, csv.Error)
    if any("\udc80" <= c <= "\udcff" for name in header for c in name):
        return Result(refused="header is not valid UTF-8")
    names = [name.strip().lower() for name in header]
    at = {name: names.index(name) for name in KNOWN if name in names}
    if missing := [name for name in REQUIRED if name not in at]:
        found = ", ".join(f'"{name}"' for name in names if name) or "no column names"
        plural = "s" if len(missing) > 1 else ""
        return Result(refused=f"header lacks required column{plural} {', '.join(missing)}; found {found}")
    extras = {
        i: header[i].strip() for i, name in enumerate(names) if name and name not in KNOWN and names.index(name) == i
    }
    column_of = {i: name for name, i in at.items()} | extras
    result = Result()
    for row, fields in enumerate(records[1:], start=2):
        if isinstance(fields, csv.Error):
            result.rows_total += 1
            result.rows_rejected += 1
            result.errors.append(RowError(row, None, f"record is not valid CSV: {fields}"))
            continue
        if not fields or (len(fields) == 1 and not fields[0].strip()):
            continue
        result.rows_total += 1
        errors: list[RowError] = []
        if len(fields) != len(header):
            errors = [RowError(row, None, f"record has {len(fields)} fields; the header has {len(header)}")]
        elif bad := [i for i, value in enumerate(fields) if any("\udc80" <= c <= "\udcff" for c in value)]:
            column = column_of.get(bad[0], f"column {bad[0] + 1}")
            errors = [RowError(row, column, f"{column}: is not valid UTF-8")]
        else:
            user_id, event_type, stamp = (fields[at[name]].strip() for name in REQUIRED)
            event_id = fields[at["event_id"]].strip() if "event_id" in at else ""
            user_id, event_type, event_id = (unicodedata.normalize("NFC", v) for v in (user_id, event_type, event_id))
            ms = reference_timestamp(stamp)
            errors = [*_text_errors(row, "user_id", user_id, 256), *_text_errors(row, "event_type", event_type, 128)]
            if isinstance(ms, str):
                errors.append(RowError(row, "timestamp", f"timestamp: {ms}"))
            errors += _text_errors(row, "event_id", event_id, None)
        if errors:
            result.rows_rejected += 1
            result.errors += errors
            continue
        assert isinstance(ms, int)
        day = datetime.fromtimestamp(ms // 1000, tz=UTC).date().isoformat()
        properties = {name: fields[i].strip() for i, name in extras.items()} or None
        result.events.append(Event(user_id, event_type, ms, day, event_id or None, properties))
        per_type = result.counts.setdefault(day, {})
        per_type[event_type] = per_type.get(event_type, 0) + 1
    if not result.rows_total:
        return Result(refused="the file has a header but no data rows")
    return result


# --- the real path ----------------------------------------------------------------------------------------------


class Trickle(io.BytesIO):
    """A file that hands out at most ``size`` bytes a read, as a slow network stream would."""

    def __init__(self, data: bytes, size: int) -> None:
        super().__init__(data)
        self.size = size

    def read(self, size: int | None = -1) -> bytes:
        return super().read(self.size if size is None or size < 0 else min(size, self.size))


def through_the_service(data: bytes, chunk_bytes: int, block_bytes: int, *, keep_events: bool = True) -> Result:
    """What uploads do (``keep_events``), or what ``summarize`` does: counts and errors, no events."""

    async def run() -> Result:
        result = Result()

        async def keep(parsed: ParsedChunk, errors: list[RowError]) -> None:
            result.events += parsed.events
            result.errors += errors

        chunks: AsyncIterator[bytes] = read_chunks(Trickle(data, block_bytes), False, len(data) + 1, chunk_bytes)
        try:
            report = await validate_csv(chunks, InlinePool(), BOUNDS, IngestReport(), keep, keep_events=keep_events)
        except DomainError as exc:
            return Result(refused=str(exc))
        result.rows_total, result.rows_rejected, result.counts = report.rows_total, report.rows_rejected, report.counts
        assert report.errors_total == len(result.errors)
        assert report.first_errors == result.errors[:100]
        return result

    return asyncio.run(run())


# --- random files -----------------------------------------------------------------------------------------------

CAFE = ["caf\u00e9", "cafe\u0301"]
VALUES = st.sampled_from(
    [
        "u1",
        "click",
        "page view",
        *CAFE,
        "\u65e5\u672c",
        "",
        " ",
        "a,b",
        'say "hi"',
        "5'10\"",
        '"',
        '""',
        "x\ny",
        "x\r\ny",
        "x\ry",
        "\t",
        "tab\there",
        "bell\x07",
        "nel\x85",
        "\udcff",  # an invalid UTF-8 byte
        "ok\udcc3",
        "2024-03-10T12:00:00Z",
        " 2024-03-10 12:00:00.250+02:00 ",
        "2024-03-10T12:00:00",
        "1710072000",
        "1710072000.5",
        "1710072000500",
        "1_710_072_000",
        "1.71e9",
        "\u0661\u0667\u0661\u0660\u0660\u0667\u0662\u0660\u0660\u0660",
        "2024-02-30T12:00:00Z",
        "1960-01-01T00:00:00Z",
        "2030-01-01T00:00:00Z",
        "soon",
    ]
)
NEWLINES = st.sampled_from(["\n", "\r\n", "\r"])


@st.composite
def fields_text(draw: st.DrawFn, values: list[str], quoting: bool = True) -> str:
    """Fields quoted as RFC 4180 says, or written raw (stray quotes and line breaks make other records of them)."""
    written = []
    for value in values:
        how = draw(st.sampled_from(["raw", "quoted", "quoted"])) if quoting else "raw"
        written.append(value if how == "raw" else '"' + value.replace('"', '""') + '"')
    return ",".join(written)


@st.composite
def files(draw: st.DrawFn) -> bytes:
    # A file that quotes nothing is counted quickly without events (domain/quick_count.py): half the files.
    quoting = draw(st.booleans())
    optional = draw(st.sampled_from([[], ["event_id"], ["note"], ["event_id", "note"]]))
    columns = draw(st.permutations([*REQUIRED, *optional]))
    if draw(st.integers(0, 19)) == 0:
        columns.pop()  # a required column may be missing
    header = [draw(st.sampled_from([name, name.upper(), f" {name} "])) for name in columns]
    if draw(st.integers(0, 9)) == 0:
        header.append(draw(st.sampled_from(["user_id", "Note", "", "caf\udce9"])))
    lines = [draw(fields_text(header, quoting))]
    for _ in range(draw(st.integers(0, 25))):
        kind = draw(st.integers(0, 9))
        if kind == 0:
            lines.append(draw(st.sampled_from(["", " ", "\t"])))  # a blank line
            continue
        width = len(header) if kind > 1 else draw(st.integers(1, len(header) + 1))
        row = [draw(VALUES) for _ in range(width)]
        if kind > 3:  # mostly plausible rows: a user, a type and a timestamp where the header puts them
            for index, name in enumerate(columns[:width]):
                if name == "timestamp":
                    row[index] = draw(
                        st.sampled_from(
                            ["2024-03-10T12:00:00Z", "1710072000", "2024-03-11 01:02:03", "2024-03-11T23:59:59.5+00:00"]
                        )
                    )
                elif name in ("user_id", "event_type") and draw(st.booleans()):
                    row[index] = draw(st.sampled_from(["u1", "click", *CAFE]))
        lines.append(draw(fields_text(row, quoting)))
    text = "".join(line + draw(NEWLINES) for line in lines)
    if draw(st.booleans()):
        text = text.rstrip("\r\n")
    bom = "\ufeff" if draw(st.booleans()) else ""
    return (bom + text).encode("utf-8", "surrogateescape")


SETTINGS = settings(max_examples=150, deadline=None, database=None, suppress_health_check=[HealthCheck.too_slow])


@SETTINGS
@given(
    data=files(),
    chunk_bytes=st.one_of(st.integers(1, 64), st.just(1 << 20)),
    block_bytes=st.one_of(st.integers(1, 16), st.just(1 << 18)),
)
@example(data=b"user_id,event_type,timestamp\ru1,a,1710072000\ru2,b,1710072000\r", chunk_bytes=1, block_bytes=1)
@example(
    data=b'user_id,event_type,timestamp,note\nu1,a,1710072000,5\'10"\nu2,b,1710072000,"x\ny"\n',
    chunk_bytes=8,
    block_bytes=3,
)
@example(data=b'\xef\xbb\xbf"user_id",event_type,timestamp\r\n"u\r\n1",a,1710072000\r\n', chunk_bytes=1, block_bytes=1)
def test_the_service_reads_every_file_as_the_reference_does(data: bytes, chunk_bytes: int, block_bytes: int) -> None:
    expected = reference(data)
    actual = through_the_service(data, chunk_bytes, block_bytes)
    assert actual.refused == expected.refused
    assert (actual.rows_total, actual.rows_rejected) == (expected.rows_total, expected.rows_rejected)
    assert actual.errors == expected.errors
    assert actual.events == expected.events
    assert actual.counts == expected.counts


@st.composite
def files_in_common_shapes(draw: st.DrawFn) -> bytes:
    """Files of rows mostly in the shapes counted quickly, the rare ones varying one part of a valid row."""
    columns = draw(headers())
    lines = [",".join(columns)]
    for _ in range(draw(st.integers(0, 40))):
        lines.append(line(columns, draw(row_values())) if draw(st.integers(0, 19)) else "")
    text = "".join(line + draw(NEWLINES) for line in lines)
    bom = "\ufeff" if draw(st.booleans()) else ""
    return (bom + text).encode("utf-8", "surrogateescape")


@SETTINGS
@given(
    data=st.one_of(files(), files_in_common_shapes()),
    chunk_bytes=st.one_of(st.integers(1, 64), st.integers(64, 4096), st.just(1 << 20)),
    block_bytes=st.one_of(st.integers(1, 16), st.just(1 << 18)),
)
@example(
    data=b"user_id,event_type,timestamp\ru1,a,1710072000\ru2,b,2024-03-10T12:00:00Z\r", chunk_bytes=1, block_bytes=1
)
@example(
    data=b"\xef\xbb\xbfuser_id,event_type,timestamp\r\nu1,a,2024-03-10T12:00:00Z\r\n\r\n,b,2024-03-10 12:00:00\r\n",
    chunk_bytes=1 << 20,
    block_bytes=1 << 18,
)
def test_summarize_reads_every_file_as_the_reference_does(data: bytes, chunk_bytes: int, block_bytes: int) -> None:
    """Without events (``summarize``), the rows in the common shapes are counted without the exact parser."""
    expected = reference(data)
    actual = through_the_service(data, chunk_bytes, block_bytes, keep_events=False)
    assert actual.refused == expected.refused
    assert (actual.rows_total, actual.rows_rejected) == (expected.rows_total, expected.rows_rejected)
    assert actual.errors == expected.errors
    assert actual.events == []
    assert actual.counts == expected.counts
