"""One contract for every store behind the repository ports: SQLite always, Beanie on mongomock-motor always, Beanie
on a real MongoDB server when MONGODB_URL is set."""

from __future__ import annotations

import asyncio
import os
import uuid
from collections.abc import AsyncIterator, Awaitable, Callable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta, timezone
from pathlib import Path
from typing import Any

import msgspec
import pytest
import pytest_asyncio

from event_service.adapters.mongo import (
    EventDocument,
    MongoBatchRepository,
    MongoEventRepository,
    MongoMetricsRepository,
    connect,
    init_mongo,
)
from event_service.adapters.sqlite import (
    SqliteBatchRepository,
    SqliteDatabase,
    SqliteEventRepository,
    SqliteMetricsRepository,
)
from event_service.application.errors import DuplicateBatch
from event_service.application.ports import BatchRepository, EventRepository, MetricsRepository
from event_service.domain import Batch, BatchStatus, Event, IngestReport, RowError, StatusChange, report_fields
from tests.integration.stores import T0, make_batch, mongomock_connection

pytestmark = pytest.mark.asyncio

MONGODB_URL = os.environ.get("MONGODB_URL")

MS = int(T0.timestamp() * 1000)


@dataclass
class Store:
    batches: BatchRepository
    events: EventRepository
    metrics: MetricsRepository
    count_events: Callable[..., Awaitable[int]]
    """How many events are stored with the given field values (batch_id=..., event_id=...)."""


async def _sqlite(path: Path) -> AsyncIterator[Store]:
    database = SqliteDatabase(path / "store.sqlite3")
    database.open()

    async def count_events(**where: str) -> int:
        clause = " AND ".join(f"{column} = ?" for column in where) or "1"
        sql = f"SELECT count(*) FROM events WHERE {clause}"
        return await database.read(lambda connection: connection.execute(sql, tuple(where.values())).fetchone()[0])

    try:
        yield Store(
            SqliteBatchRepository(database),
            SqliteEventRepository(database),
            SqliteMetricsRepository(database),
            count_events,
        )
    finally:
        database.close()


async def _mongo(url: str | None) -> AsyncIterator[Store]:
    db_name = f"event_service_test_{uuid.uuid4().hex[:16]}"
    connection = mongomock_connection(db_name) if url is None else connect(url, db_name)

    async def count_events(**where: str) -> int:
        return await EventDocument.get_motor_collection().count_documents(where)

    try:
        await init_mongo(connection.database)
        yield Store(MongoBatchRepository(), MongoEventRepository(), MongoMetricsRepository(), count_events)
    finally:
        await connection.client.drop_database(db_name)
        connection.close()


@pytest_asyncio.fixture(
    params=[
        pytest.param("sqlite", id="sqlite"),
        pytest.param("mongomock", id="mongomock"),
        pytest.param(
            "mongodb",
            id="mongodb",
            marks=pytest.mark.skipif(not MONGODB_URL, reason="MONGODB_URL is not set: the real-server run is skipped"),
        ),
    ]
)
async def store(request: pytest.FixtureRequest, tmp_path: Path) -> AsyncIterator[Store]:
    stores = {
        "sqlite": lambda: _sqlite(tmp_path),
        "mongomock": lambda: _mongo(None),
        "mongodb": lambda: _mongo(MONGODB_URL),
    }
    async for built in stores[request.param]():
        yield built


def as_stored(batch: Batch, *history: StatusChange, **fields: Any) -> Batch:
    """What a store gives back for ``batch``: the batch as added, its status changes since then appended."""
    return msgspec.structs.replace(batch, history=[*batch.history, *history], **fields)


# --- batches ---------------------------------------------------------------------------------------------


async def test_a_batch_comes_back_with_every_field_in_utc_and_its_first_status(store: Store) -> None:
    batch = make_batch(idempotency_key="key-1")
    batch.enqueued_at = datetime(2025, 11, 13, 11, 0, 0, 5000, tzinfo=timezone(timedelta(hours=2)))
    await store.batches.add(batch)

    got = await store.batches.get("b1")
    assert got == as_stored(batch)
    assert got is not None
    assert got.status is BatchStatus.UPLOADED
    assert all(isinstance(e, RowError) for e in got.first_errors)
    for moment in (got.created_at, got.updated_at, got.enqueued_at, got.history[0].at):
        assert moment is not None
        assert moment.tzinfo is UTC
    assert got.enqueued_at == datetime(2025, 11, 13, 9, 0, 0, 5000, tzinfo=UTC)
    assert batch.history == [StatusChange(BatchStatus.UPLOADED, T0)]  # the caller's value is left alone

    assert await store.batches.find_by_sha256("sha-b1") == got
    assert await store.batches.find_by_idempotency_key("key-1") == got
    assert await store.batches.get("nope") is None
    assert await store.batches.find_by_sha256("nope") is None
    assert await store.batches.find_by_idempotency_key("nope") is None


async def test_duplicate_sha256_is_a_duplicate_batch(store: Store) -> None:
    await store.batches.add(make_batch("b1", sha256="same"))
    with pytest.raises(DuplicateBatch, match="sha256"):
        await store.batches.add(make_batch("b2", sha256="same"))
    assert await store.batches.get("b2") is None
    assert (await store.batches.find_by_sha256("same")).id == "b1"  # type: ignore[union-attr]


async def test_duplicate_idempotency_key_is_a_duplicate_batch_but_missing_keys_are_not(store: Store) -> None:
    await store.batches.add(make_batch("b1", idempotency_key="k"))
    with pytest.raises(DuplicateBatch, match="idempotency key"):
        await store.batches.add(make_batch("b2", idempotency_key="k"))
    assert await store.batches.get("b2") is None

    await store.batches.add(make_batch("b3", idempotency_key=None))
    await store.batches.add(make_batch("b4", idempotency_key=None))
    assert (await store.batches.get("b3")).idempotency_key is None  # type: ignore[union-attr]
    assert (await store.batches.get("b4")).idempotency_key is None  # type: ignore[union-attr]
    assert (await store.batches.list_recent(0, 10))[0] == 3


@pytest.mark.parametrize(
    ("first", "second", "message"),
    [
        (make_batch("b1", sha256="same"), make_batch("b2", sha256="same"), "sha256"),
        (make_batch("b1", idempotency_key="k"), make_batch("b2", idempotency_key="k"), "idempotency key"),
    ],
    ids=["sha256", "idempotency-key"],
)
async def test_of_two_concurrent_claims_exactly_one_wins(
    store: Store, first: Batch, second: Batch, message: str
) -> None:
    outcomes = await asyncio.gather(store.batches.add(first), store.batches.add(second), return_exceptions=True)
    failures = [outcome for outcome in outcomes if isinstance(outcome, BaseException)]
    assert len(failures) == 1
    assert isinstance(failures[0], DuplicateBatch)
    assert message in str(failures[0])
    winner = second if outcomes[0] is failures[0] else first
    loser = first if winner is second else second
    assert (await store.batches.get(winner.id)) is not None
    assert await store.batches.get(loser.id) is None
    assert (await store.batches.list_recent(0, 10))[0] == 1


async def test_a_claim_is_finished_once_with_the_reports_counts(store: Store) -> None:
    claim = msgspec.structs.replace(
        make_batch(),
        status=BatchStatus.INGESTING,
        **report_fields(IngestReport()),
        history=[StatusChange(BatchStatus.INGESTING, T0)],
    )
    await store.batches.add(claim)
    # The claim holds the sha256 and the key at once, before any row is stored.
    with pytest.raises(DuplicateBatch, match=r"same content \(sha256\)"):
        await store.batches.add(make_batch("b2", sha256=claim.sha256))
    report = IngestReport(
        rows_total=6,
        rows_accepted=3,
        rows_rejected=2,
        rows_duplicate=1,
        errors_total=2,
        first_errors=make_batch().first_errors,
        counts={"2025-11-13": {"a.b": 2, "$x": 1}},
    )
    later = T0 + timedelta(seconds=5)
    finished = await store.batches.finish_ingestion(claim.id, report, later)
    expected = msgspec.structs.replace(
        claim,
        status=BatchStatus.UPLOADED,
        updated_at=later,
        history=[StatusChange(BatchStatus.INGESTING, T0), StatusChange(BatchStatus.UPLOADED, later)],
        rows_total=6,
        rows_accepted=3,
        rows_rejected=2,
        rows_duplicate=1,
        errors_total=2,
        first_errors=make_batch().first_errors,
        counts={"2025-11-13": {"a.b": 2, "$x": 1}},
    )
    assert finished == expected
    assert await store.batches.get(claim.id) == expected
    # Only an ingesting batch is finished: a second call, or one for a swept claim, changes nothing.
    assert await store.batches.finish_ingestion(claim.id, IngestReport(), later) is None
    assert await store.batches.finish_ingestion("gone", report, later) is None
    assert await store.batches.get(claim.id) == expected


async def test_stale_claims_are_the_ingesting_batches_created_before_a_moment(store: Store) -> None:
    def claim(batch_id: str, created: datetime) -> Batch:
        return msgspec.structs.replace(
            make_batch(batch_id), status=BatchStatus.INGESTING, created_at=created, updated_at=created
        )

    await store.batches.add(claim("old", T0 - timedelta(hours=2)))
    await store.batches.add(claim("new", T0))
    await store.batches.add(msgspec.structs.replace(make_batch("done"), created_at=T0 - timedelta(hours=3)))
    assert await store.batches.stale_claims(T0 - timedelta(hours=1)) == ["old"]
    assert sorted(await store.batches.stale_claims(T0 + timedelta(seconds=1))) == ["new", "old"]


async def test_set_status_sets_the_fields_and_records_each_change(store: Store) -> None:
    await store.batches.add(make_batch())
    t1, t2, t3 = (T0 + timedelta(minutes=n) for n in (1, 2, 3))

    await store.batches.set_status("b1", BatchStatus.ENQUEUED, t1, enqueued_at=t1, job_key="process:b1")
    got = await store.batches.get("b1")
    assert got is not None
    assert (got.status, got.updated_at, got.enqueued_at, got.job_key) == (BatchStatus.ENQUEUED, t1, t1, "process:b1")
    assert got.created_at == T0
    assert got.processed_at is None

    await store.batches.set_status("b1", BatchStatus.PROCESSING, t2, attempts=1)
    await store.batches.set_status("b1", BatchStatus.FAILED, t2, last_error="boom")
    await store.batches.set_status("b1", BatchStatus.PROCESSED, t3, processed_at=t3, last_error=None)
    got = await store.batches.get("b1")
    assert got == as_stored(
        make_batch(),
        StatusChange(BatchStatus.ENQUEUED, t1),
        StatusChange(BatchStatus.PROCESSING, t2, attempt=1),
        StatusChange(BatchStatus.FAILED, t2, error="boom"),
        StatusChange(BatchStatus.PROCESSED, t3),
        status=BatchStatus.PROCESSED,
        updated_at=t3,
        enqueued_at=t1,
        processed_at=t3,
        job_key="process:b1",
        attempts=1,
    )

    with pytest.raises(ValueError, match="sha256"):
        await store.batches.set_status("b1", BatchStatus.PROCESSED, t2, sha256="forged")


async def test_mark_retrying_only_moves_the_attempt_that_still_runs(store: Store) -> None:
    await store.batches.add(make_batch())
    t1, t2 = T0 + timedelta(minutes=1), T0 + timedelta(minutes=2)
    await store.batches.set_status("b1", BatchStatus.PROCESSING, t1, attempts=2)

    assert await store.batches.mark_retrying("b1", 1, t2, "late report of attempt 1") is False
    assert await store.batches.mark_retrying("b1", 2, t2, "ConnectionError: down") is True
    got = await store.batches.get("b1")
    assert got is not None
    assert (got.status, got.attempts, got.last_error, got.updated_at) == (
        BatchStatus.ENQUEUED,
        2,
        "ConnectionError: down",
        t2,
    )
    assert got.history[1:] == [
        StatusChange(BatchStatus.PROCESSING, t1, attempt=2),
        StatusChange(BatchStatus.ENQUEUED, t2, attempt=2, error="ConnectionError: down"),
    ]
    assert await store.batches.mark_retrying("b1", 2, t2, "again") is False  # no longer processing
    assert len((await store.batches.get("b1")).history) == 3  # type: ignore[union-attr]
    assert await store.batches.mark_retrying("missing", 1, t2, "x") is False


async def test_concurrent_status_changes_all_land_in_the_history(store: Store) -> None:
    await store.batches.add(make_batch())
    moments = [T0 + timedelta(seconds=n) for n in range(1, 11)]
    await asyncio.gather(*(store.batches.set_status("b1", BatchStatus.ENQUEUED, at) for at in moments))
    got = await store.batches.get("b1")
    assert got is not None
    assert sorted(change.at for change in got.history[1:]) == moments


async def test_errors_are_listed_by_row_in_pages(store: Store) -> None:
    await store.batches.add(make_batch())
    await store.batches.add_errors("b1", [RowError(7, "user_id", "user_id: is empty"), RowError(2, None, "bad record")])
    await store.batches.add_errors(
        "b1",
        [RowError(4, "user_id", "user_id: is empty"), RowError(4, "timestamp", "timestamp: is empty")],
    )
    await store.batches.add_errors("other", [RowError(3, None, "not mine")])
    await store.batches.add_errors("b1", [])

    assert await store.batches.list_errors("b1", 0, 100) == [
        RowError(2, None, "bad record"),
        RowError(4, "user_id", "user_id: is empty"),
        RowError(4, "timestamp", "timestamp: is empty"),
        RowError(7, "user_id", "user_id: is empty"),
    ]
    assert await store.batches.list_errors("b1", 2, 2) == [
        RowError(4, "timestamp", "timestamp: is empty"),
        RowError(7, "user_id", "user_id: is empty"),
    ]
    assert await store.batches.list_errors("b1", 4, 2) == []
    assert await store.batches.list_errors("b1", 0, 0) == []
    assert await store.batches.list_errors("unknown", 0, 10) == []


async def test_delete_removes_the_batch_and_its_errors_only(store: Store) -> None:
    await store.batches.add(make_batch("b1"))
    await store.batches.add(make_batch("b2"))
    await store.batches.add_errors("b1", [RowError(2, None, "x")])
    await store.batches.add_errors("b2", [RowError(3, None, "y")])

    await store.batches.delete("b1")

    assert await store.batches.get("b1") is None
    assert await store.batches.find_by_sha256("sha-b1") is None
    assert await store.batches.list_errors("b1", 0, 10) == []
    assert await store.batches.get("b2") == as_stored(make_batch("b2"))
    assert await store.batches.list_errors("b2", 0, 10) == [RowError(3, None, "y")]
    await store.batches.add(make_batch("b1"))  # its sha256 is free again


async def test_recent_batches_come_newest_first_in_pages(store: Store) -> None:
    for index in range(4):
        batch = make_batch(f"b{index}", sha256=f"{index:064x}")
        batch.created_at = T0 + timedelta(minutes=min(index, 2))  # b2 and b3 tie: the id breaks it
        await store.batches.add(batch)
    total, page = await store.batches.list_recent(0, 2)
    _, rest = await store.batches.list_recent(2, 2)
    assert (total, [b.id for b in page], [b.id for b in rest]) == (4, ["b3", "b2"], ["b1", "b0"])
    assert await store.batches.list_recent(0, 0) == (4, [])
    assert await store.batches.list_recent(4, 2) == (4, [])


# --- events ----------------------------------------------------------------------------------------------


async def test_events_are_stored_and_deleted_by_batch(store: Store) -> None:
    await store.events.add_many(
        "b1",
        [
            Event("u1", "signup", MS, "2025-11-13"),
            Event("u2", "purchase", MS + 1, "2025-11-13", "e-2", {"plan": "pro"}),
            Event("u3", "signup", 86_400_000, "1970-01-02", None, {"plan": ""}),
        ],
    )
    await store.events.add_many("b2", [Event("u9", "signup", MS, "2025-11-13", "e-9")])
    assert await store.events.add_many("b2", []) == []
    assert (await store.count_events(batch_id="b1"), await store.count_events(batch_id="b2")) == (3, 1)

    await store.events.delete_batch("b1")
    assert (await store.count_events(batch_id="b1"), await store.count_events(batch_id="b2")) == (0, 1)


async def test_event_ids_are_stored_once_within_and_across_batches(store: Store) -> None:
    first = await store.events.add_many(
        "b1",
        [
            Event("u1", "signup", MS, "2025-11-13", "e-1"),
            Event("u2", "signup", MS, "2025-11-13"),
            Event("u1", "signup", MS, "2025-11-13", "e-1"),
            Event("u3", "signup", MS, "2025-11-13"),
            Event("u4", "signup", MS, "2025-11-13", "e-3"),
            Event("u1", "signup", MS, "2025-11-13", "e-1"),
        ],
    )
    second = await store.events.add_many(
        "b2",
        [
            Event("u4", "signup", MS, "2025-11-13", "e-2"),
            Event("u1", "signup", MS, "2025-11-13", "e-1"),
            Event("u5", "signup", MS, "2025-11-13"),
            Event("u4", "signup", MS, "2025-11-13", "e-2"),
            Event("u4", "signup", MS, "2025-11-13", "e-3"),
        ],
    )
    assert (first, second) == ([2, 5], [1, 3, 4])
    assert await store.count_events() == 6
    assert await store.count_events(event_id="e-1") == 1
    assert await store.count_events(batch_id="b1", event_id="e-1") == 1

    # Once its batch is gone, an id may be stored again.
    await store.events.delete_batch("b1")
    assert await store.events.add_many("b3", [Event("u1", "signup", MS, "2025-11-13", "e-1")]) == []


async def test_concurrent_inserts_of_one_id_store_it_once(store: Store) -> None:
    event = Event("u1", "signup", MS, "2025-11-13", "e-1")
    results = await asyncio.gather(*(store.events.add_many(f"b{n}", [event]) for n in range(5)))
    assert sorted(results) == [[], [0], [0], [0], [0]]
    assert await store.count_events(event_id="e-1") == 1


# --- metrics ---------------------------------------------------------------------------------------------


async def test_replacing_a_contribution_twice_is_idempotent(store: Store) -> None:
    counts = {"2025-11-12": {"signup": 2}, "2025-11-13": {"signup": 1, "purchase": 3}}
    for _ in range(2):
        assert await store.metrics.replace_contribution("b1", counts) == {"2025-11-12", "2025-11-13"}
        assert await store.metrics.recompute_day("2025-11-12") == {"signup": 2}
        assert await store.metrics.recompute_day("2025-11-13") == {"signup": 1, "purchase": 3}
    assert await store.metrics.daily_totals("2025-11-12") == {"signup": 2}
    assert await store.metrics.daily_totals("2025-11-13") == {"signup": 1, "purchase": 3}


async def test_contributions_of_two_batches_to_one_day_add_up(store: Store) -> None:
    await store.metrics.replace_contribution("b1", {"2025-11-13": {"signup": 1, "purchase": 3}})
    await store.metrics.replace_contribution(
        "b2", {"2025-11-13": {"signup": 4, "logout": 1}, "2025-11-14": {"a.b": 1, "$x": 2}}
    )
    assert await store.metrics.recompute_day("2025-11-13") == {"signup": 5, "purchase": 3, "logout": 1}
    assert await store.metrics.recompute_day("2025-11-14") == {"a.b": 1, "$x": 2}
    assert await store.metrics.daily_totals("2025-11-13") == {"signup": 5, "purchase": 3, "logout": 1}
    assert await store.metrics.daily_totals("2025-11-14") == {"a.b": 1, "$x": 2}


async def test_a_smaller_contribution_removes_the_old_days_share(store: Store) -> None:
    await store.metrics.replace_contribution("b1", {"2025-11-12": {"signup": 2}, "2025-11-13": {"signup": 1}})
    await store.metrics.replace_contribution("b2", {"2025-11-12": {"signup": 10}})
    for day in ("2025-11-12", "2025-11-13"):
        await store.metrics.recompute_day(day)
    assert await store.metrics.daily_totals("2025-11-12") == {"signup": 12}

    touched = await store.metrics.replace_contribution("b1", {"2025-11-13": {"signup": 7}})
    assert touched == {"2025-11-12", "2025-11-13"}
    for day in sorted(touched):
        await store.metrics.recompute_day(day)
    assert await store.metrics.daily_totals("2025-11-12") == {"signup": 10}
    assert await store.metrics.daily_totals("2025-11-13") == {"signup": 7}

    assert await store.metrics.replace_contribution("b1", {}) == {"2025-11-13"}
    assert await store.metrics.recompute_day("2025-11-13") == {}
    assert await store.metrics.daily_totals("2025-11-13") == {}


async def test_unknown_days_have_no_totals(store: Store) -> None:
    assert await store.metrics.daily_totals("2024-01-01") == {}
    assert await store.metrics.recompute_day("2024-01-01") == {}
    assert await store.metrics.daily_totals("2024-01-01") == {}
    assert await store.metrics.replace_contribution("b1", {}) == set()


async def test_concurrent_writers_and_recomputes_end_with_exact_totals(store: Store) -> None:
    days = ("2025-11-12", "2025-11-13")

    async def writer(n: int) -> None:
        # As processing a batch does: replace the contribution, then recompute every day it touched.
        touched = await store.metrics.replace_contribution(f"b{n}", {day: {"signup": n, "view": 1} for day in days})
        await asyncio.gather(*(store.metrics.recompute_day(day) for day in sorted(touched)))

    async def reader() -> None:
        for day in days:
            await store.metrics.recompute_day(day)

    await asyncio.gather(*(writer(n) for n in range(1, 13)), *(reader() for _ in range(6)))
    for day in days:
        assert await store.metrics.daily_totals(day) == {"signup": sum(range(1, 13)), "view": 12}


async def test_event_types_are_every_type_a_stored_batch_counts(store: Store) -> None:
    assert await store.batches.event_types() == set()
    await store.batches.add(make_batch("b1"))
    await store.batches.add(
        msgspec.structs.replace(make_batch("b2"), counts={"2025-11-14": {"a.b": 1, "$x": 2, "café": 1}})
    )
    assert await store.batches.event_types() == {"signup", "purchase", "a.b", "$x", "café"}
