"""The store's health check on SQLite: a read on a reader connection (which also proves the file is open)."""

from __future__ import annotations

from event_service.adapters.sqlite.database import SqliteDatabase


class SqliteHealth:
    def __init__(self, database: SqliteDatabase) -> None:
        self._database = database

    async def ping(self) -> None:
        await self._database.read(lambda connection: connection.execute("SELECT 1").fetchone())
