"""The batch value: its statuses and defaults."""

from __future__ import annotations

from datetime import UTC, datetime

import msgspec

from event_service.domain import Batch, BatchStatus, NoDataRows, RowError
from event_service.domain.errors import DomainError


def test_statuses() -> None:
    assert [status.value for status in BatchStatus] == [
        "ingesting",
        "uploaded",
        "enqueued",
        "processing",
        "processed",
        "failed",
    ]
    assert BatchStatus.PROCESSED == "processed"


def test_batch_defaults_and_round_trip() -> None:
    at = datetime(2025, 6, 1, tzinfo=UTC)
    batch = Batch(
        id="b1",
        filename="events.csv",
        sha256="0" * 64,
        size_bytes=10,
        rows_total=2,
        rows_accepted=1,
        rows_rejected=1,
        errors_total=1,
        first_errors=[RowError(3, "user_id", "user_id: is empty")],
        counts={"2024-03-10": {"click": 1}},
        created_at=at,
        updated_at=at,
    )
    assert batch.status is BatchStatus.UPLOADED
    assert (batch.enqueued_at, batch.processed_at, batch.job_key, batch.last_error, batch.idempotency_key) == (
        None,
        None,
        None,
        None,
        None,
    )
    assert msgspec.json.decode(msgspec.json.encode(batch), type=Batch) == batch


def test_row_error_is_frozen_and_comparable() -> None:
    error = RowError(2, None, "record has 2 fields; the header has 3")
    assert error == RowError(2, None, "record has 2 fields; the header has 3")
    assert hash(error) == hash(RowError(2, None, "record has 2 fields; the header has 3"))
    assert msgspec.json.encode(error) == b'{"row":2,"column":null,"message":"record has 2 fields; the header has 3"}'


def test_no_data_rows_is_a_domain_error() -> None:
    assert issubclass(NoDataRows, DomainError)
