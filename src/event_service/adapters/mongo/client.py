"""Connecting to MongoDB: a real server through Motor, or mongomock-motor in memory when no URL is given."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from motor.motor_asyncio import AsyncIOMotorClient, AsyncIOMotorDatabase
from pymongo.errors import ConnectionFailure, ExecutionTimeout, WTimeoutError

MONGO_OUTAGES: tuple[type[Exception], ...] = (ConnectionFailure, ExecutionTimeout, WTimeoutError)
"""The pymongo errors that mean "MongoDB cannot serve right now": no server selected within the timeout (down,
unreachable, no primary), a connection dropped or timed out mid-operation, an operation or write concern out of
time. ``ConnectionFailure`` covers ``AutoReconnect``, ``NetworkTimeout`` and ``ServerSelectionTimeoutError``."""

DEFAULT_TIMEOUT_MS = 3000


@dataclass(frozen=True)
class MongoConnection:
    client: Any
    """An ``AsyncIOMotorClient``, or a mongomock-motor client (a subclass of it) when in memory."""
    database: AsyncIOMotorDatabase
    in_memory: bool

    def close(self) -> None:
        self.client.close()


def connect(url: str | None, db_name: str, timeout_ms: int = DEFAULT_TIMEOUT_MS) -> MongoConnection:
    """A client and its database. No network I/O happens here: Motor connects lazily.

    Both clients are timezone-aware, so datetimes come back in UTC; the repositories still normalise them.
    ``timeout_ms`` bounds finding a server (pymongo waits 30 s by default), opening a connection, and each
    network read, so an unreachable or hung server fails a request within seconds instead of holding it.
    """
    if url is None:
        from mongomock_motor import AsyncMongoMockClient

        client: Any = AsyncMongoMockClient(tz_aware=True)
        return MongoConnection(client=client, database=client[db_name], in_memory=True)
    client = AsyncIOMotorClient(
        url,
        tz_aware=True,
        serverSelectionTimeoutMS=timeout_ms,
        connectTimeoutMS=timeout_ms,
        socketTimeoutMS=timeout_ms,
    )
    return MongoConnection(client=client, database=client[db_name], in_memory=False)
