"""The event value and the parsing of CSV records into events."""

from __future__ import annotations

import csv
import io
import re
import unicodedata
from collections.abc import Iterator

import msgspec

from event_service.domain.aggregation import DailyCounts, merge_counts
from event_service.domain.errors import InvalidHeader, RowError
from event_service.domain.header import Header
from event_service.domain.quick_count import quick_count
from event_service.domain.timestamps import (
    MS_PER_DAY,
    InvalidTimestamp,
    TimestampBounds,
    fast_epoch_ms,
    parse_timestamp,
    utc_day,
)

MAX_USER_ID_LENGTH = 256
MAX_EVENT_TYPE_LENGTH = 128

_CONTROL = re.compile("[\x00-\x1f\x7f-\x9f]")
"""Unicode category Cc: C0 (tab and line breaks included), DEL and C1. Refused in the identifying fields."""
_CONTROL_BUT_LINE_BREAKS = re.compile("[\x00-\x09\x0b\x0c\x0e-\x1f\x7f-\x9f]")
"""A chunk without these holds a control character in a field only if a quoted field spans lines."""
_PRINTABLE_ASCII_AND_LINE_BREAKS = bytes(range(0x20, 0x7F)) + b"\r\n"
_NON_ASCII = bytes(range(0x80, 0x100))
_C1_LEAD = b"\xc2"
"""Every C1 control (U+0080 to U+009F) is 0xC2 then one more byte in UTF-8."""


def _has_controls_but_line_breaks(data: bytes, text: str) -> bool:
    """Whether ``text`` (``data`` decoded) holds a control character other than CR and LF.

    Deleting the common bytes in C is several times faster than a regular expression over the text, which only
    the chunks holding a 0xC2 byte (``£``, ``©``, ``°`` ... or a C1 control) need.
    """
    rest = data.translate(None, _PRINTABLE_ASCII_AND_LINE_BREAKS)
    if not rest:
        return False
    if rest.translate(None, _NON_ASCII):
        return True  # a C0 control or DEL
    return _C1_LEAD in rest and _CONTROL_BUT_LINE_BREAKS.search(text) is not None


class Event(msgspec.Struct, array_like=True, gc=False):
    """A validated event. ``timestamp_ms`` is epoch milliseconds UTC; ``day`` its UTC calendar day."""

    user_id: str
    event_type: str
    timestamp_ms: int
    day: str
    event_id: str | None = None
    properties: dict[str, str] | None = None


class ParsedChunk(msgspec.Struct, array_like=True):
    """What one chunk of records gave. Error rows count from 1 = the chunk's first record."""

    records: int
    rows: int
    rejected: int
    errors: list[RowError]
    events: list[Event]
    counts: DailyCounts


def parse_header(record: bytes) -> Header:
    """Read the header record (bytes of one CSV record, BOM already dropped)."""
    try:
        text = record.decode("utf-8")
    except UnicodeDecodeError:
        raise InvalidHeader("header is not valid UTF-8") from None
    try:
        fields = next(csv.reader(io.StringIO(text, newline="")), [])
    except csv.Error as exc:
        # A header field over the csv module's field limit, or a one-line file of that size.
        raise InvalidHeader(f"header record cannot be read as CSV: {exc}") from None
    return Header.parse(fields)


def _is_blank(fields: list[str]) -> bool:
    return not fields or (len(fields) == 1 and not fields[0].strip())


def _invalid_utf8_column(fields: list[str], header: Header) -> str | None:
    for index, value in enumerate(fields):
        try:
            value.encode("utf-8")
        except UnicodeEncodeError:
            return header.column_name(index)
    return None


def _plain_records(text: str) -> Iterator[list[str]] | None:
    """The records of ``text`` split without the csv module, when that gives exactly what it would: no quotes,
    no NUL, no line longer than the csv field limit. None otherwise.

    Most exports quote nothing, and splitting in C is several times faster than the csv reader. Without quotes
    every line break ends a record, and the reader breaks lines at CRLF, lone CR and LF: one LF each here.
    """
    if '"' in text or "\x00" in text:
        return None
    if "\r" in text:
        text = text.replace("\r\n", "\n").replace("\r", "\n")
    lines = text.split("\n")
    if lines[-1] == "":
        lines.pop()  # the line break that ends the last record
    if lines and max(map(len, lines)) > csv.field_size_limit():
        return None
    return (line.split(",") for line in lines)


def _nfc(value: str) -> str:
    """``value`` in Unicode normalization form C, so a composed and a decomposed ``café`` are one value."""
    return value if value.isascii() else unicodedata.normalize("NFC", value)


def _control_error(row: int, column: str, value: str) -> list[RowError]:
    if (found := _CONTROL.search(value)) is None:
        return []
    message = f"{column}: contains the control character U+{ord(found.group()):04X}; control characters are not allowed"
    return [RowError(row, column, message)]


def _record_error(records: int, exc: csv.Error) -> RowError:
    return RowError(records, None, f"record is not valid CSV: {exc}")


def parse_chunk(
    data: bytes,
    header: Header,
    bounds: TimestampBounds,
    *,
    keep_events: bool = True,
    known_types: frozenset[str] | None = None,
    max_types: int = 0,
) -> ParsedChunk:
    """Validate the records in ``data`` (whole records, no header) and aggregate the valid ones.

    With ``keep_events=False`` only the counts and errors are kept, for callers that store nothing. With
    ``known_types``, a valid row whose type is new is admitted while fewer than ``max_types`` types are known, and
    rejected past that (the caller reads the types admitted from the result's counts).
    """
    if not keep_events and known_types is None and b'"' not in data and b"\x00" not in data:
        counted = _count_quickly(data, header, bounds)
        if counted is not None:
            return counted
    text, check_encoding = _decoded(data)
    # Most chunks hold no control character: they skip the check per field. Line breaks are everywhere, but a
    # field holds one only if its record spans lines; the rare chunk where one does is read again, checking.
    controls = _has_controls_but_line_breaks(data, text)
    parsed, spans_lines = _parse(text, header, bounds, keep_events, check_encoding, controls, known_types, max_types)
    if spans_lines and not controls:
        parsed, _ = _parse(text, header, bounds, keep_events, check_encoding, True, known_types, max_types)
    return parsed


def _decoded(data: bytes) -> tuple[str, bool]:
    """``data`` as text, and whether it held bytes that are not UTF-8."""
    try:
        return data.decode("utf-8"), False
    except UnicodeDecodeError:
        # Bad bytes become lone surrogates, so only the rows that hold them are rejected.
        return data.decode("utf-8", "surrogateescape"), True


def _count_quickly(data: bytes, header: Header, bounds: TimestampBounds) -> ParsedChunk | None:
    """What ``_parse`` gives for ``data`` (no quote, no NUL) without events, the rows in the common shapes counted
    by ``quick_count`` and only the others parsed here; None when most rows are in other shapes.

    Bytes, not text: CR and LF are never part of a longer UTF-8 sequence, and most chunks are then counted without
    being decoded at all."""
    if b"\r" in data:
        data = data.replace(b"\r\n", b"\n").replace(b"\r", b"\n")  # as in _plain_records: one LF per line break
    if data and not data.endswith(b"\n"):
        data += b"\n"
    lines = data.count(b"\n")
    limits = (csv.field_size_limit(), MAX_USER_ID_LENGTH, MAX_EVENT_TYPE_LENGTH)
    quick = quick_count(data, lines, header, bounds, limits)
    if quick is None:
        return None
    if not quick.leftover:
        return ParsedChunk(lines, quick.rows, 0, [], [], quick.counts)
    # Without quotes a line is a record whatever its neighbours, so the leftover lines are parsed on their own
    # and their errors numbered back to the lines they came from.
    all_lines = data.split(b"\n")
    leftover = b"".join([all_lines[line] + b"\n" for line in quick.leftover])
    rest, check_encoding = _decoded(leftover)
    controls = _has_controls_but_line_breaks(leftover, rest)
    parsed, _ = _parse(rest, header, bounds, False, check_encoding, controls)
    errors = [RowError(quick.leftover[error.row - 1] + 1, error.column, error.message) for error in parsed.errors]
    counts = merge_counts(quick.counts, parsed.counts)
    return ParsedChunk(lines, quick.rows + parsed.rows, parsed.rejected, errors, [], counts)


def _type_cap_error(row: int, event_type: str, max_types: int) -> RowError:
    return RowError(
        row,
        "event_type",
        f'event_type: "{event_type}" would be event type {max_types + 1:,}; this service accepts at most '
        f"{max_types:,} distinct event types (MAX_EVENT_TYPES)",
    )


def _parse(
    text: str,
    header: Header,
    bounds: TimestampBounds,
    keep_events: bool,
    check_encoding: bool,
    controls: bool,
    known_types: frozenset[str] | None = None,
    max_types: int = 0,
) -> tuple[ParsedChunk, bool]:
    """The chunk's records validated, and whether a record spanned lines."""
    known = None if known_types is None else set(known_types)  # a copy: a chunk read twice starts afresh
    normalize = not text.isascii()  # NFC changes nothing in ASCII text
    careful = normalize or controls
    errors: list[RowError] = []
    events: list[Event] = []
    counts: DailyCounts = {}
    width = header.width
    user_at, type_at, time_at, id_at = header.user_id, header.event_type, header.timestamp, header.event_id
    extras = header.extras
    earliest, latest = bounds.earliest_ms, bounds.latest_ms
    day_names: dict[int, str] = {}
    records = rows = rejected = 0
    plain = _plain_records(text)
    full = None if plain is not None else csv.reader(io.StringIO(text, newline=""))
    reader: Iterator[list[str]]
    if plain is not None:
        reader = plain
    else:
        assert full is not None
        reader = full
    while True:
        # One try around the whole loop rather than one per record: csv.Error is rare, and the reader
        # carries on with the next record after it.
        try:
            for fields in reader:
                records += 1
                if len(fields) != width:
                    if _is_blank(fields):
                        continue
                    rows += 1
                    rejected += 1
                    errors.append(RowError(records, None, f"record has {len(fields)} fields; the header has {width}"))
                    continue
                rows += 1
                if check_encoding and (column := _invalid_utf8_column(fields, header)) is not None:
                    rejected += 1
                    errors.append(RowError(records, column, f"{column}: is not valid UTF-8"))
                    continue
                user_id = fields[user_at].strip()
                event_type = fields[type_at].strip()
                stamp = fields[time_at].strip()
                event_id = fields[id_at].strip() if id_at is not None else ""
                unusual = False
                if careful:
                    if normalize:
                        user_id, event_type, event_id = _nfc(user_id), _nfc(event_type), _nfc(event_id)
                    # isprintable() is false for every control character (and for a few other rare ones).
                    unusual = controls and not (user_id + event_type + event_id).isprintable()
                ms = fast_epoch_ms(stamp)
                if (
                    unusual
                    or ms is None
                    or not earliest <= ms <= latest
                    or not 0 < len(user_id) <= MAX_USER_ID_LENGTH
                    or not 0 < len(event_type) <= MAX_EVENT_TYPE_LENGTH
                ):
                    row_errors = _row_errors(records, user_id, event_type, stamp, event_id, bounds)
                    if row_errors:
                        rejected += 1
                        errors.extend(row_errors)
                        continue
                    ms = parse_timestamp(stamp, bounds)
                if known is not None and event_type not in known:
                    if len(known) >= max_types:
                        rejected += 1
                        errors.append(_type_cap_error(records, event_type, max_types))
                        continue
                    known.add(event_type)
                day = day_names.get(ms // MS_PER_DAY)
                if day is None:
                    day = day_names[ms // MS_PER_DAY] = utc_day(ms)
                per_type = counts.get(day)
                if per_type is None:
                    per_type = counts[day] = {}
                per_type[event_type] = per_type.get(event_type, 0) + 1
                if keep_events:
                    properties = {name: fields[index].strip() for index, name in extras} if extras else None
                    events.append(Event(user_id, event_type, ms, day, event_id or None, properties))
            break
        except csv.Error as exc:
            records += 1
            rows += 1
            rejected += 1
            errors.append(_record_error(records, exc))
    spans_lines = full is not None and full.line_num > records
    return ParsedChunk(records, rows, rejected, errors, events, counts), spans_lines


def _row_errors(
    row: int, user_id: str, event_type: str, stamp: str, event_id: str, bounds: TimestampBounds
) -> list[RowError]:
    """Every reason the row is invalid, in column order of the rules; empty when it is valid after all."""
    errors = []
    if not user_id:
        errors.append(RowError(row, "user_id", "user_id: is empty"))
    elif len(user_id) > MAX_USER_ID_LENGTH:
        errors.append(
            RowError(
                row, "user_id", f"user_id: is {len(user_id)} characters long; at most {MAX_USER_ID_LENGTH} are allowed"
            )
        )
    else:
        errors.extend(_control_error(row, "user_id", user_id))
    if not event_type:
        errors.append(RowError(row, "event_type", "event_type: is empty"))
    elif len(event_type) > MAX_EVENT_TYPE_LENGTH:
        errors.append(
            RowError(
                row,
                "event_type",
                f"event_type: is {len(event_type)} characters long; at most {MAX_EVENT_TYPE_LENGTH} are allowed",
            )
        )
    else:
        errors.extend(_control_error(row, "event_type", event_type))
    try:
        parse_timestamp(stamp, bounds)
    except InvalidTimestamp as exc:
        errors.append(RowError(row, "timestamp", f"timestamp: {exc}"))
    errors.extend(_control_error(row, "event_id", event_id))
    return errors
