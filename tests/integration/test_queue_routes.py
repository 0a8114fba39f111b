"""The admin side of the queue through HTTP, with the real SAQ worker in-process on real Redis: dead letters and
their routes, the queue overview, the dashboard, and a batch's job state."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime
from typing import Any

import pytest
from litestar.testing import AsyncTestClient
from redis.exceptions import ConnectionError as RedisConnectionError
from saq.queue.redis import RedisQueue

from event_service.adapters.compute import InlinePool
from event_service.adapters.redis import job_key
from event_service.adapters.settings import Settings
from event_service.application.jobs import ProcessBatchJob
from event_service.entrypoints.bootstrap import Service, bootstrap
from event_service.entrypoints.http.app import create_app
from tests.integration.conftest import ADMIN_TOKEN, settings_for
from tests.integration.helpers import SEED_CSV, eventually, store_with

AUTH = {"Authorization": f"Bearer {ADMIN_TOKEN}"}
DLQ = "/queues/metrics-processor/dlq"


async def _dead_letters(client: AsyncTestClient, count: int) -> list[dict[str, Any]]:
    listing = await eventually(lambda: client.get(DLQ, headers=AUTH), lambda r: r.json()["total"] == count)
    return listing.json()["failed_jobs"]


async def _upload(client: AsyncTestClient, content: bytes = SEED_CSV) -> str:
    return (await client.post("/uploads", files={"file": ("e.csv", content, "text/csv")})).json()["batch_id"]


class MetricsDown:
    """The metrics store failing every write transiently, as with its server unreachable."""

    def __init__(self) -> None:
        self.calls = 0

    async def replace_contribution(self, batch_id: str, counts: Mapping[str, Mapping[str, int]]) -> set[str]:
        self.calls += 1
        raise RedisConnectionError("MongoDB is down")

    async def recompute_day(self, day: str) -> dict[str, int]:
        raise AssertionError("never reached: every contribution fails first")

    async def daily_totals(self, day: str) -> dict[str, int]:
        return {}


def with_metrics_down(settings: Settings, metrics: MetricsDown) -> Service:
    """The service on its real store, but with the metrics repository down."""
    return bootstrap(settings, store=store_with(settings, metrics=lambda _: metrics), compute=InlinePool())


async def test_a_poison_job_reaches_the_dlq_and_is_retried_and_deleted_through_the_routes(
    client: AsyncTestClient, producer: RedisQueue
) -> None:
    await producer.enqueue(
        "process_batch", key=job_key(ProcessBatchJob("no-such-batch")), batch_id="no-such-batch", retries=3
    )
    [entry] = await _dead_letters(client, 1)
    assert set(entry) == {
        "id",
        "job_key",
        "function",
        "kwargs",
        "reason",
        "attempts",
        "first_failed_at",
        "failed_at",
        "traceback_tail",
    }
    assert (entry["job_key"], entry["function"], entry["kwargs"]) == (
        "process_batch:no-such-batch",
        "process_batch",
        {"batch_id": "no-such-batch"},
    )
    # Permanent: the remaining two attempts were skipped.
    assert (entry["reason"], entry["attempts"]) == ("BatchNotFound: batch no-such-batch does not exist", 1)
    assert entry["traceback_tail"].splitlines()[-1].endswith("BatchNotFound: batch no-such-batch does not exist")
    assert datetime.fromisoformat(entry["first_failed_at"]) <= datetime.fromisoformat(entry["failed_at"])

    one = await client.get(f"{DLQ}/{entry['id']}", headers=AUTH)
    assert (one.status_code, one.json()) == (200, entry)

    retried = await client.post(f"{DLQ}/{entry['id']}/retry", headers=AUTH)
    assert (retried.status_code, retried.json()) == (
        202,
        {
            "queue": "metrics-processor",
            "dead_letter_id": entry["id"],
            "job_key": "process_batch:no-such-batch",
            "job_status": "queued",
            "created": True,
        },
    )
    assert (await client.get(f"{DLQ}/{entry['id']}", headers=AUTH)).status_code == 404
    # The batch still does not exist: the retried job fails once more, into the DLQ, instead of looping.
    [again] = await _dead_letters(client, 1)
    assert again["id"] != entry["id"]
    assert (again["reason"], again["attempts"]) == (entry["reason"], 1)

    assert (await client.delete(f"{DLQ}/{again['id']}", headers=AUTH)).status_code == 204
    gone = await client.delete(f"{DLQ}/{again['id']}", headers=AUTH)
    assert (gone.status_code, gone.json()["message"]) == (
        404,
        f"dead letter '{again['id']}' does not exist in queue 'metrics-processor'",
    )
    assert (await client.post(f"{DLQ}/{again['id']}/retry", headers=AUTH)).status_code == 404
    assert (await client.get(DLQ, headers=AUTH)).json()["total"] == 0


async def test_dead_letters_are_paged_newest_first_and_purged(client: AsyncTestClient, producer: RedisQueue) -> None:
    for name in ("first", "second", "third"):
        await producer.enqueue("process_batch", key=job_key(ProcessBatchJob(name)), batch_id=name)
        await _dead_letters(client, ["first", "second", "third"].index(name) + 1)
    page = (await client.get(DLQ, headers=AUTH, params={"offset": 1, "limit": 1})).json()
    assert (page["total"], page["offset"], page["limit"]) == (3, 1, 1)
    assert [job["kwargs"]["batch_id"] for job in page["failed_jobs"]] == ["second"]
    newest = (await client.get(DLQ, headers=AUTH)).json()["failed_jobs"]
    assert [job["kwargs"]["batch_id"] for job in newest] == ["third", "second", "first"]

    purged = await client.delete(DLQ, headers=AUTH)
    assert (purged.status_code, purged.json()) == (200, {"queue": "metrics-processor", "purged": 3})
    assert (await client.get(DLQ, headers=AUTH)).json()["total"] == 0


async def test_transient_failures_are_retried_then_dead_lettered_and_the_batch_shows_it(settings: Settings) -> None:
    failing = MetricsDown()
    async with AsyncTestClient(app=create_app(with_metrics_down(settings, failing))) as client:
        batch_id = await _upload(client)
        assert (await client.post(f"/batches/{batch_id}/process")).status_code == 202

        [entry] = await _dead_letters(client, 1)
        # JOB_RETRIES=2 in these tests: both attempts ran, the second failure dead-lettered the job.
        assert failing.calls == 2
        assert (entry["reason"], entry["attempts"]) == ("ConnectionError: MongoDB is down", 2)
        assert datetime.fromisoformat(entry["first_failed_at"]) < datetime.fromisoformat(entry["failed_at"])
        # The entry is stored first, then the batch marked failed: wait for the second write.
        answer = await eventually(
            lambda: client.get(f"/batches/{batch_id}"), lambda r: r.json()["status"] != "processing"
        )
        batch = answer.json()
        assert (batch["status"], batch["attempts"], batch["last_error"]) == (
            "failed",
            2,
            "ConnectionError: MongoDB is down",
        )


async def test_a_retry_that_cannot_reach_the_queue_is_503_and_keeps_the_entry(
    service: Service, client: AsyncTestClient, producer: RedisQueue, monkeypatch: pytest.MonkeyPatch
) -> None:
    await producer.enqueue("process_batch", key=job_key(ProcessBatchJob("nope")), batch_id="nope")
    [entry] = await _dead_letters(client, 1)

    async def unreachable(*args: object, **kwargs: object) -> None:
        raise RedisConnectionError("Connection refused")

    monkeypatch.setattr(service.redis.queue, "enqueue", unreachable)
    refused = await client.post(f"{DLQ}/{entry['id']}/retry", headers=AUTH)
    assert (refused.status_code, refused.headers["retry-after"], refused.json()) == (
        503,
        "5",
        {
            "status_code": 503,
            "message": "Redis is unavailable (ConnectionError); try again in a few seconds",
            "dependency": "redis",
        },
    )
    assert (await client.get(f"{DLQ}/{entry['id']}", headers=AUTH)).json() == entry


async def test_queue_overview_counts_each_kind_of_job(client: AsyncTestClient, producer: RedisQueue) -> None:
    await producer.enqueue("process_batch", key=job_key(ProcessBatchJob("nope")), batch_id="nope")
    await _dead_letters(client, 1)

    async def overview() -> dict[str, Any]:
        return (await client.get("/queues", headers=AUTH)).json()

    # The one scheduled job is the midnight reprocessing (a cron job).
    assert await eventually(overview, lambda body: body["queues"][0]["workers"] == 1) == {
        "queues": [
            {
                "name": "metrics-processor",
                "queued": 0,
                "active": 0,
                "scheduled": 1,
                "failed": 1,
                "dead_letters": 1,
                "workers": 1,
            }
        ]
    }


@pytest.mark.parametrize(
    ("method", "path"),
    [
        ("GET", "/queues"),
        ("GET", DLQ),
        ("GET", f"{DLQ}/x"),
        ("POST", f"{DLQ}/x/retry"),
        ("DELETE", f"{DLQ}/x"),
        ("DELETE", DLQ),
        ("POST", "/metrics/reprocess?date=2025-11-13"),
        ("GET", "/saq/api/queues"),
    ],
)
async def test_admin_routes_need_the_token_and_name_known_queues(
    client: AsyncTestClient, method: str, path: str
) -> None:
    assert (await client.request(method, path)).status_code == 401
    wrong = await client.request(method, path, headers={"Authorization": "Bearer wrong"})
    assert (wrong.status_code, wrong.headers["www-authenticate"]) == (401, "Bearer")
    if "/metrics-processor/" in path or path.endswith("/metrics-processor/dlq"):
        unknown = await client.request(method, path.replace("metrics-processor", "nope"), headers=AUTH)
        assert (unknown.status_code, unknown.json()["message"]) == (404, "queue 'nope' does not exist")


async def test_the_dashboard_shows_the_queue_and_its_jobs(client: AsyncTestClient) -> None:
    assert (await client.get("/saq", headers=AUTH)).status_code == 200
    queues = await client.get("/saq/api/queues", headers=AUTH)
    assert [queue["name"] for queue in queues.json()["queues"]] == ["metrics-processor"]
    detail = await eventually(
        lambda: client.get("/saq/api/queues/metrics-processor", headers=AUTH), lambda r: r.json()["queue"]["jobs"]
    )
    assert [job["key"] for job in detail.json()["queue"]["jobs"]] == ["cron:reprocess_yesterday"]


async def test_job_state_while_a_retry_waits_and_asking_again_returns_the_same_job(
    redis_url: str, producer: RedisQueue, monkeypatch: pytest.MonkeyPatch
) -> None:
    # SAQ draws each retry delay at random up to the backoff; pinned to the top, the first retry waits 30 s.
    monkeypatch.setattr("saq.utils.random", lambda: 1.0)
    settings = settings_for(
        redis_url,
        job_retries=3,
        job_retry_delay=30.0,
        job_retry_max_delay=60.0,
    )
    failing = MetricsDown()
    async with AsyncTestClient(app=create_app(with_metrics_down(settings, failing))) as client:
        batch_id = await _upload(client)
        first = await client.post(f"/batches/{batch_id}/process")
        assert (first.status_code, first.json()["status"]) == (202, "enqueued")

        batch = await eventually(
            lambda: client.get(f"/batches/{batch_id}"), lambda r: r.json()["last_error"] is not None
        )
        assert {k: batch.json()[k] for k in ("status", "attempts", "last_error", "job_key")} == {
            "status": "enqueued",
            "attempts": 1,
            "last_error": "ConnectionError: MongoDB is down",
            "job_key": f"process_batch:{batch_id}",
        }
        # Read through the test's own connection: the app serves on the test client's event loop.
        job = await producer.job(job_key(ProcessBatchJob(batch_id)))
        assert job is not None
        assert (job.status.value, job.attempts) == ("queued", 1)
        due = await producer.redis.zscore("saq:metrics-processor:incomplete", job.id)
        assert due is not None
        assert 25 < due - datetime.now().timestamp() <= 30

        again = await client.post(f"/batches/{batch_id}/process")
        assert (again.status_code, again.json()) == (
            202,
            {"status": "enqueued", "batch_id": batch_id, "job_key": f"process_batch:{batch_id}"},
        )
        overview = (await client.get("/queues", headers=AUTH)).json()["queues"][0]
        # This batch's retry and the midnight cron job: no second job for the batch.
        assert (overview["queued"], overview["scheduled"]) == (0, 2)
        assert failing.calls == 1
