"""Ingesting a file holds a bounded amount of memory, whatever the file's size."""

from __future__ import annotations

import tracemalloc
from collections.abc import Sequence
from pathlib import Path

from event_service.application.ingest_upload import IngestLimits, IngestUpload, Upload
from event_service.domain import Event
from tests.unit.application.fakes import FakeBatches, FixedClock, SerialPool, sequential_ids

ROW = b"user%07d,page_view,2025-11-13T%02d:%02d:%02dZ\n"


class CountingEvents:
    """Stores nothing, so what the test measures is the ingestion path itself."""

    def __init__(self) -> None:
        self.stored = 0

    async def add_many(self, batch_id: str, events: Sequence[Event]) -> list[int]:
        self.stored += len(events)
        return []

    async def delete_batch(self, batch_id: str) -> None:
        self.stored = 0


def _write_csv(path: Path, rows: int) -> Path:
    with path.open("wb") as file:
        file.write(b"user_id,event_type,timestamp\n")
        for start in range(0, rows, 10_000):
            file.write(b"".join(ROW % (i, i % 24, i % 60, i % 59) for i in range(start, min(rows, start + 10_000))))
    return path


async def _peak_while_ingesting(path: Path) -> tuple[int, int]:
    events = CountingEvents()
    ingest = IngestUpload(
        FakeBatches(), events, SerialPool(), FixedClock(), sequential_ids(), IngestLimits(chunk_bytes=1 << 16)
    )
    with path.open("rb") as file:
        tracemalloc.start()
        try:
            outcome = await ingest(Upload(file, path.name))
            _, peak = tracemalloc.get_traced_memory()
        finally:
            tracemalloc.stop()
    assert outcome.batch.rows_accepted == events.stored
    return events.stored, peak


async def test_peak_memory_does_not_grow_with_the_file(tmp_path: Path) -> None:
    small_rows, small_peak = await _peak_while_ingesting(_write_csv(tmp_path / "small.csv", 10_000))
    large_rows, large_peak = await _peak_while_ingesting(_write_csv(tmp_path / "large.csv", 100_000))
    assert (small_rows, large_rows) == (10_000, 100_000)
    # Ten times the rows (about 4 MB against 0.4 MB): the peak stays that of a few 64 KiB chunks.
    assert large_peak < 8 << 20, f"peak {large_peak / 2**20:.1f} MiB"
    assert large_peak < small_peak * 1.5, f"small {small_peak / 2**20:.1f} MiB, large {large_peak / 2**20:.1f} MiB"
