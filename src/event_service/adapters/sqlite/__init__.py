"""The embedded store: one SQLite file (WAL) holding batches, events, row errors, contributions and daily totals.

Typical wiring::

    database = SqliteDatabase(data_dir / "event-service.sqlite3")
    database.open()  # creates the file and runs the pending migrations
    batches, events, metrics = (SqliteBatchRepository(database), SqliteEventRepository(database),
                                SqliteMetricsRepository(database))
    ...
    database.close()
"""

from event_service.adapters.sqlite.database import SqliteDatabase, SqliteUnavailable
from event_service.adapters.sqlite.repositories import (
    SqliteBatchRepository,
    SqliteEventRepository,
    SqliteMetricsRepository,
)
from event_service.adapters.sqlite.schema import SCHEMA_VERSION, SchemaTooNew

__all__ = [
    "SCHEMA_VERSION",
    "SchemaTooNew",
    "SqliteBatchRepository",
    "SqliteDatabase",
    "SqliteEventRepository",
    "SqliteMetricsRepository",
    "SqliteUnavailable",
]
