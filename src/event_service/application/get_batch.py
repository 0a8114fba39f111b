"""Read a batch, page through its row errors, or list the latest batches."""

from __future__ import annotations

import msgspec

from event_service.application.errors import BatchNotFound
from event_service.application.ports import BatchRepository
from event_service.domain import Batch, RowError


class ErrorsPage(msgspec.Struct, frozen=True):
    batch: Batch
    errors: list[RowError]
    stored: int
    """How many of the batch's errors are stored: its errors, up to the cap configured now
    (``IngestLimits.stored_errors_per_batch``); a batch uploaded under a lower cap has fewer stored."""


class GetBatch:
    def __init__(self, batches: BatchRepository, stored_errors_cap: int) -> None:
        self._batches = batches
        self._stored_errors_cap = stored_errors_cap

    async def __call__(self, batch_id: str) -> Batch:
        batch = await self._batches.get(batch_id)
        if batch is None:
            raise BatchNotFound(batch_id)
        return batch

    async def errors(self, batch_id: str, offset: int, limit: int) -> ErrorsPage:
        batch = await self(batch_id)
        errors = await self._batches.list_errors(batch_id, offset, limit)
        return ErrorsPage(batch, errors, stored=min(batch.errors_total, self._stored_errors_cap))

    async def recent(self, offset: int, limit: int) -> tuple[int, list[Batch]]:
        return await self._batches.list_recent(offset, limit)
