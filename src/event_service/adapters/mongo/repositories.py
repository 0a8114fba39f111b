"""The application's repositories on MongoDB. Call ``init_mongo(database)`` once before using them.

Nothing here reads raw events: metrics come from per-batch contributions, which are few.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from contextlib import suppress
from datetime import UTC, datetime, timedelta
from typing import Any

import msgspec
from beanie import SortDirection
from pydantic import ValidationError as PydanticValidationError
from pymongo import ASCENDING
from pymongo.errors import BulkWriteError, DuplicateKeyError

from event_service.adapters.mongo.documents import (
    BatchDocument,
    BatchErrorDocument,
    ContributionDocument,
    DailyTotalDocument,
    EventDocument,
)
from event_service.application.errors import CorruptBatch, DuplicateBatch
from event_service.application.ports import check_settable
from event_service.domain import (
    DATETIME_FIELDS,
    Batch,
    BatchStatus,
    Event,
    IngestReport,
    RowError,
    StatusChange,
    report_fields,
    status_change,
    sum_type_counts,
)

_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
_DUPLICATE_KEY = 11000
_UNIQUE_FIELDS = {"sha256": "sha256", "idempotency_key": "idempotency_key", "_id": "id"}
"""A batch document's unique fields, by the names DuplicateBatch.on knows them."""


def _utc(moment: datetime | None) -> datetime | None:
    """Mongo stores UTC; a client without ``tz_aware`` returns it naive, so attach UTC rather than convert."""
    if moment is None:
        return None
    if moment.tzinfo is None:
        return moment.replace(tzinfo=UTC)
    return moment.astimezone(UTC)


def _history_entry(change: StatusChange) -> dict[str, Any]:
    return msgspec.structs.asdict(change) | {"status": BatchStatus(change.status).value}


def _to_document(batch: Batch) -> BatchDocument:
    # Same field names on both sides: the model validates the struct's fields as they are.
    fields = msgspec.structs.asdict(batch)
    fields["status"] = BatchStatus(batch.status).value
    fields["first_errors"] = [msgspec.structs.asdict(error) for error in batch.first_errors]
    fields["history"] = [_history_entry(change) for change in batch.history]
    return BatchDocument(**fields)


def _to_batch(document: BatchDocument) -> Batch:
    data = document.model_dump()
    for name in DATETIME_FIELDS:
        data[name] = _utc(data[name])
    for change in data["history"]:
        change["at"] = _utc(change["at"])
    try:
        return msgspec.convert(data, Batch)
    except (msgspec.ValidationError, ValueError) as exc:
        raise CorruptBatch(document.id, str(exc)) from exc


def _clashing_key(exc: DuplicateKeyError) -> str | None:
    pattern = (exc.details or {}).get("keyPattern") or {}
    return next((key for field, key in _UNIQUE_FIELDS.items() if field in pattern), None)


class MongoBatchRepository:
    async def add(self, batch: Batch) -> None:
        try:
            await _to_document(batch).insert()
        except DuplicateKeyError as exc:
            raise DuplicateBatch.on(_clashing_key(exc)) from exc

    async def finish_ingestion(self, batch_id: str, report: IngestReport, at: datetime) -> Batch | None:
        collection = BatchDocument.get_motor_collection()
        claim = await collection.find_one({"_id": batch_id, "status": BatchStatus.INGESTING.value})
        if claim is None:
            return None
        fields = report_fields(report)
        fields["first_errors"] = [msgspec.structs.asdict(error) for error in report.first_errors]
        entry = _history_entry(status_change(BatchStatus.UPLOADED, at, {}))
        finished = claim | fields | {"status": BatchStatus.UPLOADED.value, "updated_at": at}
        finished["history"] = [*claim.get("history", []), entry]
        # A whole-document replace (not $set): event types may hold "." or a leading "$". Conditional, so a claim
        # swept meanwhile stays gone.
        result = await collection.replace_one({"_id": batch_id, "status": BatchStatus.INGESTING.value}, finished)
        if result.matched_count != 1:
            return None
        return await self.get(batch_id)

    async def event_types(self) -> set[str]:
        cursor = BatchDocument.get_motor_collection().find({}, {"_id": 0, "counts": 1})
        return {
            event_type
            async for document in cursor
            for per_type in document["counts"].values()
            for event_type in per_type
        }

    async def stale_claims(self, before: datetime) -> list[str]:
        cursor = BatchDocument.get_motor_collection().find(
            {"status": BatchStatus.INGESTING.value, "created_at": {"$lt": before}}, {"_id": 1}
        )
        return [document["_id"] async for document in cursor]

    async def get(self, batch_id: str) -> Batch | None:
        try:
            document = await BatchDocument.get(batch_id)
        except PydanticValidationError as exc:
            raise CorruptBatch(batch_id, str(exc)) from exc
        return None if document is None else _to_batch(document)

    async def find_by_sha256(self, sha256: str) -> Batch | None:
        document = await BatchDocument.find_one({"sha256": sha256})
        return None if document is None else _to_batch(document)

    async def find_by_idempotency_key(self, key: str) -> Batch | None:
        document = await BatchDocument.find_one({"idempotency_key": key})
        return None if document is None else _to_batch(document)

    async def set_status(self, batch_id: str, status: BatchStatus, at: datetime, **fields: Any) -> None:
        check_settable(fields)
        changes = {"status": BatchStatus(status).value, "updated_at": at, **fields}
        entry = _history_entry(status_change(status, at, fields))
        await BatchDocument.get_motor_collection().update_one(
            {"_id": batch_id}, {"$set": changes, "$push": {"history": entry}}
        )

    async def add_errors(self, batch_id: str, errors: Sequence[RowError]) -> None:
        if not errors:
            return
        documents = [{"batch_id": batch_id, "row": e.row, "column": e.column, "message": e.message} for e in errors]
        await BatchErrorDocument.get_motor_collection().insert_many(documents, ordered=False)

    async def list_errors(self, batch_id: str, offset: int, limit: int) -> list[RowError]:
        if limit <= 0:  # Mongo reads a limit of 0 as "no limit"
            return []
        cursor = (
            BatchErrorDocument.get_motor_collection()
            .find({"batch_id": batch_id}, {"_id": 0, "row": 1, "column": 1, "message": 1})
            # A row can have several errors: insertion order (the ObjectId) keeps them as reported.
            .sort([("row", ASCENDING), ("_id", ASCENDING)])
            .skip(max(offset, 0))
            .limit(limit)
        )
        return [RowError(d["row"], d.get("column"), d["message"]) async for d in cursor]

    async def list_recent(self, offset: int, limit: int) -> tuple[int, list[Batch]]:
        total = await BatchDocument.find_all().count()
        if limit <= 0:
            return total, []
        page = (
            await BatchDocument.find_all()
            .sort([("created_at", SortDirection.DESCENDING), ("_id", SortDirection.DESCENDING)])
            .skip(max(offset, 0))
            .limit(limit)
            .to_list()
        )
        return total, [_to_batch(document) for document in page]

    async def delete(self, batch_id: str) -> None:
        await BatchErrorDocument.get_motor_collection().delete_many({"batch_id": batch_id})
        await BatchDocument.get_motor_collection().delete_one({"_id": batch_id})

    async def mark_retrying(self, batch_id: str, attempt: int, at: datetime, last_error: str) -> bool:
        result = await BatchDocument.get_motor_collection().update_one(
            {"_id": batch_id, "status": BatchStatus.PROCESSING.value, "attempts": attempt},
            {
                "$set": {"status": BatchStatus.ENQUEUED.value, "updated_at": at, "last_error": last_error},
                "$push": {"history": _history_entry(StatusChange(BatchStatus.ENQUEUED, at, attempt, last_error))},
            },
        )
        return result.modified_count == 1


class MongoEventRepository:
    async def add_many(self, batch_id: str, events: Sequence[Event]) -> list[int]:
        if not events:
            return []
        epoch, ms = _EPOCH, timedelta(milliseconds=1)
        documents: list[dict[str, Any]] = [
            {
                "batch_id": batch_id,
                "user_id": e.user_id,
                "event_type": e.event_type,
                "ts": epoch + e.timestamp_ms * ms,
                "day": e.day,
            }
            for e in events
        ]
        # Optional fields are absent rather than null; most files have neither, so patch only those that do.
        for document, event in zip(documents, events, strict=True):
            if event.event_id is not None:
                document["event_id"] = event.event_id
            if event.properties is not None:
                document["props"] = event.properties
        try:
            await EventDocument.get_motor_collection().insert_many(documents, ordered=False)
        except BulkWriteError as exc:
            # Unordered: every other document was inserted; only event_id clashes are the caller's to count.
            failures = exc.details.get("writeErrors", [])
            if any(failure.get("code") != _DUPLICATE_KEY for failure in failures) or exc.details.get(
                "writeConcernErrors"
            ):
                raise
            return sorted(failure["index"] for failure in failures)
        return []

    async def delete_batch(self, batch_id: str) -> None:
        await EventDocument.get_motor_collection().delete_many({"batch_id": batch_id})


class MongoMetricsRepository:
    """Daily totals as the sum of per-batch contributions, kept consistent by a revision counter per day.

    A writer changes contributions first, then bumps the revision of every day it touched, then recomputes
    those days. A recompute only stores its sum if the revision it read before summing is still current.
    """

    async def replace_contribution(self, batch_id: str, counts: Mapping[str, Mapping[str, int]]) -> set[str]:
        contributions = ContributionDocument.get_motor_collection()
        old_days = {d["day"] async for d in contributions.find({"batch_id": batch_id}, {"day": 1})}
        new_counts = {day: {t: int(n) for t, n in per_type.items()} for day, per_type in counts.items() if per_type}
        # One call per day, no bulk_write: mongomock's bulk_write breaks on current pymongo operation objects,
        # and a batch spans few days.
        for day, per_type in new_counts.items():
            await contributions.replace_one(
                {"_id": f"{batch_id}|{day}"}, {"batch_id": batch_id, "day": day, "counts": per_type}, upsert=True
            )
        gone = old_days - new_counts.keys()
        if gone:
            await contributions.delete_many({"batch_id": batch_id, "day": {"$in": sorted(gone)}})
        touched = old_days | set(counts)
        # Only after the contributions are written: a recompute that read an older revision must not win.
        daily = DailyTotalDocument.get_motor_collection()
        for day in sorted(touched):
            await daily.update_one({"_id": day}, {"$inc": {"revision": 1}}, upsert=True)
        return touched

    async def recompute_day(self, day: str) -> dict[str, int]:
        daily = DailyTotalDocument.get_motor_collection()
        current = await daily.find_one({"_id": day}, {"revision": 1})
        totals = await self._sum_contributions(day)
        if current is None:
            if not totals:
                return {}
            # If a writer created the day meanwhile, it recomputes after its own bump.
            with suppress(DuplicateKeyError):
                await daily.insert_one({"_id": day, "revision": 0, "counts": totals})
            return totals
        # Store the sum only if no writer bumped the revision since it was read. If one did, its contribution
        # may be missing from this sum, but that writer recomputes after its bump, so the last word is right.
        # A whole-document replace (not $set) also accepts event types holding "." or a leading "$".
        await daily.replace_one(
            {"_id": day, "revision": current["revision"]},
            {"revision": current["revision"], "counts": totals},
        )
        return totals

    async def _sum_contributions(self, day: str) -> dict[str, int]:
        parts = ContributionDocument.get_motor_collection().find({"day": day}, {"_id": 0, "counts": 1})
        return sum_type_counts([part["counts"] async for part in parts])

    async def daily_totals(self, day: str) -> dict[str, int]:
        document = await DailyTotalDocument.get_motor_collection().find_one({"_id": day}, {"counts": 1})
        if document is None:
            return {}
        return dict(document.get("counts") or {})
