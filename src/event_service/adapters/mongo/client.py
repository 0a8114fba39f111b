"""Connecting to MongoDB: a real server through Motor, or mongomock-motor in memory when no URL is given."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from motor.motor_asyncio import AsyncIOMotorClient, AsyncIOMotorDatabase


@dataclass(frozen=True)
class MongoConnection:
    client: Any
    """An ``AsyncIOMotorClient``, or a mongomock-motor client (a subclass of it) when in memory."""
    database: AsyncIOMotorDatabase
    in_memory: bool

    def close(self) -> None:
        self.client.close()


def connect(url: str | None, db_name: str) -> MongoConnection:
    """A client and its database. No network I/O happens here: Motor connects lazily.

    Both clients are timezone-aware, so datetimes come back in UTC; the repositories still normalise them.
    """
    if url is None:
        from mongomock_motor import AsyncMongoMockClient

        client: Any = AsyncMongoMockClient(tz_aware=True)
        return MongoConnection(client=client, database=client[db_name], in_memory=True)
    client = AsyncIOMotorClient(url, tz_aware=True)
    return MongoConnection(client=client, database=client[db_name], in_memory=False)
