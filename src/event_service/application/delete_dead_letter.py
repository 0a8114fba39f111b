"""Drop one dead letter without running its job again."""

from __future__ import annotations

from collections.abc import Collection

from event_service.application.errors import DeadLetterNotFound, UnknownQueue
from event_service.application.ports import DeadLetterStore


class DeleteDeadLetter:
    def __init__(self, store: DeadLetterStore, queues: Collection[str]) -> None:
        self._store = store
        self._queues = queues

    async def __call__(self, queue: str, entry_id: str) -> None:
        if queue not in self._queues:
            raise UnknownQueue(queue)
        if not await self._store.remove(queue, entry_id):
            raise DeadLetterNotFound(queue, entry_id)
