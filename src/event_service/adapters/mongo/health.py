"""The store's health check on MongoDB: the server's ``ping`` command (mongomock answers it too)."""

from __future__ import annotations

from event_service.adapters.mongo.client import MongoConnection


class MongoHealth:
    def __init__(self, connection: MongoConnection) -> None:
        self._connection = connection

    async def ping(self) -> None:
        await self._connection.client.admin.command("ping")
