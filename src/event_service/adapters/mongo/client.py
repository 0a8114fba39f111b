"""Connecting to a MongoDB server through Motor."""

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
    """An ``AsyncIOMotorClient`` (in the tests, a mongomock-motor client: a subclass of it)."""
    database: AsyncIOMotorDatabase

    def close(self) -> None:
        self.client.close()


def connect(url: str, db_name: str, timeout_ms: int = DEFAULT_TIMEOUT_MS) -> MongoConnection:
    """A client and its database. No network I/O happens here: Motor connects lazily.

    The client is timezone-aware, so datetimes come back in UTC; the repositories still normalise them.
    ``timeout_ms`` bounds finding a server (pymongo waits 30 s by default), opening a connection, and each
    network read, so an unreachable or hung server fails a request within seconds instead of holding it.
    """
    client: AsyncIOMotorClient[dict[str, Any]] = AsyncIOMotorClient(
        url,
        tz_aware=True,
        serverSelectionTimeoutMS=timeout_ms,
        connectTimeoutMS=timeout_ms,
        socketTimeoutMS=timeout_ms,
    )
    return MongoConnection(client=client, database=client[db_name])
