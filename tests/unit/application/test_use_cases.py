"""The use cases against in-memory ports: what is stored, what is counted, what is refused."""

from __future__ import annotations

import gzip
import io
from datetime import UTC, datetime

import msgspec
import pytest

from event_service.application.errors import (
    BatchNotFound,
    BatchStillIngesting,
    IdempotencyKeyReused,
    PermanentError,
    StrictModeRejected,
    UnknownQueue,
    UnreadableUpload,
    UnsupportedFile,
    UploadTooLarge,
)
from event_service.application.ingest_upload import IngestLimits, Upload
from event_service.application.job_outcomes import JobFailure
from event_service.application.jobs import ProcessBatchJob
from event_service.application.summarize_csv import SummarizeCsv
from event_service.domain import BatchStatus, InvalidHeader, NoDataRows
from tests.unit.application.fakes import (
    FixedClock,
    SerialPool,
    in_memory_service,
)

SEED = (
    "user_id,event_type,timestamp\n"
    + "".join(f"u{i},signup,2025-11-13T{i % 24:02d}:00:00Z\n" for i in range(120))
    + "".join(f"u{i},purchase,2025-11-13T{i % 24:02d}:30:00+00:00\n" for i in range(30))
)


class World:
    """The use cases as the composition root wires them, on in-memory backends."""

    def __init__(self, chunk_bytes: int = 64) -> None:
        # Tiny chunks so every test also crosses chunk boundaries.
        self.limits = IngestLimits(chunk_bytes=chunk_bytes, stored_errors_per_batch=3, max_decompressed_bytes=16_384)
        self.clock = FixedClock()
        self.service = in_memory_service(limits=self.limits, clock=self.clock)
        store, redis = self.service.store, self.service.redis
        self.batches, self.events, self.metrics = store.batches, store.events, store.metrics
        self.queue, self.dead_letters, self.cache = redis.job_queue, redis.dead_letters, redis.totals_cache
        use_cases = self.service.use_cases
        self.ingest, self.process, self.request = (
            use_cases.ingest_upload,
            use_cases.process_batch,
            use_cases.request_processing,
        )
        self.metrics_of, self.dead_letter_queue, self.outcomes = (
            use_cases.get_daily_metrics,
            use_cases.dead_letters,
            use_cases.job_outcomes,
        )

    async def upload(self, text: str | bytes, **kwargs: object):
        data = text.encode() if isinstance(text, str) else text
        return await self.ingest(Upload(io.BytesIO(data), "events.csv", **kwargs))  # type: ignore[arg-type]


@pytest.fixture
def world() -> World:
    return World(chunk_bytes=4096)


async def test_seed_upload_process_and_metrics(world: World) -> None:
    outcome = await world.upload(SEED)
    batch = outcome.batch
    assert (outcome.duplicate, batch.rows_total, batch.rows_accepted, batch.rows_rejected) == (False, 150, 150, 0)
    assert world.events.total() == 150
    assert batch.counts == {"2025-11-13": {"signup": 120, "purchase": 30}}

    await world.request(batch.id)
    assert world.queue.queued == [batch.id]
    assert (await world.batches.get(batch.id)).status is BatchStatus.ENQUEUED

    assert await world.process(batch.id) == ["2025-11-13"]
    assert (await world.batches.get(batch.id)).status is BatchStatus.PROCESSED
    from datetime import date

    assert await world.metrics_of(date(2025, 11, 13)) == {"signup": 120, "purchase": 30}
    assert await world.metrics_of(date(2025, 11, 12)) == {}


async def test_processing_twice_never_double_counts(world: World) -> None:
    first = (await world.upload(SEED)).batch
    second = (await world.upload("user_id,event_type,timestamp\nx,signup,2025-11-13T05:00:00Z\n")).batch
    for _ in range(3):
        await world.process(first.id)
    await world.process(second.id)
    await world.process(second.id)
    assert world.metrics.totals["2025-11-13"] == {"signup": 121, "purchase": 30}


async def test_row_errors_are_numbered_across_chunks_and_storage_is_capped() -> None:
    world = World(chunk_bytes=40)
    text = "user_id,event_type,timestamp\n" + "".join(
        f"u{i},click,{'bad' if i % 2 else '2025-11-13T01:00:00Z'}\n" for i in range(10)
    )
    batch = (await world.upload(text)).batch
    assert (batch.rows_total, batch.rows_accepted, batch.rows_rejected, batch.errors_total) == (10, 5, 5, 5)
    assert [error.row for error in batch.first_errors] == [3, 5, 7, 9, 11]
    assert {error.column for error in batch.first_errors} == {"timestamp"}
    assert [error.row for error in world.batches.errors[batch.id]] == [3, 5, 7]  # cap of 3 stored


async def test_same_bytes_again_is_a_duplicate_and_stores_nothing(world: World) -> None:
    first = await world.upload(SEED)
    again = await world.upload(SEED)
    assert again.duplicate is True
    assert again.batch.id == first.batch.id
    assert world.events.total() == 150
    assert len(world.batches.batches) == 1


async def test_idempotency_key_same_body_returns_batch_other_body_is_refused(world: World) -> None:
    first = await world.upload(SEED, idempotency_key="k1")
    assert (await world.upload(SEED, idempotency_key="k1")).batch.id == first.batch.id
    with pytest.raises(IdempotencyKeyReused, match="k1"):
        await world.upload("user_id,event_type,timestamp\na,b,2025-11-13T00:00:00Z\n", idempotency_key="k1")
    assert len(world.batches.batches) == 1


async def test_strict_mode_rejects_whole_file_and_stores_nothing(world: World) -> None:
    text = SEED + "u1,,2025-11-13T00:00:00Z\n"
    with pytest.raises(StrictModeRejected) as caught:
        await world.upload(text, strict=True)
    assert (caught.value.report.rows_rejected, caught.value.report.rows_total) == (1, 151)
    assert caught.value.report.first_errors[0].row == 152
    assert world.events.total() == 0
    assert world.batches.batches == {}


async def test_strict_mode_with_a_clean_file_stores_it(world: World) -> None:
    outcome = await world.upload(SEED, strict=True)
    assert outcome.batch.rows_accepted == 150
    assert world.events.total() == 150


@pytest.mark.parametrize(
    ("text", "error", "message"),
    [
        ("", NoDataRows, "empty"),
        ("user_id,event_type,timestamp\n", NoDataRows, "no data rows"),
        ("user_id,event_type,timestamp\n\n\n", NoDataRows, "no data rows"),
        ("user_id,timestamp\nu,2025-11-13T00:00:00Z\n", InvalidHeader, "event_type"),
    ],
)
async def test_files_that_cannot_be_ingested_store_nothing(
    world: World, text: str, error: type[Exception], message: str
) -> None:
    with pytest.raises(error, match=message):
        await world.upload(text)
    assert world.batches.batches == {}
    assert world.events.total() == 0


async def test_gzip_is_decompressed_and_has_a_decompressed_size_limit(world: World) -> None:
    outcome = await world.upload(gzip.compress(SEED.encode()))
    assert outcome.batch.rows_accepted == 150
    bomb = gzip.compress(b"user_id,event_type,timestamp\n" + b"u,click,2025-11-13T00:00:00Z\n" * 1000)
    with pytest.raises(UploadTooLarge):
        await world.upload(bomb)
    assert len(world.batches.batches) == 1
    assert world.events.total() == 150


async def test_corrupt_gzip_and_binary_files_are_refused(world: World) -> None:
    with pytest.raises(UnreadableUpload, match="gzip"):
        await world.upload(gzip.compress(SEED.encode())[:-20] + b"\x00" * 20)
    with pytest.raises(UnsupportedFile):
        await world.upload(b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR")
    assert world.batches.batches == {}


async def test_process_unknown_batch_is_a_permanent_error(world: World) -> None:
    with pytest.raises(BatchNotFound) as caught:
        await world.process("missing")
    assert isinstance(caught.value, PermanentError)
    with pytest.raises(BatchNotFound):
        await world.request("missing")


async def test_request_processing_restores_status_when_the_queue_is_down(world: World) -> None:
    batch = (await world.upload(SEED)).batch
    world.queue.fail_with = ConnectionError("down")
    with pytest.raises(ConnectionError):
        await world.request(batch.id)
    assert (await world.batches.get(batch.id)).status is BatchStatus.UPLOADED


async def test_request_processing_twice_enqueues_once(world: World) -> None:
    batch = (await world.upload(SEED)).batch
    first = (await world.request(batch.id)).job
    second = (await world.request(batch.id)).job
    assert first is not None
    assert second is not None
    assert (first.created, second.created, first.key) == (True, False, f"process_batch:{batch.id}")
    assert world.queue.queued == [batch.id]
    assert (await world.batches.get(batch.id)).job_key == first.key


async def test_a_failure_reported_twice_is_dead_lettered_once_and_keeps_the_first_reason(world: World) -> None:
    batch = (await world.upload(SEED)).batch
    failure = JobFailure(
        run="job-1|1700000000",
        job_key=f"process_batch:{batch.id}",
        job=ProcessBatchJob(batch.id),
        reason="ValueError: bad row",
        attempts=3,
        notes={"first_failed_at": "2025-11-14T00:00:00+00:00"},
    )
    entry = await world.outcomes.failed("metrics-processor", failure)
    assert entry is not None
    assert (entry.job, entry.reason, entry.attempts, entry.first_failed_at) == (
        ProcessBatchJob(batch.id),
        "ValueError: bad row",
        3,
        datetime(2025, 11, 14, tzinfo=UTC),
    )
    assert entry.first_failed_at < entry.failed_at < world.clock.now()
    assert (
        await world.outcomes.failed("metrics-processor", msgspec.structs.replace(failure, reason="WorkerLost")) is None
    )
    stored = await world.batches.get(batch.id)
    assert (stored.status, stored.last_error) == (BatchStatus.FAILED, "ValueError: bad row")
    assert await world.dead_letter_queue.list("metrics-processor", 0, 10) == ([entry], 1)
    # Another attempt of the same run is another failure: a new entry.
    again = await world.outcomes.failed("metrics-processor", msgspec.structs.replace(failure, attempts=4))
    assert again is not None
    assert again.id != entry.id


async def test_dead_letter_marks_batch_failed_and_lists_newest_first(world: World) -> None:
    batch = (await world.upload(SEED)).batch
    for index, batch_id in enumerate([batch.id, "gone"]):
        await world.outcomes.failed(
            "metrics-processor",
            JobFailure(
                run=f"run-{index}",
                job_key=f"process_batch:{batch_id}",
                job=ProcessBatchJob(batch_id),
                reason="BatchNotFound: nope",
                attempts=1,
                notes={},
            ),
        )
    stored = await world.batches.get(batch.id)
    assert (stored.status, stored.last_error) == (BatchStatus.FAILED, "BatchNotFound: nope")
    entries, total = await world.dead_letter_queue.list("metrics-processor", 0, 10)
    assert ([entry.job for entry in entries], total) == ([ProcessBatchJob("gone"), ProcessBatchJob(batch.id)], 2)
    with pytest.raises(UnknownQueue):
        await world.dead_letter_queue.list("nope")


async def test_get_batch_pages_errors(world: World) -> None:
    batch = (await world.upload("user_id,event_type,timestamp\n,a,1\n,b,2\n")).batch
    reader = world.service.use_cases.get_batch  # as wired by bootstrap, with the World's limits
    assert (await reader(batch.id)).rows_rejected == 2
    errors = await reader.errors(batch.id, 1, 10)
    page = errors.errors
    assert errors.stored == 3
    # Four errors, three stored (the World's cap): the page from offset 1 holds the second and third.
    assert batch.errors_total == 4
    assert [(error.row, error.column) for error in page] == [(2, "timestamp"), (3, "user_id")]
    with pytest.raises(BatchNotFound):
        await reader("missing")


async def test_summarize_shares_the_upload_parser(world: World) -> None:
    report = await SummarizeCsv(SerialPool(), world.clock, world.limits)(io.BytesIO(gzip.compress(SEED.encode())))
    assert (report.rows_total, report.rows_accepted, report.counts) == (
        150,
        150,
        {"2025-11-13": {"signup": 120, "purchase": 30}},
    )
    assert world.events.total() == 0


async def test_event_ids_already_stored_are_counted_as_duplicates_not_twice(world: World) -> None:
    first = await world.upload(
        "event_id,user_id,event_type,timestamp\n"
        "e1,u1,signup,2025-11-13T01:00:00Z\n"
        "e2,u2,signup,2025-11-13T02:00:00Z\n"
        "e2,u2,signup,2025-11-13T02:00:00Z\n"
        ",u3,purchase,2025-11-13T03:00:00Z\n"
    )
    overlapping = await world.upload(
        "event_id,user_id,event_type,timestamp\n"
        "e2,u2,signup,2025-11-13T02:00:00Z\n"
        "e3,u4,purchase,2025-11-14T00:00:00Z\n"
        "e4,u5,purchase,nope\n"
    )
    counts = [
        (b.rows_total, b.rows_accepted, b.rows_rejected, b.rows_duplicate, b.counts)
        for b in (first.batch, overlapping.batch)
    ]
    assert counts == [
        (4, 3, 0, 1, {"2025-11-13": {"signup": 2, "purchase": 1}}),
        (3, 1, 1, 1, {"2025-11-14": {"purchase": 1}}),
    ]
    assert world.events.total() == 4


async def test_an_upload_that_fails_midway_removes_its_claim_and_its_events(world: World) -> None:
    async def fail(*_: object) -> None:
        assert world.events.total() == 150  # every event was stored by then
        raise OSError("disk full")

    world.batches.finish_ingestion = fail  # type: ignore[method-assign,assignment]
    with pytest.raises(OSError, match="disk full"):
        await world.upload(SEED)
    assert world.batches.batches == {}
    assert world.events.total() == 0


async def test_a_twin_of_an_upload_still_ingesting_answers_with_its_claim_and_cannot_be_processed(
    world: World,
) -> None:
    twin: list[object] = []
    stored = world.events.add_many

    async def upload_the_twin_midway(batch_id: str, events: list) -> list[int]:
        if not twin:
            twin.append(await world.upload(SEED))
        return await stored(batch_id, events)

    world.events.add_many = upload_the_twin_midway  # type: ignore[method-assign]
    first = await world.upload(SEED)
    (second,) = twin
    assert second.duplicate is True  # type: ignore[attr-defined]
    assert second.batch.id == first.batch.id  # type: ignore[attr-defined]
    assert second.batch.status is BatchStatus.INGESTING  # type: ignore[attr-defined]
    assert (first.duplicate, first.batch.status, first.batch.rows_accepted) == (False, BatchStatus.UPLOADED, 150)
    assert world.events.total() == 150


async def test_processing_a_batch_still_ingesting_is_refused(world: World) -> None:
    events = world.events.add_many

    async def ask_to_process_midway(batch_id: str, batch_events: list) -> list[int]:
        with pytest.raises(BatchStillIngesting, match="still being uploaded"):
            await world.request(batch_id)
        return await events(batch_id, batch_events)

    world.events.add_many = ask_to_process_midway  # type: ignore[method-assign]
    outcome = await world.upload(SEED)
    assert world.queue.queued == []
    assert (await world.request(outcome.batch.id)).status is BatchStatus.ENQUEUED
