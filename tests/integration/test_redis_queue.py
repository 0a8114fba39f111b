"""The Redis adapters of the queue on a real Redis: dead-letter store, rate limiter, SAQ job queue and its sweep."""

from __future__ import annotations

import asyncio
import time
from datetime import UTC, datetime, timedelta

import msgspec
import pytest
from redis.asyncio import Redis
from redis.asyncio.retry import Retry
from redis.backoff import NoBackoff
from saq import Job, Status

from event_service.adapters.redis import (
    REDIS_OUTAGES,
    RedisDeadLetterStore,
    RedisRateLimiter,
    RetryPolicy,
    SaqJobQueue,
    ServiceQueue,
)
from event_service.application.jobs import ForeignJob, ProcessBatchJob, ReprocessDayJob
from event_service.application.ports import DeadLetter, DeadLetterCounts, JobRef, JobWeight, QueueStats

QUEUE = "metrics-processor"


def entry(entry_id: str, failed_at: datetime) -> DeadLetter:
    return DeadLetter(
        id=entry_id,
        job_key=f"process_batch:{entry_id}",
        job=ProcessBatchJob(entry_id),
        reason="BatchNotFound: batch x does not exist",
        attempts=1,
        failed_at=failed_at,
        traceback_tail="Traceback...\nBatchNotFound: batch x does not exist",
        first_failed_at=failed_at - timedelta(seconds=30),
    )


# --- dead letters ------------------------------------------------------------------------------------------


async def test_dead_letters_are_listed_newest_first_read_removed_and_purged(redis: Redis) -> None:
    store = RedisDeadLetterStore(redis)
    now = datetime.now(UTC).replace(microsecond=0)
    entries = [entry(f"e{i}", now - timedelta(minutes=10 - i)) for i in range(4)]
    for item in entries:
        await store.add(QUEUE, item)

    assert await store.list(QUEUE, 0, 2) == ([entries[3], entries[2]], 4)
    assert await store.list(QUEUE, 2, 10) == ([entries[1], entries[0]], 4)
    assert await store.get(QUEUE, "e1") == entries[1]
    assert await store.get(QUEUE, "nope") is None
    assert await store.get("other-queue", "e1") is None

    assert await store.remove(QUEUE, "e1") is True
    assert await store.remove(QUEUE, "e1") is False
    assert await store.counts(QUEUE) == DeadLetterCounts(entries=3, failed_total=4)
    assert await store.purge(QUEUE) == 3
    assert await store.list(QUEUE, 0, 10) == ([], 0)
    # Every job that ever failed for good is still counted.
    assert await store.counts(QUEUE) == DeadLetterCounts(entries=0, failed_total=4)


async def test_the_same_failure_reported_twice_is_stored_once_and_the_first_report_wins(redis: Redis) -> None:
    store = RedisDeadLetterStore(redis)
    now = datetime.now(UTC).replace(microsecond=0)
    first = entry("run-1", now)
    assert await store.add(QUEUE, first) is True
    assert await store.add(QUEUE, msgspec.structs.replace(first, reason="WorkerLost: swept")) is False
    assert await store.list(QUEUE, 0, 10) == ([first], 1)
    assert await store.counts(QUEUE) == DeadLetterCounts(entries=1, failed_total=1)


async def test_retention_drops_the_oldest_beyond_the_count_limit(redis: Redis) -> None:
    store = RedisDeadLetterStore(redis, max_entries=3)
    now = datetime.now(UTC)
    for i in range(5):
        await store.add(QUEUE, entry(f"e{i}", now - timedelta(seconds=50 - i)))
    listed, total = await store.list(QUEUE, 0, 10)
    assert ([item.id for item in listed], total) == (["e4", "e3", "e2"], 3)
    assert await redis.hlen("event-service:dlq:metrics-processor:entries") == 3
    assert await store.counts(QUEUE) == DeadLetterCounts(entries=3, failed_total=5)


async def test_retention_drops_entries_older_than_the_age_limit_even_with_no_new_failure(redis: Redis) -> None:
    now = datetime.now(UTC)
    old = RedisDeadLetterStore(redis, retention=timedelta(days=30))
    await old.add(QUEUE, entry("ancient", now - timedelta(days=8)))
    await old.add(QUEUE, entry("recent", now - timedelta(days=6)))
    assert (await old.list(QUEUE, 0, 10))[1] == 2

    store = RedisDeadLetterStore(redis, retention=timedelta(days=7))
    assert await store.get(QUEUE, "ancient") is None
    listed, total = await store.list(QUEUE, 0, 10)
    assert ([item.id for item in listed], total) == (["recent"], 1)
    assert await redis.hkeys("event-service:dlq:metrics-processor:entries") == [b"recent"]


# --- rate limiter ------------------------------------------------------------------------------------------


async def test_the_rate_is_shared_by_limiters_on_separate_connections(redis: Redis, redis_url: str) -> None:
    other = Redis.from_url(redis_url)
    rates = {JobWeight.LIGHT: 40.0, JobWeight.HEAVY: 0.0}
    limiters = [RedisRateLimiter(redis, rates), RedisRateLimiter(other, rates)]
    granted: list[float] = []

    async def start(limiter: RedisRateLimiter) -> None:
        await limiter.acquire(JobWeight.LIGHT)
        granted.append(time.monotonic())

    began = time.monotonic()
    await asyncio.gather(*(start(limiters[i % 2]) for i in range(9)))
    # Nine starts at 40/s: the first at once, the others 25 ms apart whichever limiter asked.
    assert time.monotonic() - began >= 8 * 0.025 - 0.005
    granted.sort()
    assert granted[-1] - granted[0] >= 8 * 0.025 - 0.005

    # A rate of 0 is no limit at all, and heavy starts do not wait behind light ones.
    began = time.monotonic()
    await asyncio.gather(*(limiters[0].acquire(JobWeight.HEAVY) for _ in range(50)))
    assert time.monotonic() - began < 0.2
    await other.aclose()


# --- the SAQ job queue -------------------------------------------------------------------------------------


async def test_one_job_per_key_stamped_with_the_retry_policy(redis: Redis) -> None:
    queue = ServiceQueue(redis, name=QUEUE)
    jobs = SaqJobQueue(queue, RetryPolicy(attempts=4, base_delay=0.5, max_delay=30, timeout=90))

    assert await jobs.enqueue(ProcessBatchJob("b1")) == JobRef(key="process_batch:b1", status="queued", created=True)
    assert await jobs.enqueue(ProcessBatchJob("b1")) == JobRef(key="process_batch:b1", status="queued", created=False)
    assert await jobs.enqueue(ReprocessDayJob("2025-11-13")) == JobRef(
        key="reprocess_day:2025-11-13", status="queued", created=True
    )
    stored = await queue.job("process_batch:b1")
    assert stored is not None
    assert (stored.function, stored.kwargs, stored.attempts) == ("process_batch", {"batch_id": "b1"}, 0)
    assert (stored.retries, stored.retry_delay, stored.retry_backoff, stored.timeout) == (4, 0.5, 30, 90)
    assert await jobs.stats() == QueueStats(queued=2, active=0, scheduled=0, workers=0)


async def test_requeue_after_a_failure_is_a_fresh_job(redis: Redis) -> None:
    queue = ServiceQueue(redis, name=QUEUE)
    jobs = SaqJobQueue(queue, RetryPolicy(attempts=2))
    await jobs.enqueue(ProcessBatchJob("b1"))
    job = await queue.dequeue()
    assert job is not None
    job.attempts = 2
    await queue.finish(job, Status.FAILED, error="boom")

    again = await jobs.enqueue(ProcessBatchJob("b1"), "process_batch:b1")
    assert again == JobRef(key="process_batch:b1", status="queued", created=True)
    stored = await queue.job("process_batch:b1")
    assert stored is not None
    assert (stored.status, stored.attempts, stored.error) == (Status.QUEUED, 0, None)


async def test_an_unreachable_redis_raises_an_outage_error_the_http_layer_answers_503() -> None:
    dead = Redis(host="127.0.0.1", port=1, retry=Retry(NoBackoff(), 0), socket_connect_timeout=0.5)
    jobs = SaqJobQueue(ServiceQueue(dead, name=QUEUE), RetryPolicy())
    with pytest.raises(REDIS_OUTAGES):
        await jobs.enqueue(ProcessBatchJob("b1"))
    with pytest.raises(REDIS_OUTAGES):
        await jobs.stats()
    await dead.aclose()


async def _stuck(queue: ServiceQueue, key: str, retries: int) -> None:
    """A job a worker took and then never reported on, its timeout long past: what a dead worker leaves."""
    await queue.enqueue(Job(function="process_batch", kwargs={"batch_id": key}, key=key, retries=retries, timeout=1))
    job = await queue.dequeue()
    assert job is not None
    job.attempts = 1
    job.started = int((time.time() - 5) * 1000)
    await job.update(status=Status.ACTIVE)


async def test_the_sweep_requeues_a_stuck_job_with_attempts_left_and_reports_one_without(redis: Redis) -> None:
    queue = ServiceQueue(redis, name=QUEUE)
    given_up: list[Job] = []

    async def report(job: Job) -> None:
        given_up.append(job)

    queue.on_given_up = report
    await _stuck(queue, "keeps-trying", retries=2)
    await _stuck(queue, "out-of-attempts", retries=1)

    swept = await queue.sweep(lock=1, abort=0.05)

    assert sorted(swept) == ["saq:job:metrics-processor:keeps-trying", "saq:job:metrics-processor:out-of-attempts"]
    assert [(job.key, job.status, job.error) for job in given_up] == [("out-of-attempts", Status.ABORTED, "swept")]
    retried = await queue.job("keeps-trying")
    assert retried is not None
    assert (retried.status, retried.attempts) == (Status.QUEUED, 1)


async def test_the_policy_backs_off_exponentially_up_to_its_cap(monkeypatch: pytest.MonkeyPatch) -> None:
    job = Job(function="process_batch")
    await RetryPolicy(attempts=7, base_delay=0.5, max_delay=5.0, timeout=60).apply(job)
    # SAQ draws each delay at random between 0 and the backoff: pinned to the top, the backoff itself shows.
    monkeypatch.setattr("saq.utils.random", lambda: 1.0)
    delays = []
    for attempts in range(1, 7):
        job.attempts = attempts
        delays.append(job.next_retry_delay())
    assert delays == [0.5, 1.0, 2.0, 4.0, 5.0, 5.0]
    monkeypatch.setattr("saq.utils.random", lambda: 0.25)
    assert job.next_retry_delay() == 1.25


async def test_a_dead_letter_keeps_its_job_as_the_saq_call_that_runs_it(redis: Redis) -> None:
    """Stored as function and kwargs (the form entries written before typed jobs have too), read as a message."""
    store = RedisDeadLetterStore(redis, max_entries=10, retention=timedelta(days=1))
    at = datetime.now(UTC)
    foreign = msgspec.structs.replace(entry("f", at), job=ForeignJob("cleanup", {"older_than": 3}))
    for stored in (entry("p", at), foreign):
        assert await store.add(QUEUE, stored) is True
        assert await store.get(QUEUE, stored.id) == stored
    [raw] = [value for key in await redis.keys("*entries") for value in [await redis.hget(key, "p")] if value]
    assert {k: v for k, v in msgspec.json.decode(raw).items() if k in ("function", "kwargs")} == {
        "function": "process_batch",
        "kwargs": {"batch_id": "p"},
    }
