"""Drop every dead letter of a queue."""

from __future__ import annotations

from collections.abc import Collection

from event_service.application.errors import UnknownQueue
from event_service.application.ports import DeadLetterStore


class PurgeDeadLetters:
    def __init__(self, store: DeadLetterStore, queues: Collection[str]) -> None:
        self._store = store
        self._queues = queues

    async def __call__(self, queue: str) -> int:
        """How many entries were dropped."""
        if queue not in self._queues:
            raise UnknownQueue(queue)
        return await self._store.purge(queue)
