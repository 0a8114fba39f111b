"""Beanie documents: the collections event-service keeps in MongoDB and their indexes.

Batches are read and written through their Beanie model. The high-volume collections (events, row errors,
contributions, daily totals) are written as raw dicts through the Motor collection; their documents are
declared here so that the schema and the indexes live in one place.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from beanie import Document, init_beanie
from beanie.odm.fields import IndexModelField
from pydantic import BaseModel
from pymongo import ASCENDING, DESCENDING, IndexModel


class RowErrorModel(BaseModel):
    row: int
    column: str | None
    message: str


class BatchDocument(Document):
    """One uploaded file. ``_id`` is the batch id; ``counts`` is ``{day: {event_type: count}}``."""

    id: str  # type: ignore[assignment]  # the batch id, not an ObjectId
    filename: str | None
    sha256: str
    size_bytes: int
    status: str
    rows_total: int
    rows_accepted: int
    rows_rejected: int
    rows_duplicate: int = 0
    errors_total: int
    first_errors: list[RowErrorModel]
    counts: dict[str, dict[str, int]]
    created_at: datetime
    updated_at: datetime
    enqueued_at: datetime | None = None
    processed_at: datetime | None = None
    job_key: str | None = None
    last_error: str | None = None
    idempotency_key: str | None = None
    attempts: int = 0

    class Settings:
        name = "batches"
        indexes = [
            IndexModel([("sha256", ASCENDING)], name="sha256_unique", unique=True),
            # Only string keys are unique: any number of batches may have no key (stored as null).
            IndexModel(
                [("idempotency_key", ASCENDING)],
                name="idempotency_key_unique",
                unique=True,
                partialFilterExpression={"idempotency_key": {"$type": "string"}},
            ),
            IndexModel([("created_at", DESCENDING)], name="created_at_desc"),
        ]


class EventDocument(Document):
    """One valid event. Declared for its indexes only: events are inserted as raw dicts, never as models.

    ``event_id`` and ``props`` are absent (not null) when the CSV gave none.
    """

    batch_id: str
    user_id: str
    event_type: str
    ts: datetime
    day: str
    event_id: str | None = None
    props: dict[str, str] | None = None

    class Settings:
        name = "events"
        indexes = [
            IndexModel([("batch_id", ASCENDING)], name="batch_id"),
            IndexModel([("day", ASCENDING), ("event_type", ASCENDING)], name="day_event_type"),
            # Sparse, not partial: mongomock ignores partial filters, and both skip documents without the field.
            IndexModel([("event_id", ASCENDING)], name="event_id_unique", unique=True, sparse=True),
        ]


class BatchErrorDocument(Document):
    """Every row error of a batch (the batch document keeps only the first ones). Raw inserts."""

    batch_id: str
    row: int
    column: str | None
    message: str

    class Settings:
        name = "batch_errors"
        indexes = [IndexModel([("batch_id", ASCENDING), ("row", ASCENDING)], name="batch_id_row")]


class ContributionDocument(Document):
    """One batch's counts for one day. ``_id`` is ``f"{batch_id}|{day}"``; ``counts`` is ``{event_type: n}``."""

    id: str  # type: ignore[assignment]
    batch_id: str
    day: str
    counts: dict[str, int]

    class Settings:
        name = "contributions"
        indexes = [
            IndexModel([("day", ASCENDING)], name="day"),
            IndexModel([("batch_id", ASCENDING)], name="batch_id"),
        ]


class DailyTotalDocument(Document):
    """The served totals of one day (``_id`` is the day). ``revision`` rises on every contribution change."""

    id: str  # type: ignore[assignment]
    revision: int = 0
    counts: dict[str, int] = {}

    class Settings:
        name = "daily_totals"


ALL_DOCUMENTS: list[type[Document]] = [
    BatchDocument,
    EventDocument,
    BatchErrorDocument,
    ContributionDocument,
    DailyTotalDocument,
]


async def ensure_indexes(document: type[Document]) -> None:
    """Create the document's declared indexes, every option included. Idempotent.

    Beanie creates indexes with ``create_indexes``, which mongomock implements by dropping
    ``partialFilterExpression``: the idempotency-key index would then reject a second batch without a key.
    ``create_index`` keeps every option on both mongomock and a real server, so the indexes are made here.
    """
    collection = document.get_motor_collection()
    for index in document.get_settings().indexes or []:
        # Beanie wraps Settings.indexes in IndexModelField.
        model: IndexModel = index.index if isinstance(index, IndexModelField) else index
        options: dict[str, Any] = dict(model.document)
        keys = list(options.pop("key").items())
        await collection.create_index(keys, **options)


async def init_mongo(database: Any) -> None:
    """Bind the documents to ``database`` (a Motor database) and create their indexes. Safe to call again."""
    await init_beanie(database=database, document_models=ALL_DOCUMENTS, skip_indexes=True)
    for document in ALL_DOCUMENTS:
        await ensure_indexes(document)
