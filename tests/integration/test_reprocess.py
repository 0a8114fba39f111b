"""Recomputing a day's totals from the batch contributions: the admin route, the midnight SAQ cron job, the CLI."""

from __future__ import annotations

import asyncio
import io
import json
from datetime import UTC, datetime, timedelta

import msgspec
import pytest
from croniter import croniter
from litestar.testing import AsyncTestClient
from redis.asyncio import Redis
from saq.queue.redis import RedisQueue
from structlog.testing import capture_logs

from event_service.adapters.compute import InlinePool
from event_service.adapters.settings import QUEUE_NAME, ConfigurationError, load_settings
from event_service.application.ingest_upload import Upload
from event_service.entrypoints import cli
from event_service.entrypoints import logging as logging_setup
from event_service.entrypoints.bootstrap import Service, bootstrap
from tests.integration.conftest import ADMIN_TOKEN
from tests.integration.helpers import SEED_CSV, eventually, store_sql

AUTH = {"Authorization": f"Bearer {ADMIN_TOKEN}"}


async def _upload_and_process(client: AsyncTestClient, content: bytes) -> str:
    batch_id = (await client.post("/uploads", files={"file": ("e.csv", content, "text/csv")})).json()["batch_id"]
    await client.post(f"/batches/{batch_id}/process")
    await eventually(lambda: client.get(f"/batches/{batch_id}"), lambda r: r.json()["status"] == "processed")
    return batch_id


async def _corrupt_totals(service: Service, day: str, counts: dict[str, int]) -> None:
    """What the midnight run exists for: totals that drifted from the contributions (a lost write, say)."""
    await store_sql(service, "UPDATE daily_totals SET counts = ? WHERE day = ?", json.dumps(counts), day)


async def test_the_admin_route_recomputes_a_day_and_says_what_changed(
    client: AsyncTestClient, service: Service
) -> None:
    await _upload_and_process(client, SEED_CSV)
    await _corrupt_totals(service, "2025-11-13", {"signup": 7, "refund": 2})
    assert (await client.get("/metrics?date=2025-11-13")).json()["metrics"] == {"signup": 7, "refund": 2}

    with capture_logs() as logs:
        response = await client.post("/metrics/reprocess", params={"date": "2025-11-13"}, headers=AUTH)
    assert (response.status_code, response.json()) == (
        200,
        {
            "date": "2025-11-13",
            "before": {"signup": 7, "refund": 2},
            "after": {"signup": 120, "purchase": 30},
            "changed": {"purchase": [0, 30], "refund": [2, 0], "signup": [7, 120]},
        },
    )
    assert [line for line in logs if line["event"] == "metrics.reprocessed"] == [
        {
            "event": "metrics.reprocessed",
            "log_level": "info",
            "date": "2025-11-13",
            "trigger": "admin",
            "changed": {"purchase": [0, 30], "refund": [2, 0], "signup": [7, 120]},
            "unchanged": False,
            "totals": {"signup": 120, "purchase": 30},
        }
    ]
    assert (await client.get("/metrics?date=2025-11-13")).json()["metrics"] == {"signup": 120, "purchase": 30}
    again = await client.post("/metrics/reprocess", params={"date": "2025-11-13"}, headers=AUTH)
    assert again.json()["changed"] == {}
    empty = await client.post("/metrics/reprocess", params={"date": "2024-01-01"}, headers=AUTH)
    assert empty.json() == {"date": "2024-01-01", "before": {}, "after": {}, "changed": {}}


@pytest.mark.parametrize(
    ("query", "says"),
    [
        ("", "Missing required query parameter 'date'"),
        ("?date=2025-13-01", "YYYY-MM-DD"),
        ("?date=20251113", "YYYY-MM-DD"),
    ],
)
async def test_the_admin_route_wants_a_day(client: AsyncTestClient, query: str, says: str) -> None:
    response = await client.post(f"/metrics/reprocess{query}", headers=AUTH)
    assert response.status_code == 400
    assert says in response.json()["message"]


async def test_the_midnight_cron_job_recomputes_yesterday(
    client: AsyncTestClient, producer: RedisQueue, service: Service
) -> None:
    now = datetime.now(UTC)
    yesterday = (now - timedelta(days=1)).date().isoformat()
    await _upload_and_process(
        client,
        f"user_id,event_type,timestamp\na,signup,{yesterday}T12:00:00Z\nb,signup,{yesterday}T23:59:59Z\n".encode(),
    )
    await _corrupt_totals(service, yesterday, {"signup": 1})

    # SAQ schedules the cron job once for the queue, for the next 00:05 UTC.
    cron = await eventually(lambda: producer.job("cron:reprocess_yesterday"), lambda job: job is not None)
    next_run = croniter("5 0 * * *", now).get_next(datetime)
    assert (cron.function, cron.status.value, cron.scheduled) == (
        "reprocess_yesterday",
        "queued",
        int(next_run.timestamp()),
    )

    # Midnight arrives: the job's due time moves to now, and SAQ's scheduler does the rest.
    await producer.redis.zadd("saq:metrics-processor:incomplete", {cron.id: 1})
    reprocessed = await eventually(
        lambda: producer.job(f"reprocess_day:{yesterday}"),
        lambda job: job is not None and job.status.value == "complete",
    )
    assert reprocessed.result == {
        "date": yesterday,
        "before": {"signup": 1},
        "after": {"signup": 2},
        "changed": {"signup": [1, 2]},
    }
    assert (await client.get(f"/metrics?date={yesterday}")).json()["metrics"] == {"signup": 2}


def test_the_cli_reprocesses_a_day(
    redis_url: str, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture
) -> None:
    """`event-service reprocess` on the store of the test's DATA_DIR, seeded (and corrupted) beforehand through the
    same composition root. No rate limit, so only clearing the cache uses Redis."""
    settings = load_settings(redis_url=redis_url, mongodb_url=None, light_job_rate=0, heavy_job_rate=0)

    async def seed() -> None:
        service = bootstrap(settings, compute=InlinePool())
        await service.start()
        try:
            batch = (await service.use_cases.ingest_upload(Upload(io.BytesIO(SEED_CSV), "seed.csv"))).batch
            await service.use_cases.process_batch(batch.id)
            await _corrupt_totals(service, "2025-11-13", {"signup": 3})
        finally:
            await service.close()

    asyncio.run(seed())
    # The CLI reads its settings from the environment: the same Redis, rates and DATA_DIR.
    monkeypatch.setenv("REDIS_URL", redis_url)
    monkeypatch.setenv("DATA_DIR", str(settings.data_dir))
    monkeypatch.setenv("LIGHT_JOB_RATE", "0")
    monkeypatch.setenv("HEAVY_JOB_RATE", "0")
    monkeypatch.delenv("MONGODB_URL", raising=False)
    monkeypatch.setattr(logging_setup, "configure_logging", lambda *args: None)

    assert cli.main(["reprocess", "--date", "2025-11-13"]) == 0
    # The result is the last line on stdout (the log line goes to stderr once logging is configured).
    printed = msgspec.json.decode(capsys.readouterr().out.splitlines()[-1])
    assert printed == {
        "date": "2025-11-13",
        "before": {"signup": 3},
        "after": {"signup": 120, "purchase": 30},
        "changed": {"purchase": [0, 30], "signup": [3, 120]},
    }


def test_the_cli_refuses_a_bad_date(capsys: pytest.CaptureFixture) -> None:
    with pytest.raises(SystemExit) as exited:
        cli.main(["reprocess", "--date", "2025-13-01"])
    assert exited.value.code == 2
    assert "'2025-13-01' is not a calendar day as YYYY-MM-DD" in capsys.readouterr().err


def test_an_invalid_reprocess_cron_fails_at_start_up() -> None:
    with pytest.raises(ConfigurationError, match=r"REPROCESS_CRON: .*'61 0 \* \* \*' is not a cron expression"):
        load_settings(reprocess_cron="61 0 * * *")


async def test_a_reprocess_job_with_a_bad_date_is_dead_lettered_at_once(
    client: AsyncTestClient, producer: RedisQueue
) -> None:
    await producer.enqueue("reprocess_day", key="reprocess_day:bad", date="2025-02-30", retries=3)
    listing = await eventually(
        lambda: client.get("/queues/metrics-processor/dlq", headers=AUTH), lambda r: r.json()["total"] == 1
    )
    [entry] = listing.json()["failed_jobs"]
    assert (entry["function"], entry["kwargs"], entry["attempts"], entry["reason"]) == (
        "reprocess_day",
        {"date": "2025-02-30"},
        1,
        "InvalidJobArguments: date '2025-02-30' is not a calendar day as YYYY-MM-DD",
    )


async def test_the_cron_job_is_scheduled_once_by_many_workers(service: Service, redis_url: str) -> None:
    from event_service.adapters.redis import ServiceQueue
    from event_service.entrypoints.jobs import build_worker

    queues = [ServiceQueue(Redis.from_url(redis_url), name=QUEUE_NAME) for _ in range(3)]
    workers = [build_worker(service, queue) for queue in queues]
    for worker in workers:
        await worker.schedule()
    keys = await queues[0].redis.zrange("saq:metrics-processor:incomplete", 0, -1)
    assert keys == [b"saq:job:metrics-processor:cron:reprocess_yesterday"]
    for queue in queues:
        await queue.disconnect()
