"""The stores the repository contract runs on, built the way the composition root builds them, and a batch to
store in them."""

from __future__ import annotations

from datetime import UTC, datetime

from mongomock_motor import AsyncMongoMockClient

from event_service.adapters.mongo import MongoConnection
from event_service.domain import Batch, BatchStatus, RowError, StatusChange

T0 = datetime(2025, 11, 13, 9, 30, 0, 123000, tzinfo=UTC)  # Mongo keeps milliseconds


def mongomock_connection(db_name: str) -> MongoConnection:
    """mongomock-motor, the Mongo adapter's test double: timezone-aware like the real client."""
    client = AsyncMongoMockClient(tz_aware=True)
    return MongoConnection(client=client, database=client[db_name])


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
        history=[StatusChange(BatchStatus.UPLOADED, T0)],
    )
