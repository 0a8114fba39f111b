"""Through the HTTP app: upload -> process (real SAQ worker in-process) -> metrics, with exact counts."""

from __future__ import annotations

import gzip
from datetime import datetime, timedelta

from litestar.testing import AsyncTestClient

from tests.integration.conftest import ADMIN_TOKEN
from tests.integration.helpers import SEED_CSV, eventually


def _file(content: bytes, name: str = "events.csv", content_type: str = "text/csv") -> dict:
    return {"file": (name, content, content_type)}


async def _batch(client: AsyncTestClient, batch_id: str) -> dict:
    return (await client.get(f"/batches/{batch_id}")).json()


async def test_seed_upload_process_and_query(client: AsyncTestClient) -> None:
    uploaded = await client.post("/uploads", files=_file(SEED_CSV))
    assert uploaded.status_code == 201, uploaded.text
    body = uploaded.json()
    assert (body["status"], body["rows_total"], body["rows_accepted"], body["rows_rejected"], body["errors"]) == (
        "uploaded",
        150,
        150,
        0,
        [],
    )
    assert uploaded.headers["location"] == f"/batches/{body['batch_id']}"
    assert uploaded.headers["x-request-id"]

    before = await client.get("/metrics", params={"date": "2025-11-13"})
    assert before.json() == {"date": "2025-11-13", "metrics": {}}

    processing = await client.post(f"/batches/{body['batch_id']}/process")
    assert processing.status_code == 202
    assert processing.json() == {
        "status": "enqueued",
        "batch_id": body["batch_id"],
        "job_key": f"process_batch:{body['batch_id']}",
    }

    batch = await eventually(lambda: _batch(client, body["batch_id"]), lambda b: b["status"] == "processed")
    assert batch["processed_at"] is not None
    assert batch["counts"] == {"2025-11-13": {"signup": 120, "purchase": 30}}

    metrics = await client.get("/metrics", params={"date": "2025-11-13"})
    assert metrics.status_code == 200
    assert metrics.json() == {"date": "2025-11-13", "metrics": {"signup": 120, "purchase": 30}}


async def test_processing_again_never_counts_twice(client: AsyncTestClient) -> None:
    batch_id = (await client.post("/uploads", files=_file(SEED_CSV))).json()["batch_id"]
    assert (await client.post(f"/batches/{batch_id}/process")).status_code == 202
    await eventually(lambda: _batch(client, batch_id), lambda b: b["status"] == "processed")
    # Processed: nothing is enqueued again unless forced.
    again = await client.post(f"/batches/{batch_id}/process")
    assert (again.status_code, again.json()) == (200, {"status": "processed", "batch_id": batch_id})
    for _ in range(2):
        forced = await client.post(f"/batches/{batch_id}/process", params={"force": "true"})
        assert (forced.status_code, forced.json()["status"]) == (202, "enqueued")
        await eventually(lambda: _batch(client, batch_id), lambda b: b["status"] == "processed")
    metrics = (await client.get("/metrics", params={"date": "2025-11-13"})).json()
    assert metrics["metrics"] == {"signup": 120, "purchase": 30}


async def test_two_batches_on_one_day_add_up(client: AsyncTestClient) -> None:
    other = b"user_id,event_type,timestamp\nzed,signup,2025-11-13T23:59:59Z\nzed,refund,1763078400\n"
    ids = [(await client.post("/uploads", files=_file(data))).json()["batch_id"] for data in (SEED_CSV, other)]
    for batch_id in ids:
        await client.post(f"/batches/{batch_id}/process")
    for batch_id in ids:
        await eventually(lambda b=batch_id: _batch(client, b), lambda b: b["status"] == "processed")
    assert (await client.get("/metrics?date=2025-11-13")).json()["metrics"] == {"signup": 121, "purchase": 30}
    # 1763078400 is 2025-11-14T00:00:00Z: the next UTC day.
    assert (await client.get("/metrics?date=2025-11-14")).json()["metrics"] == {"refund": 1}


async def test_rejected_rows_are_reported_and_paged(client: AsyncTestClient) -> None:
    data = (
        b"user_id,event_type,timestamp\n"
        b"a,signup,2025-11-13T10:00:00Z\n"
        b",signup,2025-11-13T10:00:00Z\n"
        b"b,signup,2024-02-30T12:00:00Z\n"
        b"c,signup\n"
    )
    body = (await client.post("/uploads", files=_file(data))).json()
    assert (body["rows_total"], body["rows_accepted"], body["rows_rejected"]) == (4, 1, 3)
    assert body["errors"] == [
        {"row": 3, "column": "user_id", "message": "user_id: is empty"},
        {"row": 4, "column": "timestamp", "message": 'timestamp: "2024-02-30T12:00:00Z" is not a valid date'},
        {"row": 5, "column": None, "message": "record has 2 fields; the header has 3"},
    ]
    page = (await client.get(f"/batches/{body['batch_id']}/errors", params={"offset": 1, "limit": 1})).json()
    assert (page["errors_total"], page["errors_stored"], page["errors"]) == (3, 3, [body["errors"][1]])


async def test_duplicate_upload_returns_the_existing_batch(client: AsyncTestClient) -> None:
    first = await client.post("/uploads", files=_file(SEED_CSV))
    again = await client.post("/uploads", files=_file(SEED_CSV, name="renamed.csv"))
    assert (first.status_code, again.status_code) == (201, 200)
    assert again.json()["batch_id"] == first.json()["batch_id"]
    assert again.json()["duplicate"] is True


async def test_gzip_upload_and_strict_mode(client: AsyncTestClient) -> None:
    gz = await client.post("/uploads", files=_file(gzip.compress(SEED_CSV), "events.csv.gz", "application/gzip"))
    assert (gz.status_code, gz.json()["rows_accepted"]) == (201, 150)

    bad = SEED_CSV + b"x,y,not-a-time\n"
    strict = await client.post("/uploads?strict=true", files=_file(bad))
    assert strict.status_code == 422
    assert strict.json()["rows_rejected"] == 1
    assert strict.json()["errors"][0]["row"] == 152
    assert "nothing was stored" in strict.json()["message"]
    # Not stored: the same bytes without strict are a new batch, not a duplicate.
    assert (await client.post("/uploads", files=_file(bad))).status_code == 201


async def test_dead_letters_need_the_admin_token(client: AsyncTestClient) -> None:
    assert (await client.get("/queues/metrics-processor/dlq")).status_code == 401
    wrong = await client.get("/queues/metrics-processor/dlq", headers={"Authorization": "Bearer nope"})
    assert (wrong.status_code, wrong.headers["www-authenticate"]) == (401, "Bearer")
    assert "message" in wrong.json()
    auth = {"Authorization": f"Bearer {ADMIN_TOKEN}"}
    empty = await client.get("/queues/metrics-processor/dlq", headers=auth)
    assert empty.json() == {"queue": "metrics-processor", "total": 0, "offset": 0, "limit": 50, "failed_jobs": []}
    unknown = await client.get("/queues/nope/dlq", headers=auth)
    assert (unknown.status_code, unknown.json()["message"]) == (404, "queue 'nope' does not exist")
    assert (await client.get("/saq", headers=auth)).status_code == 200
    assert (await client.get("/saq")).status_code == 401


async def test_docs_openapi_and_health(client: AsyncTestClient) -> None:
    assert (await client.get("/health")).json() == {"status": "ok"}
    schema = (await client.get("/schema/openapi.json")).json()
    assert {"/uploads", "/metrics", "/batches/{batch_id}", "/queues/{name}/dlq"} <= set(schema["paths"])
    docs = await client.get("/docs")
    assert docs.status_code == 200
    assert "swagger" in docs.text.lower()


async def test_a_batch_shows_its_status_history_with_timestamps(client: AsyncTestClient) -> None:
    uploaded = (await client.post("/uploads", files=_file(SEED_CSV))).json()
    await client.post(f"/batches/{uploaded['batch_id']}/process")
    batch = await eventually(lambda: _batch(client, uploaded["batch_id"]), lambda b: b["status"] == "processed")

    history = batch["history"]
    assert [(step["status"], step["attempt"], step["error"]) for step in history] == [
        ("ingesting", None, None),
        ("uploaded", None, None),
        ("enqueued", None, None),
        ("processing", 1, None),
        ("processed", None, None),
    ]
    moments = [datetime.fromisoformat(step["at"]) for step in history]
    assert moments == sorted(moments)
    assert all(moment.utcoffset() == timedelta(0) for moment in moments)
    assert (moments[0], moments[2], moments[-1]) == (
        datetime.fromisoformat(batch["created_at"]),
        datetime.fromisoformat(batch["enqueued_at"]),
        datetime.fromisoformat(batch["processed_at"]),
    )
