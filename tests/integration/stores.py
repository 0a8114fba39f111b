"""The stores the repository contract runs on, built the way the composition root builds them."""

from __future__ import annotations

from mongomock_motor import AsyncMongoMockClient

from event_service.adapters.mongo import MongoConnection


def mongomock_connection(db_name: str) -> MongoConnection:
    """mongomock-motor, the Mongo adapter's test double: timezone-aware like the real client."""
    client = AsyncMongoMockClient(tz_aware=True)
    return MongoConnection(client=client, database=client[db_name])
