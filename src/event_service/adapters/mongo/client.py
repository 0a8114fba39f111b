"""Connecting to a MongoDB server through Motor."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from motor.motor_asyncio import AsyncIOMotorClient, AsyncIOMotorDatabase


@dataclass(frozen=True)
class MongoConnection:
    client: Any
    """An ``AsyncIOMotorClient`` (in the tests, a mongomock-motor client: a subclass of it)."""
    database: AsyncIOMotorDatabase

    def close(self) -> None:
        self.client.close()


def connect(url: str, db_name: str) -> MongoConnection:
    """A client and its database. No network I/O happens here: Motor connects lazily.

    The client is timezone-aware, so datetimes come back in UTC; the repositories still normalise them.
    """
    client: AsyncIOMotorClient[dict[str, Any]] = AsyncIOMotorClient(url, tz_aware=True)
    return MongoConnection(client=client, database=client[db_name])
