"""Read one dead letter."""

from __future__ import annotations

from collections.abc import Collection

from event_service.application.errors import DeadLetterNotFound, UnknownQueue
from event_service.application.ports import DeadLetter, DeadLetterStore


class GetDeadLetter:
    def __init__(self, store: DeadLetterStore, queues: Collection[str]) -> None:
        self._store = store
        self._queues = queues

    async def __call__(self, queue: str, entry_id: str) -> DeadLetter:
        if queue not in self._queues:
            raise UnknownQueue(queue)
        entry = await self._store.get(queue, entry_id)
        if entry is None:
            raise DeadLetterNotFound(queue, entry_id)
        return entry
