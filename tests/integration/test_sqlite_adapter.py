"""What only the SQLite store has: its file, its schema version and migrations, WAL, corrupt documents."""

from __future__ import annotations

import os
import sqlite3
from datetime import UTC, datetime
from pathlib import Path

import pytest

from event_service.adapters.sqlite import (
    SCHEMA_VERSION,
    SchemaTooNew,
    SqliteBatchRepository,
    SqliteDatabase,
    SqliteMetricsRepository,
    SqliteUnavailable,
)
from event_service.adapters.sqlite import database as database_module
from event_service.application.errors import CorruptBatch
from event_service.domain import Batch, RowError

pytestmark = pytest.mark.asyncio

T0 = datetime(2025, 11, 13, 9, 30, tzinfo=UTC)


def _batch(batch_id: str) -> Batch:
    return Batch(
        id=batch_id,
        filename=None,
        sha256=f"sha-{batch_id}",
        size_bytes=1,
        rows_total=1,
        rows_accepted=1,
        rows_rejected=0,
        errors_total=0,
        first_errors=[],
        counts={"2025-11-13": {"signup": 1}},
        created_at=T0,
        updated_at=T0,
    )


async def test_the_file_and_its_folder_are_created_in_wal_mode_at_the_current_schema(tmp_path: Path) -> None:
    path = tmp_path / "nested" / "event-service.sqlite3"
    database = SqliteDatabase(path)
    database.open()
    database.close()
    with sqlite3.connect(path) as raw:
        assert raw.execute("PRAGMA journal_mode").fetchone() == ("wal",)
        assert raw.execute("PRAGMA user_version").fetchone() == (SCHEMA_VERSION,)
    raw.close()


async def test_data_survives_closing_and_opening_the_file_again(tmp_path: Path) -> None:
    path = tmp_path / "store.sqlite3"
    database = SqliteDatabase(path)
    database.open()
    await SqliteBatchRepository(database).add(_batch("b1"))
    await SqliteMetricsRepository(database).replace_contribution("b1", {"2025-11-13": {"signup": 1}})
    await SqliteMetricsRepository(database).recompute_day("2025-11-13")
    database.close()

    reopened = SqliteDatabase(path)
    reopened.open()  # the migrations have run: nothing to do, nothing lost
    try:
        assert (await SqliteBatchRepository(reopened).get("b1")).id == "b1"  # type: ignore[union-attr]
        assert await SqliteMetricsRepository(reopened).daily_totals("2025-11-13") == {"signup": 1}
    finally:
        reopened.close()


async def test_a_file_from_a_newer_release_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "store.sqlite3"
    with sqlite3.connect(path) as raw:
        raw.execute(f"PRAGMA user_version = {SCHEMA_VERSION + 1}")
    raw.close()
    with pytest.raises(SchemaTooNew, match="run a release at least as new"):
        SqliteDatabase(path).open()


async def test_reads_go_on_while_a_write_transaction_is_open(tmp_path: Path) -> None:
    path = tmp_path / "store.sqlite3"
    database = SqliteDatabase(path)
    database.open()
    batches = SqliteBatchRepository(database)
    await batches.add(_batch("b1"))
    # Another process holding the write lock: WAL readers still see the last committed state.
    other = sqlite3.connect(path, isolation_level=None)
    other.execute("BEGIN IMMEDIATE")
    other.execute("DELETE FROM batches")
    try:
        assert (await batches.get("b1")).id == "b1"  # type: ignore[union-attr]
    finally:
        other.execute("ROLLBACK")
        other.close()
        database.close()


async def test_a_stored_batch_that_cannot_be_read_is_corrupt(tmp_path: Path) -> None:
    database = SqliteDatabase(tmp_path / "store.sqlite3")
    database.open()
    batches = SqliteBatchRepository(database)
    await batches.add(_batch("b1"))
    await database.write(
        lambda connection: connection.execute(
            "UPDATE batches SET document = json_set(document, '$.status', 'exploded') WHERE id = 'b1'"
        )
    )
    try:
        with pytest.raises(CorruptBatch, match=r"batch b1 is corrupt: .*exploded"):
            await batches.get("b1")
    finally:
        database.close()


async def test_a_file_another_program_keeps_locked_is_unavailable_until_it_lets_go(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A backup or a sqlite3 shell holding the write lock past the busy timeout: an outage to wait out (the HTTP
    layer answers 503), not a bug; the next write after it lets go succeeds."""
    monkeypatch.setattr(database_module, "BUSY_TIMEOUT_MS", 50)
    path = tmp_path / "store.sqlite3"
    database = SqliteDatabase(path)
    database.open()
    other = sqlite3.connect(path, isolation_level=None)
    try:
        other.execute("BEGIN EXCLUSIVE")
        with pytest.raises(SqliteUnavailable, match=r"^SQLite is unavailable \(SQLITE_BUSY: database is locked\)$"):
            await SqliteBatchRepository(database).add(_batch("b1"))
        other.execute("ROLLBACK")
        await SqliteBatchRepository(database).add(_batch("b1"))
        assert (await SqliteBatchRepository(database).get("b1")).id == "b1"
    finally:
        other.close()
        database.close()


async def test_a_full_disk_is_unavailable_and_the_write_is_rolled_back(tmp_path: Path) -> None:
    """SQLite rolls a transaction back by itself when the disk fills: the store must not fail again on ROLLBACK
    (which raised "no transaction is active" and hid the cause), and keeps nothing of the write."""
    database = SqliteDatabase(tmp_path / "store.sqlite3")
    database.open()
    try:
        pages = await database.write(lambda connection: connection.execute("PRAGMA page_count").fetchone()[0])
        await database.write(lambda connection: connection.execute(f"PRAGMA max_page_count = {pages}"))
        big = _batch("big")
        big.first_errors = [RowError(row, None, "x" * 2000) for row in range(1, 200)]
        with pytest.raises(SqliteUnavailable, match=r"SQLITE_FULL: database or disk is full"):
            await SqliteBatchRepository(database).add(big)
        await database.write(lambda connection: connection.execute("PRAGMA max_page_count = 1000000"))
        assert await SqliteBatchRepository(database).get("big") is None
        await SqliteBatchRepository(database).add(big)
        assert len((await SqliteBatchRepository(database).get("big")).first_errors) == 199
    finally:
        database.close()


async def test_a_file_locked_at_start_up_is_unavailable_and_leaks_nothing(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(database_module, "BUSY_TIMEOUT_MS", 50)
    path = tmp_path / "store.sqlite3"
    other = sqlite3.connect(path, isolation_level=None)
    database = SqliteDatabase(path)
    try:
        other.execute("BEGIN EXCLUSIVE")  # a new file, not yet in WAL mode: nobody else may even read it
        with pytest.raises(SqliteUnavailable, match=r"SQLITE_BUSY"):
            database.open()
        # (SQLite itself keeps a closed connection's descriptor of the file while this process holds a lock on it.)
        assert not [fd for fd in os.listdir("/proc/self/fd") if _points_to(fd, "store.sqlite3.writer-lock")]
        other.execute("ROLLBACK")
        database.open()
        assert database.opened
    finally:
        other.close()
        database.close()


def _points_to(fd: str, name: str) -> bool:
    try:
        return os.readlink(f"/proc/self/fd/{fd}").endswith(name)
    except OSError:  # the descriptor listdir itself used, gone since
        return False
