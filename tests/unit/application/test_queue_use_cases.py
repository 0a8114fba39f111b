"""The queue's use cases against in-memory ports: processing requests, retries, dead letters, reprocessing."""

from __future__ import annotations

from datetime import UTC, date, datetime

import msgspec
import pytest

from event_service.application.errors import (
    BatchStillIngesting,
    CorruptBatch,
    DeadLetterNotFound,
    PermanentError,
    UnknownQueue,
)
from event_service.application.jobs import ForeignJob, ProcessBatchJob, ReprocessDayJob
from event_service.application.list_queues import ListQueues, QueueOverview
from event_service.application.ports import DeadLetter, JobWeight
from event_service.application.process_batch import ProcessBatch
from event_service.application.reprocess_day import DayReprocessed, ReprocessDay
from event_service.application.schedule_reprocessing import ScheduleReprocessing
from event_service.domain import BatchStatus
from tests.unit.application.fakes import FakeLimiter
from tests.unit.application.test_use_cases import SEED, World

QUEUE = "metrics-processor"


@pytest.fixture
def world() -> World:
    return World(chunk_bytes=4096)


def dead_letter(entry_id: str, batch_id: str, at: datetime) -> DeadLetter:
    return DeadLetter(
        id=entry_id,
        job_key=f"process_batch:{batch_id}",
        job=ProcessBatchJob(batch_id),
        reason="ConnectionError: down",
        attempts=5,
        failed_at=at,
        first_failed_at=at,
    )


# --- processing a batch ------------------------------------------------------------------------------------


async def test_processing_takes_a_light_or_heavy_start_by_batch_size_and_shows_the_attempt(world: World) -> None:
    small = (await world.upload(SEED)).batch  # 150 rows
    big = (await world.upload(SEED.replace("signup", "click"))).batch
    limiter = FakeLimiter()
    process = ProcessBatch(world.batches, world.metrics, world.clock, limiter=limiter, heavy_rows=150)
    world.batches.batches[small.id] = msgspec.structs.replace(small, rows_total=149)
    await process(small.id, attempt=3)
    await process(big.id)
    assert limiter.granted == [JobWeight.LIGHT, JobWeight.HEAVY]
    done = await world.batches.get(small.id)
    assert (done.status, done.attempts, done.last_error) == (BatchStatus.PROCESSED, 3, None)


@pytest.mark.parametrize(
    ("counts", "message"),
    [
        ({"2025-13-01": {"a": 1}}, "its counts hold '2025-13-01', which is not a YYYY-MM-DD day"),
        ({"20251113": {"a": 1}}, "its counts hold '20251113', which is not a YYYY-MM-DD day"),
        ({"2025-11-13": {"a": -2}}, "its count of 'a' on 2025-11-13 is negative (-2)"),
    ],
)
async def test_a_batch_with_impossible_counts_is_corrupt_a_permanent_error(
    world: World, counts: dict, message: str
) -> None:
    batch = (await world.upload(SEED)).batch
    world.batches.batches[batch.id] = msgspec.structs.replace(batch, counts=counts)
    with pytest.raises(CorruptBatch) as caught:
        await world.process(batch.id)
    assert isinstance(caught.value, PermanentError)
    assert str(caught.value) == f"batch {batch.id} is corrupt: {message}"
    assert world.metrics.contributions == {}
    assert (await world.batches.get(batch.id)).status is BatchStatus.UPLOADED


# --- asking for processing ---------------------------------------------------------------------------------


async def test_a_processed_batch_is_not_enqueued_again_unless_forced(world: World) -> None:
    batch = (await world.upload(SEED)).batch
    first = await world.request(batch.id)
    world.queue.finish(first.job.key)
    await world.process(batch.id)

    again = await world.request(batch.id)
    assert (again.status, again.job) == (BatchStatus.PROCESSED, None)
    assert world.queue.queued == []

    forced = await world.request(batch.id, force=True)
    assert (forced.status, forced.job.created) == (BatchStatus.ENQUEUED, True)
    assert world.queue.queued == [batch.id]
    stored = await world.batches.get(batch.id)
    assert (stored.status, stored.attempts, stored.job_key) == (BatchStatus.ENQUEUED, 0, f"process_batch:{batch.id}")


async def test_asking_while_queued_or_running_returns_the_same_job(world: World) -> None:
    batch = (await world.upload(SEED)).batch
    first = await world.request(batch.id)
    queued = await world.request(batch.id)
    assert (queued.status, queued.job.key, queued.job.created) == (BatchStatus.ENQUEUED, first.job.key, False)
    await world.batches.set_status(batch.id, BatchStatus.PROCESSING, world.clock.now(), attempts=1)
    running = await world.request(batch.id)
    assert (running.status, running.job.key, running.job.created) == (BatchStatus.PROCESSING, first.job.key, False)
    # Asking does not touch a running batch.
    assert (await world.batches.get(batch.id)).status is BatchStatus.PROCESSING
    assert world.queue.queued == [batch.id]


async def test_a_failed_enqueue_restores_every_field(world: World) -> None:
    batch = (await world.upload(SEED)).batch
    await world.batches.set_status(
        batch.id, BatchStatus.FAILED, world.clock.now(), attempts=5, job_key="process_batch:old", last_error="boom"
    )
    before = await world.batches.get(batch.id)
    world.queue.fail_with = ConnectionError("down")
    with pytest.raises(ConnectionError):
        await world.request(batch.id)
    after = await world.batches.get(batch.id)
    assert (after.status, after.attempts, after.job_key, after.enqueued_at, after.last_error) == (
        BatchStatus.FAILED,
        5,
        "process_batch:old",
        before.enqueued_at,
        "boom",
    )


# --- an attempt that will be retried -----------------------------------------------------------------------


async def test_a_retried_attempt_shows_enqueued_with_its_error_unless_a_later_attempt_started(world: World) -> None:
    batch = (await world.upload(SEED)).batch
    record = world.outcomes.retried
    await world.batches.set_status(batch.id, BatchStatus.PROCESSING, world.clock.now(), attempts=1)
    assert await record(ProcessBatchJob(batch.id), 1, "ConnectionError: down") is True
    stored = await world.batches.get(batch.id)
    assert (stored.status, stored.attempts, stored.last_error) == (BatchStatus.ENQUEUED, 1, "ConnectionError: down")

    # Attempt 2 already runs when attempt 1's report arrives late: nothing changes.
    await world.batches.set_status(batch.id, BatchStatus.PROCESSING, world.clock.now(), attempts=2)
    assert await record(ProcessBatchJob(batch.id), 1, "TimeoutError: late") is False
    stored = await world.batches.get(batch.id)
    assert (stored.status, stored.attempts, stored.last_error) == (
        BatchStatus.PROCESSING,
        2,
        "ConnectionError: down",
    )
    assert await record(ReprocessDayJob("2025-11-13"), 1, "x") is False
    assert await record(ForeignJob("process_batch", {"batch": 1}), 1, "x") is False
    assert await record(ProcessBatchJob("gone"), 1, "x") is False


# --- dead letters ------------------------------------------------------------------------------------------


async def test_get_delete_and_purge_dead_letters(world: World) -> None:
    at = datetime(2025, 11, 14, tzinfo=UTC)
    for entry_id in ("a", "b", "c"):
        await world.dead_letters.add(QUEUE, dead_letter(entry_id, "x", at))
    get = world.dead_letter_queue.get
    delete = world.dead_letter_queue.delete
    purge = world.dead_letter_queue.purge

    assert (await get(QUEUE, "b")).id == "b"
    await delete(QUEUE, "b")
    with pytest.raises(DeadLetterNotFound, match="dead letter 'b' does not exist in queue 'metrics-processor'"):
        await get(QUEUE, "b")
    with pytest.raises(DeadLetterNotFound):
        await delete(QUEUE, "b")
    assert await purge(QUEUE) == 2
    assert await purge(QUEUE) == 0
    for call in (get("nope", "a"), delete("nope", "a"), purge("nope")):
        with pytest.raises(UnknownQueue, match="queue 'nope' does not exist"):
            await call


def retry_of(world: World):
    return world.dead_letter_queue.retry


async def test_retry_enqueues_a_fresh_job_then_drops_the_entry_and_shows_the_batch_queued(world: World) -> None:
    batch = (await world.upload(SEED)).batch
    await world.batches.set_status(batch.id, BatchStatus.FAILED, world.clock.now(), attempts=5, last_error="x")
    await world.dead_letters.add(QUEUE, dead_letter("e1", batch.id, world.clock.now()))

    retried = await retry_of(world)(QUEUE, "e1")

    assert (retried.entry_id, retried.job.key, retried.job.created) == ("e1", f"process_batch:{batch.id}", True)
    assert world.queue.jobs == {f"process_batch:{batch.id}": ProcessBatchJob(batch.id)}
    assert await world.dead_letters.get(QUEUE, "e1") is None
    stored = await world.batches.get(batch.id)
    assert (stored.status, stored.attempts, stored.job_key) == (BatchStatus.ENQUEUED, 0, f"process_batch:{batch.id}")


async def test_a_retry_that_cannot_enqueue_keeps_the_entry_and_the_batch_as_they_were(world: World) -> None:
    batch = (await world.upload(SEED)).batch
    await world.batches.set_status(batch.id, BatchStatus.FAILED, world.clock.now(), attempts=5, last_error="x")
    entry = dead_letter("e1", batch.id, world.clock.now())
    await world.dead_letters.add(QUEUE, entry)
    world.queue.fail_with = ConnectionError("down")

    with pytest.raises(ConnectionError):
        await retry_of(world)(QUEUE, "e1")

    assert await world.dead_letters.get(QUEUE, "e1") == entry
    stored = await world.batches.get(batch.id)
    assert (stored.status, stored.attempts, stored.last_error) == (BatchStatus.FAILED, 5, "x")


async def test_retrying_the_job_of_a_deleted_batch_enqueues_it_anyway(world: World) -> None:
    """The job then fails permanently into the DLQ with its reason; a retry does not check, so it cannot loop."""
    await world.dead_letters.add(QUEUE, dead_letter("e1", "gone", world.clock.now()))
    retried = await retry_of(world)(QUEUE, "e1")
    assert retried.job.created is True
    assert world.queue.queued == ["gone"]
    with pytest.raises(DeadLetterNotFound):
        await retry_of(world)(QUEUE, "e1")
    with pytest.raises(UnknownQueue):
        await retry_of(world)("nope", "e1")


async def test_queue_overview_counts_failed_jobs_and_dead_letters(world: World) -> None:
    for entry_id in ("a", "b"):
        await world.dead_letters.add(QUEUE, dead_letter(entry_id, "x", world.clock.now()))
    await world.dead_letters.remove(QUEUE, "a")
    await world.queue.enqueue(ProcessBatchJob("y"))
    overview = await ListQueues({QUEUE: world.queue}, world.dead_letters)()
    assert overview == [QueueOverview(name=QUEUE, queued=1, active=0, scheduled=0, failed=2, dead_letters=1, workers=1)]


# --- reprocessing a day ------------------------------------------------------------------------------------


async def test_reprocessing_a_day_recomputes_from_contributions_and_says_what_changed(world: World) -> None:
    await world.metrics.replace_contribution("b1", {"2025-11-13": {"signup": 2, "click": 1}})
    await world.metrics.replace_contribution("b2", {"2025-11-13": {"signup": 1}})
    world.metrics.totals["2025-11-13"] = {"signup": 2, "refund": 4}  # stale: b2 and click missing, refund gone
    limiter = FakeLimiter()
    reprocess = ReprocessDay(world.metrics, limiter)

    first = await reprocess(date(2025, 11, 13))
    assert first == DayReprocessed(
        date="2025-11-13",
        before={"signup": 2, "refund": 4},
        after={"signup": 3, "click": 1},
        changed={"click": [0, 1], "refund": [4, 0], "signup": [2, 3]},
    )
    assert await world.metrics.daily_totals("2025-11-13") == {"signup": 3, "click": 1}
    second = await reprocess(date(2025, 11, 13))
    assert (second.changed, second.after) == ({}, {"signup": 3, "click": 1})
    assert limiter.granted == [JobWeight.HEAVY, JobWeight.HEAVY]


async def test_the_midnight_run_enqueues_the_day_that_just_ended(world: World) -> None:
    world.clock.moment = datetime(2025, 11, 14, 0, 5, tzinfo=UTC)
    scheduled = await ScheduleReprocessing(world.queue, world.clock)()
    assert (scheduled.date, scheduled.job.created) == ("2025-11-13", True)
    assert list(world.queue.jobs.values()) == [ReprocessDayJob("2025-11-13")]


async def test_the_midnight_run_chooses_the_day_before_its_tick_even_when_it_runs_late_or_early(world: World) -> None:
    schedule = ScheduleReprocessing(world.queue, world.clock)
    world.clock.moment = datetime(2025, 11, 16, 9, 0, tzinfo=UTC)
    late = schedule.day_before(datetime(2025, 11, 14, 0, 5, tzinfo=UTC))
    early = schedule.day_before(datetime(2025, 11, 17, 0, 5, tzinfo=UTC))
    assert (late, early, schedule.day_before()) == (date(2025, 11, 13), date(2025, 11, 15), date(2025, 11, 15))
    assert (await schedule(date(2025, 11, 1))).date == "2025-11-01"


async def test_a_dead_letter_of_a_batch_still_uploading_is_not_retried_and_stays(world: World) -> None:
    """Marked enqueued, the batch would lose its upload's claim: the refusal is SubmitJob's, for every caller."""
    batch = (await world.upload(SEED)).batch
    await world.batches.set_status(batch.id, BatchStatus.INGESTING, world.clock.now())
    await world.dead_letters.add(QUEUE, dead_letter("e1", batch.id, world.clock.now()))
    with pytest.raises(BatchStillIngesting):
        await retry_of(world)(QUEUE, "e1")
    assert (await world.dead_letters.get(QUEUE, "e1")) is not None
    assert (await world.batches.get(batch.id)).status is BatchStatus.INGESTING
    assert world.queue.jobs == {}
