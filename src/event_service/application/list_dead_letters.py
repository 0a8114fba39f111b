"""Read a queue's dead letters, newest first."""

from __future__ import annotations

from collections.abc import Collection

from event_service.application.errors import UnknownQueue
from event_service.application.ports import DeadLetter, DeadLetterStore


class ListDeadLetters:
    def __init__(self, store: DeadLetterStore, queues: Collection[str]) -> None:
        self._store = store
        self._queues = queues

    async def __call__(self, queue: str, offset: int = 0, limit: int = 50) -> tuple[list[DeadLetter], int]:
        if queue not in self._queues:
            raise UnknownQueue(queue)
        return await self._store.list(queue, offset, limit)
