"""Read a batch, page through its row errors, or list the latest batches."""

from __future__ import annotations

from event_service.application.errors import BatchNotFound
from event_service.application.ports import BatchRepository
from event_service.domain import Batch, RowError


class GetBatch:
    def __init__(self, batches: BatchRepository) -> None:
        self._batches = batches

    async def __call__(self, batch_id: str) -> Batch:
        batch = await self._batches.get(batch_id)
        if batch is None:
            raise BatchNotFound(batch_id)
        return batch

    async def errors(self, batch_id: str, offset: int, limit: int) -> tuple[Batch, list[RowError]]:
        batch = await self(batch_id)
        return batch, await self._batches.list_errors(batch_id, offset, limit)

    async def recent(self, offset: int, limit: int) -> tuple[int, list[Batch]]:
        return await self._batches.list_recent(offset, limit)
