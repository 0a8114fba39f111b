"""Shared helpers for the domain tests: fixed bounds and the whole-file pipeline the application runs."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime

from event_service.domain import (
    Event,
    IngestReport,
    RowError,
    TimestampBounds,
    iter_record_chunks,
    parse_chunk,
    parse_header,
    split_first_record,
)
from event_service.domain.timestamps import to_epoch_ms

NOW = datetime(2025, 6, 1, tzinfo=UTC)
"""The fixed "now" of the tests: the latest accepted instant is 2025-06-02T00:00:00Z."""

BOUNDS = TimestampBounds.around(NOW)
WIDE_BOUNDS = TimestampBounds(earliest_ms=-(10**15), latest_ms=10**15)
"""Bounds that accept any instant, to test how a value is read apart from whether it is in range."""

HEADER_LINE = b"user_id,event_type,timestamp\n"


def ms(year: int, month: int, day: int, hour: int = 0, minute: int = 0, second: int = 0, milli: int = 0) -> int:
    return to_epoch_ms(datetime(year, month, day, hour, minute, second, milli * 1000, tzinfo=UTC))


@dataclass
class Outcome:
    report: IngestReport
    events: list[Event] = field(default_factory=list)
    errors: list[RowError] = field(default_factory=list)
    chunks: list[bytes] = field(default_factory=list)


def blocks_of(data: bytes, size: int | None) -> Iterator[bytes]:
    if size is None:
        yield data
        return
    for start in range(0, len(data), size):
        yield data[start : start + size]


def ingest(
    data: bytes,
    bounds: TimestampBounds = BOUNDS,
    *,
    chunk_bytes: int = 1 << 20,
    block_size: int | None = None,
) -> Outcome:
    """Run a whole file through the domain as csv_stream.validate_csv does: frame, header, chunks, report."""
    chunks = list(iter_record_chunks(blocks_of(data, block_size), chunk_bytes))
    header_record, rest = split_first_record(chunks[0])
    header = parse_header(header_record)
    outcome = Outcome(IngestReport(), chunks=chunks)
    for chunk in (rest, *chunks[1:]):
        parsed = parse_chunk(chunk, header, bounds)
        outcome.errors.extend(outcome.report.add(parsed))
        outcome.events.extend(parsed.events)
    return outcome
