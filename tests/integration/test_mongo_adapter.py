"""What only the MongoDB adapter has: its indexes, its raw documents, naive datetimes, overtaken recomputes.

On mongomock-motor always and on a real server with MONGODB_URL. The behaviour both stores share is in
test_store_contract.py.
"""

from __future__ import annotations

import os
import uuid
from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta

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
from event_service.application.errors import CorruptBatch
from event_service.domain import Event
from tests.integration.stores import T0, make_batch, mongomock_connection

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


@pytest_asyncio.fixture(params=BACKENDS)
async def mongo(request: pytest.FixtureRequest) -> AsyncIterator[MongoConnection]:
    db_name = f"event_service_test_{uuid.uuid4().hex[:16]}"
    connection = mongomock_connection(db_name) if request.param == "mongomock" else connect(MONGODB_URL, db_name)
    try:
        await init_mongo(connection.database)
        yield connection
    finally:
        await connection.client.drop_database(db_name)
        connection.close()


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


async def test_a_batch_is_one_document_with_its_history(mongo: MongoConnection) -> None:
    await MongoBatchRepository().add(make_batch(idempotency_key="key-1"))
    raw = await BatchDocument.get_motor_collection().find_one({"_id": "b1"})
    assert raw is not None
    assert raw["status"] == "uploaded"
    assert raw["first_errors"] == [
        {"row": 3, "column": "timestamp", "message": 'timestamp: "x" is not an ISO 8601 date-time'},
        {"row": 5, "column": None, "message": "record has 2 fields; the header has 3"},
    ]
    assert raw["counts"] == {"2025-11-12": {"signup": 1}, "2025-11-13": {"signup": 1, "purchase": 1}}
    assert raw["history"] == [{"status": "uploaded", "at": T0, "attempt": None, "error": None}]


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
    assert got is not None
    assert got.created_at == T0
    assert got.created_at.tzinfo is UTC
    assert got.history[0].at.tzinfo is UTC


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


# --- metrics ---------------------------------------------------------------------------------------------


async def test_a_contribution_is_one_document_per_batch_and_day(mongo: MongoConnection) -> None:
    """Replacing it twice is idempotent for every store (test_store_contract); this is the Mongo layout."""
    metrics = MongoMetricsRepository()
    counts = {"2025-11-12": {"signup": 2}, "2025-11-13": {"signup": 1, "purchase": 3}}
    for _ in range(2):
        await metrics.replace_contribution("b1", counts)

    assert await ContributionDocument.get_motor_collection().count_documents({"batch_id": "b1"}) == 2
    stored = await ContributionDocument.get_motor_collection().find_one({"_id": "b1|2025-11-13"})
    assert stored == {
        "_id": "b1|2025-11-13",
        "batch_id": "b1",
        "day": "2025-11-13",
        "counts": {"signup": 1, "purchase": 3},
    }


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
