"""The pure core of event-service: CSV validation and daily aggregation of user events.

Depends on the standard library and msgspec only, so other services can import it without a web framework,
queue or database. Typical use::

    from event_service.domain import (
        IngestReport, TimestampBounds, iter_record_chunks, parse_chunk, parse_header, split_first_record,
    )

    chunks = iter_record_chunks(blocks_of_bytes)
    header_record, rest = split_first_record(next(chunks))
    header = parse_header(header_record)
    bounds = TimestampBounds.around(datetime.now(UTC))
    report = IngestReport()
    for chunk in (rest, *chunks):
        report.add(parse_chunk(chunk, header, bounds))
    report.counts  # {"2025-11-13": {"signup": 120, "purchase": 30}}
"""

from event_service.domain.aggregation import DailyCounts, merge_counts, sum_type_counts
from event_service.domain.batch import (
    DATETIME_FIELDS,
    JOB_IN_FLIGHT,
    Batch,
    BatchStatus,
    StatusChange,
    report_fields,
    status_change,
)
from event_service.domain.errors import DomainError, InvalidHeader, NoDataRows, RowError
from event_service.domain.events import Event, ParsedChunk, parse_chunk, parse_header
from event_service.domain.framing import iter_record_chunks, split_first_record
from event_service.domain.header import Header
from event_service.domain.report import FIRST_ERRORS, IngestReport
from event_service.domain.timestamps import (
    InvalidTimestamp,
    TimestampBounds,
    calendar_day,
    parse_timestamp,
    utc_day,
)

__all__ = [
    "DATETIME_FIELDS",
    "FIRST_ERRORS",
    "JOB_IN_FLIGHT",
    "Batch",
    "BatchStatus",
    "DailyCounts",
    "DomainError",
    "Event",
    "Header",
    "IngestReport",
    "InvalidHeader",
    "InvalidTimestamp",
    "NoDataRows",
    "ParsedChunk",
    "RowError",
    "StatusChange",
    "TimestampBounds",
    "calendar_day",
    "iter_record_chunks",
    "merge_counts",
    "parse_chunk",
    "parse_header",
    "parse_timestamp",
    "report_fields",
    "split_first_record",
    "status_change",
    "sum_type_counts",
    "utc_day",
]
