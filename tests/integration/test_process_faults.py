"""Faults across real processes on the SQLite store: the API killed mid-upload loses nothing and counts nothing twice
once the file is uploaded again; a worker killed mid-job leaves its batch to the next worker, counted once."""

from __future__ import annotations

import asyncio
import contextlib
import os
import signal
import sqlite3
import subprocess
from datetime import date, timedelta
from pathlib import Path

import httpx
import pytest

from tests.integration.helpers import eventually, free_port
from tests.integration.test_processes import _running, _up

pytestmark = pytest.mark.asyncio

ROWS = 600_000
TYPES = ("view", "click", "purchase")


def _big_file() -> bytes:
    lines = ["event_id,user_id,event_type,timestamp"]
    lines += [f"e{n},u{n % 1000},{TYPES[n % 3]},2025-11-13T{n % 24:02d}:{n % 60:02d}:00Z" for n in range(ROWS)]
    return ("\n".join(lines) + "\n").encode()


def _descendants(pid: int) -> list[int]:
    """The pids of every process under ``pid`` (granian serves the app from a child process), deepest last."""
    found: list[int] = []
    for task in Path(f"/proc/{pid}/task").iterdir():
        for child in (task / "children").read_text().split():
            found += [int(child), *_descendants(int(child))]
    return found


def _kill_tree(process: subprocess.Popen[bytes]) -> None:
    """kill -9 the process and everything under it at once, as an OOM kill or a power cut ends the app."""
    for pid in [*_descendants(process.pid), process.pid]:
        with contextlib.suppress(ProcessLookupError):
            os.kill(pid, signal.SIGKILL)
    process.wait()


def _store_state(data_dir: Path) -> tuple[list[tuple[str, str]], int]:
    """The batches (id, status) and how many events the SQLite file holds, read behind the service's back."""
    path = data_dir / "event-service.sqlite3"
    if not path.exists():
        return [], 0
    with contextlib.closing(sqlite3.connect(f"file:{path}?mode=ro", uri=True, timeout=5)) as connection:
        try:
            batches = connection.execute("SELECT id, status FROM batches").fetchall()
            return batches, int(connection.execute("SELECT count(*) FROM events").fetchone()[0])
        except sqlite3.OperationalError:  # the schema is not there yet
            return [], 0


async def test_an_api_killed_mid_upload_leaves_nothing_that_stops_the_file_being_stored_again(
    tmp_path: Path, redis_url: str
) -> None:
    data_dir, log = tmp_path / "data", tmp_path / "serve.log"
    port = free_port()
    base = f"http://127.0.0.1:{port}"
    content = _big_file()
    upload = {"file": ("events.csv", content, "text/csv")}

    with _running("serve", data_dir, log, PORT=str(port), REDIS_URL=redis_url) as first:
        async with httpx.AsyncClient(base_url=base, timeout=60) as client:
            await _up(client, first, log)
            posting = asyncio.create_task(client.post("/uploads", files=upload))

            # The claim is stored with some of its events, not all: the orphans a crash leaves behind.
            [(claimed, status)], orphans = await eventually(
                lambda: asyncio.to_thread(_store_state, data_dir), lambda state: state[1] > 0, within=30
            )
            _kill_tree(first)
            with contextlib.suppress(httpx.TransportError):
                await posting
    assert status == "ingesting"
    batches, orphans = _store_state(data_dir)
    assert (batches, 0 < orphans < ROWS) == ([(claimed, "ingesting")], True)

    with _running("serve", data_dir, log, PORT=str(port), REDIS_URL=redis_url, INGEST_TIMEOUT="6") as second:
        async with httpx.AsyncClient(base_url=base, timeout=60) as client:
            await _up(client, second, log)
            # Swept at start-up or by the next periodic sweep, its events with it.
            await eventually(lambda: client.get(f"/batches/{claimed}"), lambda r: r.status_code == 404, within=30)
            assert await asyncio.to_thread(_store_state, data_dir) == ([], 0)

            again = await client.post("/uploads", files=upload)
            assert again.status_code == 201, again.text
            body = again.json()
            assert (body["rows_accepted"], body["rows_duplicate"], body["rows_rejected"]) == (ROWS, 0, 0)
            assert (await client.post(f"/batches/{body['batch_id']}/process")).status_code == 202
            await eventually(
                lambda: client.get(f"/batches/{body['batch_id']}"), lambda r: r.json()["status"] == "processed"
            )
            metrics = (await client.get("/metrics", params={"date": "2025-11-13"})).json()["metrics"]
    assert metrics == {kind: ROWS // 3 + (index < ROWS % 3) for index, kind in enumerate(TYPES)}


def _spread_file(days: int, types: int) -> bytes:
    """One row per (day, type): a batch whose processing recomputes many days, so a worker can be caught mid-job."""
    lines = ["user_id,event_type,timestamp"]
    for day in range(days):
        stamp = (date(2023, 1, 1) + timedelta(days=day)).isoformat()
        lines += [f"u{day},type{kind},{stamp}T12:00:00Z" for kind in range(types)]
    return ("\n".join(lines) + "\n").encode()


async def test_a_worker_killed_mid_job_is_replaced_and_the_batch_is_counted_once(
    tmp_path: Path, redis_url: str
) -> None:
    data_dir = tmp_path / "data"
    port = free_port()
    days, types = 700, 100
    timing = {"REDIS_URL": redis_url, "JOB_TIMEOUT": "6", "WORKER_SWEEP_INTERVAL": "1"}
    with _running("api", data_dir, tmp_path / "api.log", PORT=str(port), **timing) as api:
        async with httpx.AsyncClient(base_url=f"http://127.0.0.1:{port}", timeout=60) as client:
            await _up(client, api, tmp_path / "api.log")
            uploaded = await client.post("/uploads", files={"file": ("spread.csv", _spread_file(days, types))})
            assert uploaded.status_code == 201, uploaded.text
            batch_id = uploaded.json()["batch_id"]
            with _running("worker", data_dir, tmp_path / "worker1.log", **timing) as doomed:
                assert (await client.post(f"/batches/{batch_id}/process")).status_code == 202
                await eventually(
                    lambda: client.get(f"/batches/{batch_id}"), lambda r: r.json()["status"] == "processing", within=30
                )
                _kill_tree(doomed)
            assert (await client.get(f"/batches/{batch_id}")).json()["status"] == "processing"

            with _running("worker", data_dir, tmp_path / "worker2.log", **timing):
                batch = await eventually(
                    lambda: client.get(f"/batches/{batch_id}"), lambda r: r.json()["status"] == "processed", within=30
                )
            for day in ("2023-01-01", (date(2023, 1, 1) + timedelta(days=days - 1)).isoformat()):
                metrics = (await client.get("/metrics", params={"date": day})).json()["metrics"]
                assert metrics == {f"type{kind}": 1 for kind in range(types)}
    attempts = [step["attempt"] for step in batch.json()["history"] if step["status"] == "processing"]
    assert attempts[-1] >= 2  # the job ran again after its worker died
