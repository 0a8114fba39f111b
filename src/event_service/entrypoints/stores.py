"""Which store holds the data: MongoDB when MONGODB_URL is set, else the embedded SQLite file in DATA_DIR."""

from __future__ import annotations

import asyncio
from pathlib import Path
from typing import Protocol

from event_service.adapters.mongo import (
    MongoBatchRepository,
    MongoEventRepository,
    MongoHealth,
    MongoMetricsRepository,
    connect,
    init_mongo,
)
from event_service.adapters.settings import Settings
from event_service.adapters.sqlite import (
    SqliteBatchRepository,
    SqliteDatabase,
    SqliteEventRepository,
    SqliteMetricsRepository,
)
from event_service.adapters.sqlite.health import SqliteHealth
from event_service.application.ports import (
    BatchRepository,
    ComputePool,
    EventRepository,
    HealthCheck,
    MetricsRepository,
)


class SqliteStore:
    kind = "sqlite"

    def __init__(self, path: Path) -> None:
        self.database = SqliteDatabase(path)
        self.location = str(path.resolve())
        self.batches: BatchRepository = SqliteBatchRepository(self.database)
        self.events: EventRepository = SqliteEventRepository(self.database)
        self.metrics: MetricsRepository = SqliteMetricsRepository(self.database)
        self.health: HealthCheck = SqliteHealth(self.database)

    async def start(self) -> None:
        if not self.database.opened:
            # Creating the file and migrating it can wait on another process's lock: not on the event loop.
            await asyncio.to_thread(self.database.open)

    def close(self) -> None:
        self.database.close()


class MongoStore:
    kind = "mongodb"

    def __init__(self, url: str, db_name: str, timeout_ms: int) -> None:
        self._connection = connect(url, db_name, timeout_ms)
        # Logged at start-up: the log processor takes the password out (entrypoints/logging.py).
        self.location = f"{url} database {db_name}"
        self.batches: BatchRepository = MongoBatchRepository()
        self.events: EventRepository = MongoEventRepository()
        self.metrics: MetricsRepository = MongoMetricsRepository()
        self.health: HealthCheck = MongoHealth(self._connection)

    async def start(self) -> None:
        await init_mongo(self._connection.database)

    def close(self) -> None:
        self._connection.close()


class Store(Protocol):
    """A store backend: the repositories on one database, and its lifecycle."""

    kind: str
    location: str
    """Where the data lives, for the start-up log."""
    batches: BatchRepository
    events: EventRepository
    metrics: MetricsRepository
    health: HealthCheck

    async def start(self) -> None: ...

    def close(self) -> None: ...


class ClosablePool(ComputePool, Protocol):
    """A compute pool backend: the port, and its processes (or none) to stop."""

    def close(self) -> None: ...


def open_store(settings: Settings) -> Store:
    if settings.mongodb_url is not None:
        return MongoStore(settings.mongodb_url, settings.mongodb_db, settings.mongodb_timeout_ms)
    return SqliteStore(settings.sqlite_path)
