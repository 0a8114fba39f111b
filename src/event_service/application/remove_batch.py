"""Remove a batch and its events: a stale claim swept, or an upload that failed part-way."""

from __future__ import annotations

from event_service.application.ports import BatchRepository, EventRepository


async def remove_batch(batches: BatchRepository, events: EventRepository, batch_id: str) -> None:
    # Events first: while the batch stays, no new upload of the file can store rows its orphans would shadow.
    await events.delete_batch(batch_id)
    await batches.delete(batch_id)
