"""Claims of uploads that died mid-file are swept with their events and errors; live ones are left alone."""

from __future__ import annotations

import contextlib
import io
from datetime import timedelta

from event_service.application.ingest_upload import IngestLimits, IngestUpload, Upload
from event_service.application.sweep_stale_claims import SweepStaleClaims
from event_service.domain import BatchStatus, Event, RowError
from tests.unit.application.fakes import FakeBatches, FakeEvents, FixedClock, SerialPool, sequential_ids

FILE = "event_id,user_id,event_type,timestamp\n" + "".join(
    f"e{n},u{n},view,2025-11-13T{n % 24:02d}:00:00Z\n" for n in range(50)
)


async def test_a_dead_uploads_claim_and_events_are_swept_and_the_file_then_stores_every_row() -> None:
    batches, events, clock = FakeBatches(), FakeEvents(), FixedClock()
    ingest = IngestUpload(batches, events, SerialPool(), clock, sequential_ids(), IngestLimits())
    sweep = SweepStaleClaims(batches, events, clock, timedelta(hours=1))

    # What a process killed mid-file leaves: its claim, some of its events, some row errors.
    async def die_midway(batch_id: str, report: object, at: object) -> None:
        raise SystemExit("killed")

    batches.finish_ingestion = die_midway  # type: ignore[method-assign,assignment]
    batches.delete = _keep  # type: ignore[method-assign]
    events.delete_batch = _keep  # type: ignore[method-assign]
    with contextlib.suppress(SystemExit):
        await ingest(Upload(io.BytesIO(FILE.encode())))
    del batches.finish_ingestion, batches.delete, events.delete_batch
    (claim,) = batches.batches.values()
    assert claim.status is BatchStatus.INGESTING
    await batches.add_errors(claim.id, [RowError(2, None, "x")])
    await events.add_many("live", [Event("u", "view", 0, "1970-01-01", "other")])

    clock.moment += timedelta(minutes=59)
    assert await sweep() == []
    clock.moment += timedelta(minutes=2)
    assert await sweep() == [claim.id]
    assert claim.id not in batches.batches
    assert claim.id not in batches.errors
    assert events.total() == 1  # another batch's event stays

    outcome = await ingest(Upload(io.BytesIO(FILE.encode())))
    assert (outcome.duplicate, outcome.batch.rows_accepted, outcome.batch.rows_duplicate) == (False, 50, 0)


async def _keep(batch_id: str) -> None:
    """A killed process cleans nothing up."""
