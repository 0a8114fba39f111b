"""The application's repositories on the embedded SQLite store (see ``database.py`` for the threading).

Each method that writes does all its work in one transaction, so what the Mongo adapter gets from single-document
atomicity and unique indexes, this one gets from SQLite's serialized write transactions.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Callable, Mapping, Sequence
from datetime import UTC, datetime, timedelta
from typing import Any

import msgspec

from event_service.adapters.sqlite.database import SqliteDatabase
from event_service.application.errors import CorruptBatch, DuplicateBatch
from event_service.application.ports import check_settable
from event_service.domain import (
    DATETIME_FIELDS,
    Batch,
    BatchStatus,
    Event,
    IngestReport,
    RowError,
    report_fields,
    status_change,
    sum_type_counts,
)

_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)

_encode = msgspec.json.Encoder().encode
_batch_decoder = msgspec.json.Decoder(Batch)
_counts_decoder = msgspec.json.Decoder(dict[str, int])


def _utc(batch: Batch) -> Batch:
    """The batch with every datetime in UTC, so what is read back compares equal whatever offset was given."""
    changes = {name: moment.astimezone(UTC) for name in DATETIME_FIELDS if (moment := getattr(batch, name)) is not None}
    history = [msgspec.structs.replace(change, at=change.at.astimezone(UTC)) for change in batch.history]
    return msgspec.structs.replace(batch, history=history, **changes)


def _micros(moment: datetime) -> int:
    return (moment - _EPOCH) // timedelta(microseconds=1)


def _decode(batch_id: str, document: bytes) -> Batch:
    try:
        return _batch_decoder.decode(document)
    except msgspec.DecodeError as exc:
        raise CorruptBatch(batch_id, str(exc)) from exc


def _clashing_key(exc: sqlite3.IntegrityError) -> str | None:
    """The unique column the insert clashed on, from SQLite's message ("UNIQUE constraint failed: batches.sha256")."""
    return next((key for key in ("sha256", "idempotency_key", "id") if f"batches.{key}" in str(exc)), None)


class SqliteBatchRepository:
    def __init__(self, database: SqliteDatabase) -> None:
        self._db = database

    async def add(self, batch: Batch) -> None:
        stored = _utc(batch)
        row = (
            stored.id,
            stored.sha256,
            stored.idempotency_key,
            _micros(stored.created_at),
            BatchStatus(stored.status).value,
            _encode(stored),
        )

        def insert(connection: sqlite3.Connection) -> None:
            connection.execute(
                "INSERT INTO batches (id, sha256, idempotency_key, created_at_us, status, document)"
                " VALUES (?, ?, ?, ?, ?, ?)",
                row,
            )

        try:
            await self._db.write(insert)
        except sqlite3.IntegrityError as exc:
            raise DuplicateBatch.on(_clashing_key(exc)) from exc

    async def finish_ingestion(self, batch_id: str, report: IngestReport, at: datetime) -> Batch | None:
        at = at.astimezone(UTC)

        def finish(connection: sqlite3.Connection) -> Batch | None:
            row = connection.execute(
                "SELECT document FROM batches WHERE id = ? AND status = ?", (batch_id, BatchStatus.INGESTING.value)
            ).fetchone()
            if row is None:
                return None
            claim = _decode(batch_id, row[0])
            finished = msgspec.structs.replace(
                claim,
                status=BatchStatus.UPLOADED,
                updated_at=at,
                history=[*claim.history, status_change(BatchStatus.UPLOADED, at, {})],
                **report_fields(report),
            )
            connection.execute(
                "UPDATE batches SET status = ?, document = ? WHERE id = ?",
                (finished.status.value, _encode(finished), batch_id),
            )
            return finished

        return await self._db.write(finish)

    async def stale_claims(self, before: datetime) -> list[str]:
        def select(connection: sqlite3.Connection) -> list[str]:
            cursor = connection.execute(
                "SELECT id FROM batches WHERE status = ? AND created_at_us < ? ORDER BY created_at_us",
                (BatchStatus.INGESTING.value, _micros(before)),
            )
            return [batch_id for (batch_id,) in cursor]

        return await self._db.read(select)

    async def event_types(self) -> set[str]:
        def select(connection: sqlite3.Connection) -> set[str]:
            # counts is {day: {type: n}}. CAST: from SQLite 3.45 a BLOB argument would be read as JSONB.
            cursor = connection.execute(
                "SELECT DISTINCT per_type.key FROM batches,"
                " json_each(CAST(batches.document AS TEXT), '$.counts') AS per_day,"
                " json_each(per_day.value) AS per_type"
            )
            return {event_type for (event_type,) in cursor}

        return await self._db.read(select)

    async def get(self, batch_id: str) -> Batch | None:
        return await self._find("id", batch_id)

    async def find_by_sha256(self, sha256: str) -> Batch | None:
        return await self._find("sha256", sha256)

    async def find_by_idempotency_key(self, key: str) -> Batch | None:
        return await self._find("idempotency_key", key)

    async def _find(self, column: str, value: str) -> Batch | None:
        def select(connection: sqlite3.Connection) -> tuple[str, bytes] | None:
            # column is one of three names fixed above, never input.
            return connection.execute(f"SELECT id, document FROM batches WHERE {column} = ?", (value,)).fetchone()

        row = await self._db.read(select)
        return None if row is None else _decode(row[0], row[1])

    async def set_status(self, batch_id: str, status: BatchStatus, at: datetime, **fields: Any) -> None:
        check_settable(fields)
        await self._db.write(lambda connection: self._update(connection, batch_id, status, at, fields, None))

    async def mark_retrying(self, batch_id: str, attempt: int, at: datetime, last_error: str) -> bool:
        def guarded(batch: Batch) -> bool:
            return batch.status is BatchStatus.PROCESSING and batch.attempts == attempt

        return await self._db.write(
            lambda connection: self._update(
                connection, batch_id, BatchStatus.ENQUEUED, at, {"last_error": last_error}, guarded, attempt=attempt
            )
        )

    @staticmethod
    def _update(
        connection: sqlite3.Connection,
        batch_id: str,
        status: BatchStatus,
        at: datetime,
        fields: Mapping[str, Any],
        guard: Callable[[Batch], bool] | None,
        attempt: int | None = None,
    ) -> bool:
        """Read, change and write the batch in the caller's transaction; False if it is missing or ``guard`` says no."""
        row = connection.execute("SELECT document FROM batches WHERE id = ?", (batch_id,)).fetchone()
        if row is None:
            return False
        batch = _decode(batch_id, row[0])
        if guard is not None and not guard(batch):
            return False
        at = at.astimezone(UTC)
        changes = {
            name: value.astimezone(UTC) if isinstance(value, datetime) else value for name, value in fields.items()
        }
        entry = status_change(status, at, changes if attempt is None else {**changes, "attempts": attempt})
        updated = msgspec.structs.replace(
            batch, status=BatchStatus(status), updated_at=at, history=[*batch.history, entry], **changes
        )
        connection.execute(
            "UPDATE batches SET status = ?, document = ? WHERE id = ?",
            (updated.status.value, _encode(updated), batch_id),
        )
        return True

    async def add_errors(self, batch_id: str, errors: Sequence[RowError]) -> None:
        if not errors:
            return
        rows = [(batch_id, error.row, error.column, error.message) for error in errors]
        await self._db.write(
            lambda connection: connection.executemany(
                "INSERT INTO batch_errors (batch_id, row, column_name, message) VALUES (?, ?, ?, ?)", rows
            )
        )

    async def list_errors(self, batch_id: str, offset: int, limit: int) -> list[RowError]:
        if limit <= 0:
            return []

        def select(connection: sqlite3.Connection) -> list[RowError]:
            # A row can have several errors: insertion order (the rowid) keeps them as reported.
            cursor = connection.execute(
                "SELECT row, column_name, message FROM batch_errors WHERE batch_id = ?"
                " ORDER BY row, rowid LIMIT ? OFFSET ?",
                (batch_id, limit, max(offset, 0)),
            )
            return [RowError(row, column, message) for row, column, message in cursor]

        return await self._db.read(select)

    async def list_recent(self, offset: int, limit: int) -> tuple[int, list[Batch]]:
        def select(connection: sqlite3.Connection) -> tuple[int, list[tuple[str, bytes]]]:
            total = connection.execute("SELECT count(*) FROM batches").fetchone()[0]
            if limit <= 0:
                return total, []
            page = connection.execute(
                "SELECT id, document FROM batches ORDER BY created_at_us DESC, id DESC LIMIT ? OFFSET ?",
                (limit, max(offset, 0)),
            ).fetchall()
            return total, page

        total, page = await self._db.read(select)
        return total, [_decode(batch_id, document) for batch_id, document in page]

    async def delete(self, batch_id: str) -> None:
        def remove(connection: sqlite3.Connection) -> None:
            connection.execute("DELETE FROM batch_errors WHERE batch_id = ?", (batch_id,))
            connection.execute("DELETE FROM batches WHERE id = ?", (batch_id,))

        await self._db.write(remove)


class SqliteEventRepository:
    def __init__(self, database: SqliteDatabase) -> None:
        self._db = database

    async def add_many(self, batch_id: str, events: Sequence[Event]) -> list[int]:
        if not events:
            return []
        return await self._db.write(lambda connection: self._insert(connection, batch_id, events))

    @staticmethod
    def _insert(connection: sqlite3.Connection, batch_id: str, events: Sequence[Event]) -> list[int]:
        before = connection.execute("SELECT coalesce(max(rowid), 0) FROM events").fetchone()[0]
        changes = connection.total_changes
        # OR IGNORE skips a row whose event_id is stored, as Mongo's unordered insert does; the rows are built
        # lazily, on this thread, so no second copy of the chunk is held.
        connection.executemany(
            "INSERT OR IGNORE INTO events (batch_id, user_id, event_type, ts_ms, day, event_id, properties)"
            " VALUES (?, ?, ?, ?, ?, ?, ?)",
            (
                (
                    batch_id,
                    e.user_id,
                    e.event_type,
                    e.timestamp_ms,
                    e.day,
                    e.event_id,
                    None if e.properties is None else _encode(e.properties).decode(),
                )
                for e in events
            ),
        )
        if connection.total_changes - changes == len(events):
            return []
        # Some were skipped. The rows inserted now are those past the rowid read first, in order: the first
        # event with an id that was inserted now is stored, any other with that id is a duplicate.
        inserted = {
            event_id
            for (event_id,) in connection.execute(
                "SELECT event_id FROM events WHERE rowid > ? AND event_id IS NOT NULL", (before,)
            )
        }
        duplicates: list[int] = []
        for position, event in enumerate(events):
            if event.event_id is None:
                continue
            if event.event_id in inserted:
                inserted.discard(event.event_id)
            else:
                duplicates.append(position)
        return duplicates

    async def delete_batch(self, batch_id: str) -> None:
        await self._db.write(
            lambda connection: connection.execute("DELETE FROM events WHERE batch_id = ?", (batch_id,))
        )


class SqliteMetricsRepository:
    """Daily totals as the sum of per-batch contributions.

    A recompute sums and stores in one write transaction, and write transactions never interleave (one writer
    thread per process, turns across processes): no writer can overtake it, so the revision guard MongoDB needs has
    nothing to guard here. (The ``revision`` column of the first schema stays, unused, for existing files.)
    """

    def __init__(self, database: SqliteDatabase) -> None:
        self._db = database

    async def replace_contribution(self, batch_id: str, counts: Mapping[str, Mapping[str, int]]) -> set[str]:
        new_counts = {day: {t: int(n) for t, n in per_type.items()} for day, per_type in counts.items() if per_type}

        def replace(connection: sqlite3.Connection) -> set[str]:
            old_days = {
                day for (day,) in connection.execute("SELECT day FROM contributions WHERE batch_id = ?", (batch_id,))
            }
            connection.execute("DELETE FROM contributions WHERE batch_id = ?", (batch_id,))
            connection.executemany(
                "INSERT INTO contributions (batch_id, day, counts) VALUES (?, ?, ?)",
                [(batch_id, day, _encode(per_type).decode()) for day, per_type in new_counts.items()],
            )
            return old_days | set(counts)

        return await self._db.write(replace)

    async def recompute_day(self, day: str) -> dict[str, int]:
        def recompute(connection: sqlite3.Connection) -> dict[str, int]:
            parts = connection.execute("SELECT counts FROM contributions WHERE day = ?", (day,))
            totals = sum_type_counts([_counts_decoder.decode(counts) for (counts,) in parts])
            connection.execute(
                "INSERT INTO daily_totals (day, counts) VALUES (?, ?)"
                " ON CONFLICT (day) DO UPDATE SET counts = excluded.counts",
                (day, _encode(totals).decode()),
            )
            return totals

        return await self._db.write(recompute)

    async def daily_totals(self, day: str) -> dict[str, int]:
        row = await self._db.read(
            lambda connection: connection.execute("SELECT counts FROM daily_totals WHERE day = ?", (day,)).fetchone()
        )
        return {} if row is None else _counts_decoder.decode(row[0])
