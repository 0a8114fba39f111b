"""The SQLite schema, as numbered migrations. ``PRAGMA user_version`` holds how many have run on a file.

Append a migration to change the schema; never edit one that has shipped. A batch is stored as its msgspec JSON
beside a few indexed columns, so a field added to ``Batch`` needs no migration.
"""

from __future__ import annotations

import sqlite3

MIGRATIONS: tuple[str, ...] = (
    # 1: the first schema.
    """
    CREATE TABLE batches (
        id TEXT PRIMARY KEY,
        sha256 TEXT NOT NULL UNIQUE,
        idempotency_key TEXT UNIQUE,          -- NULLs are distinct: any number of batches may have no key
        created_at_us INTEGER NOT NULL,       -- microseconds since the epoch, UTC: orders the listing
        status TEXT NOT NULL,
        document BLOB NOT NULL                -- the Batch as msgspec JSON: the record
    );
    CREATE INDEX batches_created ON batches (created_at_us DESC, id DESC);

    CREATE TABLE events (
        batch_id TEXT NOT NULL,
        user_id TEXT NOT NULL,
        event_type TEXT NOT NULL,
        ts_ms INTEGER NOT NULL,
        day TEXT NOT NULL,
        event_id TEXT UNIQUE,                 -- NULL for files without the column: never a duplicate
        properties TEXT                       -- JSON object of the extra columns, NULL when there are none
    );
    -- Nothing reads events by day: metrics come from contributions. Every index slows the bulk insert.
    CREATE INDEX events_batch ON events (batch_id);

    CREATE TABLE batch_errors (
        batch_id TEXT NOT NULL,
        row INTEGER NOT NULL,
        column_name TEXT,
        message TEXT NOT NULL
    );
    CREATE INDEX batch_errors_batch_row ON batch_errors (batch_id, row);

    CREATE TABLE contributions (
        batch_id TEXT NOT NULL,
        day TEXT NOT NULL,
        counts TEXT NOT NULL,                 -- JSON {event_type: n}
        PRIMARY KEY (batch_id, day)
    ) WITHOUT ROWID;
    CREATE INDEX contributions_day ON contributions (day);

    CREATE TABLE daily_totals (
        day TEXT PRIMARY KEY,
        revision INTEGER NOT NULL DEFAULT 0,
        counts TEXT NOT NULL DEFAULT '{}'     -- JSON {event_type: n}
    ) WITHOUT ROWID;
    """,
)

SCHEMA_VERSION = len(MIGRATIONS)


class SchemaTooNew(RuntimeError):
    """The file was written by a newer release: this one cannot know what changed."""


def schema_version(connection: sqlite3.Connection) -> int:
    return int(connection.execute("PRAGMA user_version").fetchone()[0])


def migrate(connection: sqlite3.Connection) -> None:
    """Run every migration the file has not had yet, each in its own transaction with its version bump.

    ``BEGIN IMMEDIATE`` first: processes starting together on one file migrate it once, one after the other.
    """
    while True:
        connection.execute("BEGIN IMMEDIATE")
        try:
            version = schema_version(connection)
            if version > SCHEMA_VERSION:
                raise SchemaTooNew(
                    f"{version} migrations have run on this SQLite file but this release knows {SCHEMA_VERSION}: "
                    "run a release at least as new as the one that last wrote it"
                )
            if version == SCHEMA_VERSION:
                connection.execute("COMMIT")
                return
            for statement in _statements(MIGRATIONS[version]):
                connection.execute(statement)
            connection.execute(f"PRAGMA user_version = {version + 1}")
        except BaseException:
            connection.execute("ROLLBACK")
            raise
        connection.execute("COMMIT")


def _statements(script: str) -> list[str]:
    # executescript() would commit the open transaction first; run the statements one by one inside it instead.
    statements: list[str] = []
    pending = ""
    for line in script.splitlines(keepends=True):
        pending += line
        if sqlite3.complete_statement(pending):
            statements.append(pending.strip())
            pending = ""
    return [statement for statement in statements if statement]
