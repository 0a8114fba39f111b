"""IngestReport: file-wide row numbers from chunk-relative ones, the first errors kept, every error counted."""

from __future__ import annotations

from event_service.domain import FIRST_ERRORS, IngestReport, ParsedChunk, RowError
from tests.unit.domain.support import HEADER_LINE, ingest


def chunk(
    records: int,
    rows: int,
    errors: list[RowError],
    counts: dict[str, dict[str, int]] | None = None,
    rejected: int | None = None,
) -> ParsedChunk:
    return ParsedChunk(
        records=records,
        rows=rows,
        rejected=len({e.row for e in errors}) if rejected is None else rejected,
        errors=errors,
        events=[],
        counts=counts or {},
    )


def test_first_errors_is_100() -> None:
    assert FIRST_ERRORS == 100


def test_empty_report() -> None:
    report = IngestReport()
    assert (report.rows_total, report.rows_accepted, report.rows_rejected, report.errors_total) == (0, 0, 0, 0)
    assert report.first_errors == []
    assert report.counts == {}
    assert report.records_seen == 1  # the header


def test_rows_are_offset_by_the_records_before_the_chunk() -> None:
    report = IngestReport()
    first = report.add(chunk(3, 3, [RowError(2, "user_id", "user_id: is empty")]))
    assert first == [RowError(3, "user_id", "user_id: is empty")]
    assert report.records_seen == 4
    # a chunk whose 4 records include a blank line: rows 3, records 4
    second = report.add(
        chunk(4, 3, [RowError(1, None, "record has 2 fields; the header has 3"), RowError(4, "timestamp", "t")])
    )
    assert second == [
        RowError(5, None, "record has 2 fields; the header has 3"),
        RowError(8, "timestamp", "t"),
    ]
    assert report.records_seen == 8
    third = report.add(chunk(2, 2, [RowError(2, "event_type", "e")]))
    assert third == [RowError(10, "event_type", "e")]
    assert report.records_seen == 10
    assert report.first_errors == [*first, *second, *third]
    assert (report.rows_total, report.rows_accepted, report.rows_rejected, report.errors_total) == (8, 4, 4, 4)


def test_an_empty_chunk_changes_nothing_but_a_blank_only_chunk_moves_the_row_numbers() -> None:
    report = IngestReport()
    report.add(chunk(0, 0, []))
    assert report.records_seen == 1
    report.add(chunk(2, 0, []))
    assert report.records_seen == 3
    assert report.add(chunk(1, 1, [RowError(1, None, "x")])) == [RowError(4, None, "x")]
    assert (report.rows_total, report.rows_accepted, report.rows_rejected) == (1, 0, 1)


def test_accepted_is_rows_minus_rejected_and_errors_count_each_reason() -> None:
    report = IngestReport()
    report.add(chunk(5, 5, [RowError(1, "user_id", "a"), RowError(1, "event_type", "b"), RowError(3, None, "c")]))
    assert (report.rows_total, report.rows_accepted, report.rows_rejected, report.errors_total) == (5, 3, 2, 3)


def test_only_the_first_errors_are_kept_but_all_are_counted() -> None:
    report = IngestReport()
    returned: list[RowError] = []
    for _ in range(3):
        errors = [RowError(row, "user_id", f"error {row}") for row in range(1, 61)]
        returned += report.add(chunk(60, 60, errors))
    assert report.errors_total == 180
    assert report.rows_rejected == 180
    assert len(report.first_errors) == FIRST_ERRORS
    assert [e.row for e in report.first_errors] == list(range(2, 102))
    assert report.first_errors == returned[:100]
    # every chunk's errors come back numbered, even past the cap
    assert [e.row for e in returned] == list(range(2, 182))
    report.add(chunk(1, 1, [RowError(1, None, "late")]))
    assert len(report.first_errors) == FIRST_ERRORS
    assert report.errors_total == 181


def test_cap_is_reached_inside_a_chunk() -> None:
    report = IngestReport()
    report.add(chunk(99, 99, [RowError(row, None, "x") for row in range(1, 100)]))
    assert len(report.first_errors) == 99
    report.add(chunk(5, 5, [RowError(row, None, "y") for row in range(1, 6)]))
    assert len(report.first_errors) == 100
    assert report.first_errors[-1] == RowError(101, None, "y")
    assert report.errors_total == 104


def test_counts_are_merged_across_chunks() -> None:
    report = IngestReport()
    report.add(chunk(2, 2, [], {"2024-03-10": {"click": 2}}))
    report.add(chunk(3, 3, [], {"2024-03-10": {"click": 1, "view": 1}, "2024-03-11": {"click": 1}}))
    assert report.counts == {"2024-03-10": {"click": 3, "view": 1}, "2024-03-11": {"click": 1}}
    assert (report.rows_total, report.rows_accepted) == (5, 5)


def test_report_over_real_chunks_is_the_same_for_any_chunk_size() -> None:
    lines = []
    for i in range(150):
        if i % 3 == 0:
            lines.append(b"u%d,,1710072000\n" % i)  # rejected
        elif i % 7 == 0:
            lines.append(b"\n")  # blank
        else:
            lines.append(b"u%d,type%d,%d\n" % (i, i % 2, 1710072000 + 86400 * (i % 4)))
    data = HEADER_LINE + b"".join(lines)
    expected_rows = [i + 2 for i in range(150) if i % 3 == 0]
    blank = sum(1 for i in range(150) if i % 3 and i % 7 == 0)
    for chunk_bytes in (1, 10, 64, 333, 1 << 20):
        outcome = ingest(data, chunk_bytes=chunk_bytes)
        report = outcome.report
        assert [e.row for e in outcome.errors] == expected_rows
        assert [e.row for e in report.first_errors] == expected_rows
        assert {e.message for e in report.first_errors} == {"event_type: is empty"}
        assert report.rows_total == 150 - blank
        assert report.rows_rejected == 50
        assert report.rows_accepted == 100 - blank
        assert report.errors_total == 50
        assert report.records_seen == 151
        assert sum(sum(per_type.values()) for per_type in report.counts.values()) == 100 - blank
        assert sorted(report.counts) == ["2024-03-10", "2024-03-11", "2024-03-12", "2024-03-13"]
