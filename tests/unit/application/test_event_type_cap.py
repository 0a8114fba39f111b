"""MAX_EVENT_TYPES: the service accepts so many distinct event types, counting those already stored."""

from __future__ import annotations

import io

import pytest

from event_service.application.errors import StrictModeRejected
from event_service.application.ingest_upload import IngestLimits, IngestUpload, Upload
from event_service.domain import RowError
from tests.unit.application.fakes import FakeBatches, FakeEvents, FixedClock, SerialPool, sequential_ids

CAP = 1000


def _message(event_type: str) -> str:
    return (
        f'event_type: "{event_type}" would be event type 1,001; this service accepts at most 1,000 distinct event '
        "types (MAX_EVENT_TYPES)"
    )


def _ingest(batches: FakeBatches, chunk_bytes: int = 4096) -> IngestUpload:
    limits = IngestLimits(chunk_bytes=chunk_bytes, max_event_types=CAP)
    return IngestUpload(batches, FakeEvents(), SerialPool(), FixedClock(), sequential_ids(), limits)


def _file(types: list[str]) -> bytes:
    rows = "".join(f"u{n},{event_type},2025-11-13T10:00:00Z\n" for n, event_type in enumerate(types))
    return ("user_id,event_type,timestamp\n" + rows).encode()


async def test_types_past_the_cap_are_rejected_in_row_order_across_uploads() -> None:
    batches = FakeBatches()
    ingest = _ingest(batches)
    # 1,005 distinct types, each twice, over many chunks; the first 1,000 to appear are admitted.
    types = [f"type{n}" for n in range(1005)]
    first = await ingest(Upload(io.BytesIO(_file(types + types))))
    assert (first.batch.rows_accepted, first.batch.rows_rejected) == (2000, 10)
    assert set(first.batch.counts["2025-11-13"]) == {f"type{n}" for n in range(1000)}
    rejected = [f"type{n}" for n in range(1000, 1005)]
    assert first.batch.first_errors == [
        RowError(row, "event_type", _message(event_type))
        for row, event_type in [(2 + 1000 + i, t) for i, t in enumerate(rejected)]
        + [(2 + 2005 + i, t) for i, t in enumerate(rejected)]
    ]

    second = await ingest(Upload(io.BytesIO(_file(["brand-new", "type7", "type999"]))))
    assert (second.batch.rows_accepted, second.batch.rows_rejected) == (2, 1)
    assert second.batch.first_errors == [RowError(2, "event_type", _message("brand-new"))]
    assert second.batch.counts == {"2025-11-13": {"type7": 1, "type999": 1}}


async def test_strict_mode_counts_rows_past_the_cap_as_invalid() -> None:
    batches = FakeBatches()
    ingest = _ingest(batches)
    await ingest(Upload(io.BytesIO(_file([f"type{n}" for n in range(CAP)]))))
    with pytest.raises(StrictModeRejected, match="1 of 2 rows are invalid") as caught:
        await ingest(Upload(io.BytesIO(_file(["type1", "another"])), strict=True))
    assert caught.value.report.first_errors == [RowError(3, "event_type", _message("another"))]
    assert len(batches.batches) == 1
