"""One SQLite file in WAL mode, used from asyncio without blocking the event loop.

All writes go through one connection on one dedicated thread, each unit of work in its own ``BEGIN IMMEDIATE``
transaction: writers in this process queue up behind each other instead of contending for SQLite's file lock.
Writers in other processes sharing the file (``api`` and ``worker`` processes on one machine) take turns on an
advisory lock file first: the kernel wakes the next one the moment a transaction ends, where SQLite's own busy
handler polls with sleeps that grow to 100 ms, so one process could wait out many short transactions of another
(two workers drained a queue at 0.97x one in such a round). ``busy_timeout`` still covers other programs (a backup).
Reads run on a small pool of
threads, each with its own connection; WAL lets them read while a write is under way.

A file that cannot be used for now (locked by another program past the busy timeout, the disk full, an I/O error,
a read-only or vanished file) raises ``SqliteUnavailable``: an outage to wait out, as a MongoDB or Redis one is,
where other SQLite errors are bugs.
"""

from __future__ import annotations

import asyncio
import contextlib
import fcntl
import os
import sqlite3
import threading
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import TypeVar

from event_service.adapters.sqlite.schema import migrate

T = TypeVar("T")

BUSY_TIMEOUT_MS = 30_000
"""How long a write waits for SQLite's lock, held by another program's transaction on the file (a backup, a shell),
before it fails. Between this service's own processes a write first waits its turn on the lock file, without a
limit: each turn is one transaction, itself bounded by this timeout."""

_OUTAGE_CODES = frozenset(
    {
        sqlite3.SQLITE_BUSY,
        sqlite3.SQLITE_LOCKED,
        sqlite3.SQLITE_FULL,
        sqlite3.SQLITE_IOERR,
        sqlite3.SQLITE_READONLY,
        sqlite3.SQLITE_CANTOPEN,
    }
)
"""Primary result codes of a file that cannot be used for now (the extended codes add detail in the high bits)."""


class SqliteUnavailable(Exception):
    """The SQLite file cannot be used for now; the message names SQLite's reason (never a path)."""


@contextlib.contextmanager
def _outages() -> Iterator[None]:
    try:
        yield
    except sqlite3.Error as exc:
        code = getattr(exc, "sqlite_errorcode", None)
        if code is None or code & 0xFF not in _OUTAGE_CODES:
            raise
        raise SqliteUnavailable(f"SQLite is unavailable ({exc.sqlite_errorname}: {exc})") from exc


def _connect(path: Path) -> sqlite3.Connection:
    # isolation_level=None: no implicit transactions; the writer opens its own, reads are single statements.
    connection = sqlite3.connect(path, isolation_level=None, check_same_thread=False)
    try:
        connection.execute(f"PRAGMA busy_timeout = {BUSY_TIMEOUT_MS}")
        # NORMAL in WAL mode: a commit is durable once the WAL is checkpointed; a power cut may lose the last
        # commits, never corrupt the file.
        connection.execute("PRAGMA synchronous = NORMAL")
    except BaseException:
        connection.close()  # a file locked by another program: no descriptor left behind
        raise
    return connection


class SqliteDatabase:
    def __init__(self, path: Path, readers: int = 2) -> None:
        self.path = path
        self._readers = readers
        self._writer_executor: ThreadPoolExecutor | None = None
        self._reader_executor: ThreadPoolExecutor | None = None
        self._writer: sqlite3.Connection | None = None
        self._turns: int | None = None
        self._local = threading.local()
        self._reader_connections: list[sqlite3.Connection] = []
        self._lock = threading.Lock()

    @property
    def opened(self) -> bool:
        return self._writer is not None

    def open(self) -> None:
        """Create the file (and its folder) if needed, switch it to WAL and run the pending migrations."""
        if self._writer is not None:
            return
        self.path.parent.mkdir(parents=True, exist_ok=True)
        self._turns = os.open(self.path.with_name(self.path.name + ".writer-lock"), os.O_RDWR | os.O_CREAT, 0o600)
        writer: sqlite3.Connection | None = None
        try:
            with _outages():
                writer = _connect(self.path)
                writer.execute("PRAGMA journal_mode = WAL")
                with self._turn():
                    migrate(writer)
        except BaseException:
            # close() does nothing for a database that never opened: what this call opened is closed here.
            if writer is not None:
                writer.close()
            os.close(self._turns)
            self._turns = None
            raise
        self._writer = writer
        self._writer_executor = ThreadPoolExecutor(max_workers=1, thread_name_prefix="sqlite-writer")
        self._reader_executor = ThreadPoolExecutor(max_workers=self._readers, thread_name_prefix="sqlite-reader")

    def close(self) -> None:
        if self._writer is None:
            return
        assert self._writer_executor is not None
        assert self._reader_executor is not None
        self._writer_executor.shutdown(wait=True)
        self._reader_executor.shutdown(wait=True)
        with self._lock:
            for connection in self._reader_connections:
                connection.close()
            self._reader_connections.clear()
        self._writer.close()
        self._writer = None
        if self._turns is not None:
            os.close(self._turns)
            self._turns = None
        self._local = threading.local()

    async def write(self, work: Callable[[sqlite3.Connection], T]) -> T:
        """Run ``work(connection)`` in one write transaction on the writer thread; rolled back if it raises.

        If the caller is cancelled, the transaction still runs to its end: it is never left half done.
        """
        if self._writer_executor is None:
            raise RuntimeError("the SQLite store is not open")
        return await asyncio.get_running_loop().run_in_executor(self._writer_executor, self._transaction, work)

    async def read(self, work: Callable[[sqlite3.Connection], T]) -> T:
        """Run ``work(connection)`` on a reader thread, in one read transaction (a consistent snapshot)."""
        if self._reader_executor is None:
            raise RuntimeError("the SQLite store is not open")
        return await asyncio.get_running_loop().run_in_executor(self._reader_executor, self._snapshot, work)

    def _transaction(self, work: Callable[[sqlite3.Connection], T]) -> T:
        connection = self._writer
        assert connection is not None
        # IMMEDIATE takes the write lock up front, so a transaction that reads then writes never has to be
        # retried because another process wrote in between.
        with _outages(), self._turn():
            connection.execute("BEGIN IMMEDIATE")
            try:
                result = work(connection)
                connection.execute("COMMIT")
            except BaseException:
                # SQLite may have rolled back already (a full disk, an I/O error): ROLLBACK would then fail.
                if connection.in_transaction:
                    connection.execute("ROLLBACK")
                raise
        return result

    @contextlib.contextmanager
    def _turn(self) -> Iterator[None]:
        """This process's turn to write, among the processes of this service sharing the file."""
        assert self._turns is not None
        fcntl.flock(self._turns, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(self._turns, fcntl.LOCK_UN)

    def _snapshot(self, work: Callable[[sqlite3.Connection], T]) -> T:
        connection: sqlite3.Connection | None = getattr(self._local, "connection", None)
        with _outages():
            if connection is None:
                connection = _connect(self.path)
                connection.execute("PRAGMA query_only = ON")
                self._local.connection = connection
                with self._lock:
                    self._reader_connections.append(connection)
            connection.execute("BEGIN")
            try:
                return work(connection)
            finally:
                if connection.in_transaction:
                    connection.execute("COMMIT")
