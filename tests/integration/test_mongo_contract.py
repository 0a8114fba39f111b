"""Contract of the MongoDB repositories, run on mongomock-motor always and on a real server with MONGODB_URL."""

from __future__ import annotations

import os
import uuid
from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta, timezone

import pytest
import pytest_asyncio

from event_service.adapters.mongo import (
    BatchDocument,
    BatchErrorDocument,
    ContributionDocument,
    DailyTotalDocument,
    EventDocument,
    MongoBatchRepository,
    MongoConnection,
    MongoEventRepository,
    MongoMetricsRepository,
    connect,
    init_mongo,
)
from event_service.application.errors import CorruptBatch, DuplicateBatch
from event_service.domain import Batch, BatchStatus, Event, RowError

pytestmark = pytest.mark.asyncio

MONGODB_URL = os.environ.get("MONGODB_URL")

BACKENDS = [
    pytest.param("mongomock", id="mongomock"),
    pytest.param(
        "mongodb",
        id="mongodb",
        marks=pytest.mark.skipif(
            not MONGODB_URL, reason="MONGODB_URL is not set: the real-server contract run is skipped"
        ),
    ),
]

T0 = datetime(2025, 11, 13, 9, 30, 0, 123000, tzinfo=UTC)  # Mongo keeps milliseconds


@pytest_asyncio.fixture(params=BACKENDS)
async def mongo(request: pytest.FixtureRequest) -> AsyncIterator[MongoConnection]:
    db_name = f"event_service_test_{uuid.uuid4().hex[:16]}"
    connection = connect(None if request.param == "mongomock" else MONGODB_URL, db_name)
    try:
        await init_mongo(connection.database)
        yield connection
    finally:
        await connection.client.drop_database(db_name)
        connection.close()


def make_batch(batch_id: str = "b1", *, sha256: str | None = None, idempotency_key: str | None = None) -> Batch:
    return Batch(
        id=batch_id,
        filename=f"{batch_id}.csv",
        sha256=sha256 or f"sha-{batch_id}",
        size_bytes=1234,
        rows_total=5,
        rows_accepted=3,
        rows_rejected=2,
        errors_total=2,
        first_errors=[
            RowError(3, "timestamp", 'timestamp: "x" is not an ISO 8601 date-time'),
            RowError(5, None, "record has 2 fields; the header has 3"),
        ],
        counts={"2025-11-12": {"signup": 1}, "2025-11-13": {"signup": 1, "purchase": 1}},
        created_at=T0,
        updated_at=T0,
        idempotency_key=idempotency_key,
    )


# --- indexes ---------------------------------------------------------------------------------------------


async def test_init_declares_the_indexes_and_can_run_again(mongo: MongoConnection) -> None:
    await init_mongo(mongo.database)  # a second start must not conflict with the existing indexes
    batches = await BatchDocument.get_motor_collection().index_information()
    assert batches["sha256_unique"]["unique"] is True
    assert batches["idempotency_key_unique"]["unique"] is True
    assert batches["idempotency_key_unique"]["partialFilterExpression"] == {"idempotency_key": {"$type": "string"}}
    assert list(batches["created_at_desc"]["key"]) == [("created_at", -1)]
    events = await EventDocument.get_motor_collection().index_information()
    assert list(events["batch_id"]["key"]) == [("batch_id", 1)]
    assert list(events["day_event_type"]["key"]) == [("day", 1), ("event_type", 1)]
    assert (events["event_id_unique"]["unique"], events["event_id_unique"]["sparse"]) == (True, True)
    errors = await BatchErrorDocument.get_motor_collection().index_information()
    assert list(errors["batch_id_row"]["key"]) == [("batch_id", 1), ("row", 1)]
    contributions = await ContributionDocument.get_motor_collection().index_information()
    assert {"day", "batch_id"} <= contributions.keys()


# --- batches ---------------------------------------------------------------------------------------------


async def test_batch_roundtrip_keeps_every_field_and_utc_datetimes(mongo: MongoConnection) -> None:
    repo = MongoBatchRepository()
    batch = make_batch(idempotency_key="key-1")
    batch.enqueued_at = datetime(2025, 11, 13, 11, 0, 0, 5000, tzinfo=timezone(timedelta(hours=2)))
    await repo.add(batch)

    got = await repo.get("b1")
    assert got == batch
    assert got is not None
    assert got.status is BatchStatus.UPLOADED
    assert got.first_errors == batch.first_errors
    assert all(isinstance(e, RowError) for e in got.first_errors)
    for moment in (got.created_at, got.updated_at, got.enqueued_at):
        assert moment is not None
        assert moment.tzinfo is UTC
    assert got.enqueued_at == datetime(2025, 11, 13, 9, 0, 0, 5000, tzinfo=UTC)
    assert got.processed_at is None

    assert await repo.find_by_sha256("sha-b1") == batch
    assert await repo.find_by_idempotency_key("key-1") == batch
    assert await repo.get("nope") is None
    assert await repo.find_by_sha256("nope") is None
    assert await repo.find_by_idempotency_key("nope") is None

    raw = await BatchDocument.get_motor_collection().find_one({"_id": "b1"})
    assert raw is not None
    assert raw["status"] == "uploaded"
    assert raw["first_errors"] == [
        {"row": 3, "column": "timestamp", "message": 'timestamp: "x" is not an ISO 8601 date-time'},
        {"row": 5, "column": None, "message": "record has 2 fields; the header has 3"},
    ]
    assert raw["counts"] == {"2025-11-12": {"signup": 1}, "2025-11-13": {"signup": 1, "purchase": 1}}


async def test_naive_datetimes_from_a_client_without_tz_aware_come_back_as_utc() -> None:
    from mongomock_motor import AsyncMongoMockClient

    client = AsyncMongoMockClient()  # not tz_aware: Mongo hands back naive UTC datetimes
    await init_mongo(client[f"event_service_test_{uuid.uuid4().hex[:16]}"])
    repo = MongoBatchRepository()
    await repo.add(make_batch())
    raw = await BatchDocument.get_motor_collection().find_one({"_id": "b1"})
    assert raw is not None
    assert raw["created_at"].tzinfo is None
    got = await repo.get("b1")
    assert got == make_batch()
    assert got is not None
    assert got.created_at.tzinfo is UTC


async def test_duplicate_sha256_is_a_duplicate_batch(mongo: MongoConnection) -> None:
    repo = MongoBatchRepository()
    await repo.add(make_batch("b1", sha256="same"))
    with pytest.raises(DuplicateBatch, match="sha256"):
        await repo.add(make_batch("b2", sha256="same"))
    assert await repo.get("b2") is None
    assert (await repo.find_by_sha256("same")).id == "b1"  # type: ignore[union-attr]


async def test_duplicate_idempotency_key_is_a_duplicate_batch_but_missing_keys_are_not(
    mongo: MongoConnection,
) -> None:
    repo = MongoBatchRepository()
    await repo.add(make_batch("b1", idempotency_key="k"))
    with pytest.raises(DuplicateBatch, match="idempotency key"):
        await repo.add(make_batch("b2", idempotency_key="k"))
    assert await repo.get("b2") is None

    await repo.add(make_batch("b3", idempotency_key=None))
    await repo.add(make_batch("b4", idempotency_key=None))
    assert (await repo.get("b3")).idempotency_key is None  # type: ignore[union-attr]
    assert (await repo.get("b4")).idempotency_key is None  # type: ignore[union-attr]
    assert await BatchDocument.get_motor_collection().count_documents({}) == 3


async def test_set_status_sets_status_updated_at_and_the_given_fields(mongo: MongoConnection) -> None:
    repo = MongoBatchRepository()
    await repo.add(make_batch())
    t1, t2 = T0 + timedelta(minutes=1), T0 + timedelta(minutes=2)

    await repo.set_status("b1", BatchStatus.ENQUEUED, t1, enqueued_at=t1, job_key="process:b1")
    got = await repo.get("b1")
    assert got is not None
    assert (got.status, got.updated_at, got.enqueued_at, got.job_key) == (BatchStatus.ENQUEUED, t1, t1, "process:b1")
    assert got.created_at == T0
    assert got.processed_at is None

    await repo.set_status("b1", BatchStatus.FAILED, t2, last_error="boom")
    await repo.set_status("b1", BatchStatus.PROCESSED, t2, processed_at=t2, last_error=None)
    got = await repo.get("b1")
    assert got is not None
    assert (got.status, got.updated_at, got.processed_at, got.last_error) == (BatchStatus.PROCESSED, t2, t2, None)
    assert got.enqueued_at == t1
    assert got.job_key == "process:b1"
    assert got.counts == make_batch().counts

    with pytest.raises(ValueError, match="sha256"):
        await repo.set_status("b1", BatchStatus.PROCESSED, t2, sha256="forged")


async def test_mark_retrying_only_moves_the_attempt_that_still_runs(mongo: MongoConnection) -> None:
    repo = MongoBatchRepository()
    await repo.add(make_batch())
    t1, t2 = T0 + timedelta(minutes=1), T0 + timedelta(minutes=2)
    await repo.set_status("b1", BatchStatus.PROCESSING, t1, attempts=2)

    assert await repo.mark_retrying("b1", 1, t2, "late report of attempt 1") is False
    assert await repo.mark_retrying("b1", 2, t2, "ConnectionError: down") is True
    got = await repo.get("b1")
    assert got is not None
    assert (got.status, got.attempts, got.last_error, got.updated_at) == (
        BatchStatus.ENQUEUED,
        2,
        "ConnectionError: down",
        t2,
    )
    assert await repo.mark_retrying("b1", 2, t2, "again") is False  # no longer processing
    assert await repo.mark_retrying("missing", 1, t2, "x") is False


async def test_a_stored_batch_that_cannot_be_read_is_corrupt(mongo: MongoConnection) -> None:
    repo = MongoBatchRepository()
    await repo.add(make_batch("b1"))
    await repo.add(make_batch("b2"))
    collection = BatchDocument.get_motor_collection()
    await collection.update_one({"_id": "b1"}, {"$set": {"status": "exploded"}})
    await collection.update_one({"_id": "b2"}, {"$set": {"counts": {"2025-11-13": {"signup": "many"}}}})
    with pytest.raises(CorruptBatch, match=r"batch b1 is corrupt: .*exploded"):
        await repo.get("b1")
    with pytest.raises(CorruptBatch, match="batch b2 is corrupt"):
        await repo.get("b2")


async def test_errors_are_listed_by_row_in_pages(mongo: MongoConnection) -> None:
    repo = MongoBatchRepository()
    await repo.add(make_batch())
    await repo.add_errors("b1", [RowError(7, "user_id", "user_id: is empty"), RowError(2, None, "bad record")])
    await repo.add_errors(
        "b1",
        [RowError(4, "user_id", "user_id: is empty"), RowError(4, "timestamp", "timestamp: is empty")],
    )
    await repo.add_errors("other", [RowError(3, None, "not mine")])
    await repo.add_errors("b1", [])

    assert await repo.list_errors("b1", 0, 100) == [
        RowError(2, None, "bad record"),
        RowError(4, "user_id", "user_id: is empty"),
        RowError(4, "timestamp", "timestamp: is empty"),
        RowError(7, "user_id", "user_id: is empty"),
    ]
    assert await repo.list_errors("b1", 0, 2) == [
        RowError(2, None, "bad record"),
        RowError(4, "user_id", "user_id: is empty"),
    ]
    assert await repo.list_errors("b1", 2, 2) == [
        RowError(4, "timestamp", "timestamp: is empty"),
        RowError(7, "user_id", "user_id: is empty"),
    ]
    assert await repo.list_errors("b1", 4, 2) == []
    assert await repo.list_errors("b1", 0, 0) == []
    assert await repo.list_errors("unknown", 0, 10) == []


async def test_delete_removes_the_batch_and_its_errors_only(mongo: MongoConnection) -> None:
    repo = MongoBatchRepository()
    await repo.add(make_batch("b1"))
    await repo.add(make_batch("b2"))
    await repo.add_errors("b1", [RowError(2, None, "x")])
    await repo.add_errors("b2", [RowError(3, None, "y")])

    await repo.delete("b1")

    assert await repo.get("b1") is None
    assert await repo.find_by_sha256("sha-b1") is None
    assert await repo.list_errors("b1", 0, 10) == []
    assert await repo.get("b2") == make_batch("b2")
    assert await repo.list_errors("b2", 0, 10) == [RowError(3, None, "y")]
    await repo.add(make_batch("b1"))  # its sha256 is free again


# --- events ----------------------------------------------------------------------------------------------


async def test_events_are_stored_as_raw_documents_and_deleted_by_batch(mongo: MongoConnection) -> None:
    repo = MongoEventRepository()
    ms = int(T0.timestamp() * 1000)
    await repo.add_many(
        "b1",
        [
            Event("u1", "signup", ms, "2025-11-13"),
            Event("u2", "purchase", ms + 1, "2025-11-13", "e-2", {"plan": "pro"}),
            Event("u3", "signup", 86_400_000, "1970-01-02", None, {"plan": ""}),
        ],
    )
    await repo.add_many("b2", [Event("u9", "signup", ms, "2025-11-13", "e-9")])
    await repo.add_many("b2", [])

    events = EventDocument.get_motor_collection()
    stored = await events.find({"batch_id": "b1"}, {"_id": 0}).sort("user_id", 1).to_list(None)
    assert stored == [
        {"batch_id": "b1", "user_id": "u1", "event_type": "signup", "ts": T0, "day": "2025-11-13"},
        {
            "batch_id": "b1",
            "user_id": "u2",
            "event_type": "purchase",
            "ts": T0 + timedelta(milliseconds=1),
            "day": "2025-11-13",
            "event_id": "e-2",
            "props": {"plan": "pro"},
        },
        {
            "batch_id": "b1",
            "user_id": "u3",
            "event_type": "signup",
            "ts": datetime(1970, 1, 2, tzinfo=UTC),
            "day": "1970-01-02",
            "props": {"plan": ""},
        },
    ]
    assert all(document["ts"].utcoffset() == timedelta(0) for document in stored)
    assert await events.count_documents({"batch_id": "b1"}) == 3
    assert await events.count_documents({"batch_id": "b2"}) == 1

    await repo.delete_batch("b1")
    assert await events.count_documents({"batch_id": "b1"}) == 0
    assert await events.count_documents({"batch_id": "b2"}) == 1


async def test_event_ids_are_stored_once_across_batches(mongo: MongoConnection) -> None:
    repo = MongoEventRepository()
    ms = int(T0.timestamp() * 1000)
    first = await repo.add_many(
        "b1",
        [
            Event("u1", "signup", ms, "2025-11-13", "e-1"),
            Event("u2", "signup", ms, "2025-11-13"),
            Event("u1", "signup", ms, "2025-11-13", "e-1"),
            Event("u3", "signup", ms, "2025-11-13"),
        ],
    )
    second = await repo.add_many(
        "b2", [Event("u4", "signup", ms, "2025-11-13", "e-2"), Event("u1", "signup", ms, "2025-11-13", "e-1")]
    )
    assert (first, second) == ([2], [1])
    events = EventDocument.get_motor_collection()
    assert await events.count_documents({}) == 4
    assert await events.count_documents({"event_id": "e-1"}) == 1


# --- metrics ---------------------------------------------------------------------------------------------


async def test_replacing_a_contribution_twice_is_idempotent(mongo: MongoConnection) -> None:
    metrics = MongoMetricsRepository()
    counts = {"2025-11-12": {"signup": 2}, "2025-11-13": {"signup": 1, "purchase": 3}}

    for _ in range(2):
        assert await metrics.replace_contribution("b1", counts) == {"2025-11-12", "2025-11-13"}
        assert await metrics.recompute_day("2025-11-12") == {"signup": 2}
        assert await metrics.recompute_day("2025-11-13") == {"signup": 1, "purchase": 3}

    assert await metrics.daily_totals("2025-11-12") == {"signup": 2}
    assert await metrics.daily_totals("2025-11-13") == {"signup": 1, "purchase": 3}
    assert await ContributionDocument.get_motor_collection().count_documents({"batch_id": "b1"}) == 2
    stored = await ContributionDocument.get_motor_collection().find_one({"_id": "b1|2025-11-13"})
    assert stored == {
        "_id": "b1|2025-11-13",
        "batch_id": "b1",
        "day": "2025-11-13",
        "counts": {"signup": 1, "purchase": 3},
    }


async def test_contributions_of_two_batches_to_one_day_add_up(mongo: MongoConnection) -> None:
    metrics = MongoMetricsRepository()
    await metrics.replace_contribution("b1", {"2025-11-13": {"signup": 1, "purchase": 3}})
    await metrics.replace_contribution("b2", {"2025-11-13": {"signup": 4, "logout": 1}, "2025-11-14": {"a.b": 1}})

    assert await metrics.recompute_day("2025-11-13") == {"signup": 5, "purchase": 3, "logout": 1}
    assert await metrics.recompute_day("2025-11-14") == {"a.b": 1}
    assert await metrics.daily_totals("2025-11-13") == {"signup": 5, "purchase": 3, "logout": 1}
    assert await metrics.daily_totals("2025-11-14") == {"a.b": 1}


async def test_a_smaller_contribution_removes_the_old_days_share(mongo: MongoConnection) -> None:
    metrics = MongoMetricsRepository()
    await metrics.replace_contribution("b1", {"2025-11-12": {"signup": 2}, "2025-11-13": {"signup": 1}})
    await metrics.replace_contribution("b2", {"2025-11-12": {"signup": 10}})
    for day in ("2025-11-12", "2025-11-13"):
        await metrics.recompute_day(day)
    assert await metrics.daily_totals("2025-11-12") == {"signup": 12}

    touched = await metrics.replace_contribution("b1", {"2025-11-13": {"signup": 7}})
    assert touched == {"2025-11-12", "2025-11-13"}
    for day in sorted(touched):
        await metrics.recompute_day(day)
    assert await metrics.daily_totals("2025-11-12") == {"signup": 10}
    assert await metrics.daily_totals("2025-11-13") == {"signup": 7}
    assert await ContributionDocument.get_motor_collection().find_one({"_id": "b1|2025-11-12"}) is None

    assert await metrics.replace_contribution("b1", {}) == {"2025-11-13"}
    assert await metrics.recompute_day("2025-11-13") == {}
    assert await metrics.daily_totals("2025-11-13") == {}


async def test_unknown_days_have_no_totals(mongo: MongoConnection) -> None:
    metrics = MongoMetricsRepository()
    assert await metrics.daily_totals("2024-01-01") == {}
    assert await metrics.recompute_day("2024-01-01") == {}
    assert await metrics.daily_totals("2024-01-01") == {}
    assert await metrics.replace_contribution("b1", {}) == set()


class OvertakenMetrics(MongoMetricsRepository):
    """Between summing and storing, a writer adds a contribution and bumps the day's revision."""

    async def _sum_contributions(self, day: str) -> dict[str, int]:
        totals = await super()._sum_contributions(day)
        await ContributionDocument.get_motor_collection().insert_one(
            {"_id": f"late|{day}", "batch_id": "late", "day": day, "counts": {"signup": 5}}
        )
        await DailyTotalDocument.get_motor_collection().update_one({"_id": day}, {"$inc": {"revision": 1}})
        return totals


async def test_a_recompute_overtaken_by_a_writer_does_not_store_its_stale_sum(mongo: MongoConnection) -> None:
    metrics = MongoMetricsRepository()
    await metrics.replace_contribution("b1", {"2025-11-13": {"signup": 1}})
    await metrics.recompute_day("2025-11-13")
    daily = DailyTotalDocument.get_motor_collection()
    before = await daily.find_one({"_id": "2025-11-13"})
    assert before is not None
    assert before["counts"] == {"signup": 1}
    await daily.update_one({"_id": "2025-11-13"}, {"$set": {"counts": {"marker": 1}}})

    assert await OvertakenMetrics().recompute_day("2025-11-13") == {"signup": 1}
    assert await daily.find_one({"_id": "2025-11-13"}) == {
        "_id": "2025-11-13",
        "revision": before["revision"] + 1,
        "counts": {"marker": 1},
    }
    # The writer recomputes after its bump and stores the full sum.
    assert await metrics.recompute_day("2025-11-13") == {"signup": 6}
    assert await metrics.daily_totals("2025-11-13") == {"signup": 6}


async def test_recent_batches_come_newest_first_in_pages(mongo: MongoConnection) -> None:
    repo = MongoBatchRepository()
    for index in range(3):
        batch = make_batch(f"b{index}", sha256=f"{index:064x}")
        batch.created_at = T0 + timedelta(minutes=index)
        await repo.add(batch)
    total, page = await repo.list_recent(0, 2)
    _, rest = await repo.list_recent(2, 2)
    assert (total, [b.id for b in page], [b.id for b in rest]) == (3, ["b2", "b1"], ["b0"])
    assert await repo.list_recent(0, 0) == (3, [])
