"""Hostile files: oversized fields and unterminated quotes are row errors, and framing memory stays bounded."""

from __future__ import annotations

from datetime import UTC, datetime

from event_service.domain import IngestReport, TimestampBounds, iter_record_chunks, parse_chunk, parse_header
from event_service.domain.framing import MAX_RECORD_BYTES

HEADER = parse_header(b"user_id,event_type,timestamp\n")
BOUNDS = TimestampBounds.around(datetime(2025, 11, 14, tzinfo=UTC))
GOOD = b"u,signup,2025-11-13T10:00:00Z\n"


def _report(data: bytes, chunk_bytes: int) -> IngestReport:
    report = IngestReport()
    for chunk in iter_record_chunks([data[i : i + 65_536] for i in range(0, len(data), 65_536)], chunk_bytes):
        report.add(parse_chunk(chunk, HEADER, BOUNDS))
    return report


def test_a_field_over_the_csv_limit_is_one_row_error_and_the_next_rows_count() -> None:
    data = GOOD + b"u," + b"x" * 200_000 + b",2025-11-13T10:00:00Z\n" + GOOD * 3
    report = _report(data, 1 << 16)
    assert (report.rows_total, report.rows_accepted, report.rows_rejected) == (5, 4, 1)
    assert report.first_errors[0].row == 3
    assert "field larger than field limit" in report.first_errors[0].message


def test_an_unterminated_quote_cannot_hold_the_rest_of_the_file_in_one_chunk() -> None:
    data = GOOD * 10 + b'u,"never closed,2025-11-13T10:00:00Z\n' + GOOD * 200_000
    chunk_bytes = 1 << 16
    chunks = list(iter_record_chunks([data[i : i + 65_536] for i in range(0, len(data), 65_536)], chunk_bytes))
    assert b"".join(chunks) == data
    assert max(map(len, chunks)) <= chunk_bytes + MAX_RECORD_BYTES + 65_536
    report = IngestReport()
    for chunk in chunks:
        report.add(parse_chunk(chunk, HEADER, BOUNDS))
    assert report.rows_accepted >= 10
    assert report.rows_rejected >= 1
    assert report.rows_total == report.rows_accepted + report.rows_rejected
    assert report.first_errors[0].row == 12
