"""The real entrypoints as processes on one DATA_DIR: `serve` stopped and started again keeps everything, and
separate `api` and `worker` processes share the SQLite file and Redis."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import httpx
import pytest
from redis.asyncio import Redis
from saq.queue.redis import RedisQueue

from event_service.adapters.redis import job_key
from event_service.adapters.settings import QUEUE_NAME
from event_service.application.jobs import ProcessBatchJob
from tests.integration.helpers import SEED_CSV, eventually, free_port

TOKEN = "process-test-token"
AUTH = {"Authorization": f"Bearer {TOKEN}"}
DLQ = f"/queues/{QUEUE_NAME}/dlq"
BAD_ROW = b"user_id,event_type,timestamp\nu1,signup,2025-11-13T08:00:00Z\n,signup,2025-11-13T09:00:00Z\n"
STOP_WITHIN = 30

pytestmark = pytest.mark.asyncio


@contextmanager
def _running(command: str, data_dir: Path, log: Path, **environment: str) -> Iterator[subprocess.Popen[bytes]]:
    """``event-service <command>`` on ``data_dir``; SIGTERM when done (SIGKILL if it will not stop)."""
    env = {name: value for name, value in os.environ.items() if name not in {"REDIS_URL", "MONGODB_URL"}}
    env |= {"DATA_DIR": str(data_dir), "ADMIN_TOKEN": TOKEN, "LOG_FORMAT": "json", "JOB_RETRY_DELAY": "0"}
    env["PYTHONUNBUFFERED"] = "1"  # each log line reaches the file as it is written, for the test to read
    env |= environment
    with log.open("ab") as output:
        process = subprocess.Popen(
            [sys.executable, "-m", "event_service.entrypoints.cli", command], env=env, stdout=output, stderr=output
        )
    try:
        yield process
    finally:
        if process.poll() is None:
            process.send_signal(signal.SIGTERM)
            try:
                process.wait(STOP_WITHIN)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait()


def _stop(process: subprocess.Popen[bytes]) -> int:
    process.send_signal(signal.SIGTERM)
    return process.wait(STOP_WITHIN)


def _logged(log: Path, event: str) -> list[dict]:
    lines = (line for line in log.read_text(errors="replace").splitlines() if line.startswith("{"))
    return [record for record in map(json.loads, lines) if record.get("event") == event]


async def _up(client: httpx.AsyncClient, process: subprocess.Popen[bytes], log: Path) -> None:
    async def health() -> int | None:
        if process.poll() is not None:
            raise AssertionError(f"exited with {process.returncode}; its log: {log}")
        try:
            return (await client.get("/health")).status_code
        except httpx.TransportError:
            return None

    await eventually(health, lambda status: status == 200, within=60)


async def _process(client: httpx.AsyncClient, content: bytes) -> str:
    uploaded = await client.post("/uploads", files={"file": ("e.csv", content, "text/csv")})
    assert uploaded.status_code == 201, uploaded.text
    batch_id = uploaded.json()["batch_id"]
    assert (await client.post(f"/batches/{batch_id}/process")).status_code == 202
    await eventually(lambda: client.get(f"/batches/{batch_id}"), lambda r: r.json()["status"] == "processed", within=30)
    return batch_id


async def test_serve_keeps_batches_errors_metrics_and_dead_letters_across_a_restart(tmp_path: Path) -> None:
    data_dir, log = tmp_path / "data", tmp_path / "serve.log"
    port = free_port()
    base = f"http://127.0.0.1:{port}"

    # No REDIS_URL: the embedded valkey, with its append-only file in DATA_DIR.
    with _running("serve", data_dir, log, PORT=str(port)) as first:
        async with httpx.AsyncClient(base_url=base, timeout=10) as client:
            await _up(client, first, log)
            seed = await _process(client, SEED_CSV)
            flawed = await _process(client, BAD_ROW)
            [backends] = _logged(log, "backends")
            assert (backends["store"], backends["store_data"]) == (
                "sqlite",
                str((data_dir / "event-service.sqlite3").resolve()),
            )
            # A job for a batch that does not exist, as another service could enqueue it: dead-lettered at once.
            producer = RedisQueue(Redis.from_url(backends["redis_url"]), name=QUEUE_NAME)
            try:
                await producer.enqueue(
                    "process_batch", key=job_key(ProcessBatchJob("no-such-batch")), batch_id="no-such-batch", retries=3
                )
            finally:
                await producer.disconnect()
            await eventually(lambda: client.get(DLQ, headers=AUTH), lambda r: r.json()["total"] == 1)
            before = {
                "seed": (await client.get(f"/batches/{seed}")).json(),
                "flawed": (await client.get(f"/batches/{flawed}")).json(),
                "errors": (await client.get(f"/batches/{flawed}/errors")).json(),
                "metrics": (await client.get("/metrics", params={"date": "2025-11-13"})).json(),
                "dlq": (await client.get(DLQ, headers=AUTH)).json(),
            }
        assert _stop(first) == 0

    assert before["metrics"]["metrics"] == {"signup": 121, "purchase": 30}
    assert [error["row"] for error in before["errors"]["errors"]] == [3]
    assert before["dlq"]["total"] == 1
    assert (data_dir / "valkey" / "appendonlydir").is_dir()

    with _running("serve", data_dir, log, PORT=str(port)) as second:
        async with httpx.AsyncClient(base_url=base, timeout=10) as client:
            await _up(client, second, log)
            after = {
                "seed": (await client.get(f"/batches/{seed}")).json(),
                "flawed": (await client.get(f"/batches/{flawed}")).json(),
                "errors": (await client.get(f"/batches/{flawed}/errors")).json(),
                "metrics": (await client.get("/metrics", params={"date": "2025-11-13"})).json(),
                "dlq": (await client.get(DLQ, headers=AUTH)).json(),
            }
        assert _stop(second) == 0
    assert after == before
    assert [step["status"] for step in after["seed"]["history"]] == [
        "ingesting",
        "uploaded",
        "enqueued",
        "processing",
        "processed",
    ]


async def test_separate_api_and_worker_processes_share_the_data_dir(tmp_path: Path, redis_url: str) -> None:
    data_dir, api_log, worker_log = tmp_path / "data", tmp_path / "api.log", tmp_path / "worker.log"
    port = free_port()
    with (
        _running("worker", data_dir, worker_log, REDIS_URL=redis_url) as worker,
        _running("api", data_dir, api_log, REDIS_URL=redis_url, PORT=str(port)) as api,
    ):
        async with httpx.AsyncClient(base_url=f"http://127.0.0.1:{port}", timeout=10) as client:
            await _up(client, api, api_log)
            batch_id = await _process(client, SEED_CSV)
            metrics = (await client.get("/metrics", params={"date": "2025-11-13"})).json()
        assert metrics["metrics"] == {"signup": 120, "purchase": 30}
        # The worker process did the job: the API process runs no worker.
        assert [record["batch_id"] for record in _logged(worker_log, "job.completed")] == [batch_id]
        assert _logged(api_log, "job.completed") == []
        assert [record["worker"] for record in _logged(api_log, "backends")] == [
            "separate `event-service worker` processes"
        ]
        assert (_stop(api), _stop(worker)) == (0, 0)
