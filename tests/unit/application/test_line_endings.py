"""Uploads with every line-ending style store exactly the records csv.reader reads from the whole file."""

from __future__ import annotations

import io

import pytest

from event_service.application.ingest_upload import IngestLimits, IngestUpload, Upload
from tests.unit.application.fakes import FakeBatches, FakeEvents, FixedClock, SerialPool, sequential_ids

ROWS = 100_000


def events_file(newline: str) -> bytes:
    lines = ["user_id,event_type,timestamp", *(f"u{i},view,2025-11-13T{i % 24:02d}:00:00Z" for i in range(ROWS))]
    return newline.join(lines).encode() + newline.encode()


@pytest.mark.parametrize("newline", ["\n", "\r\n", "\r"])
async def test_every_row_of_a_100k_row_file_is_stored_whatever_its_line_endings(newline: str) -> None:
    # Old Mac and Excel exports end records with a lone CR: they used to lose about 70% of their rows silently.
    events = FakeEvents()
    ingest = IngestUpload(FakeBatches(), events, SerialPool(), FixedClock(), sequential_ids(), IngestLimits())
    outcome = await ingest(Upload(io.BytesIO(events_file(newline)), "events.csv"))
    batch = outcome.batch
    assert (batch.rows_total, batch.rows_accepted, batch.rows_rejected) == (ROWS, ROWS, 0)
    assert events.total() == ROWS
