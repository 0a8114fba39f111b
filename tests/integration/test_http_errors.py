"""Bad input: a clear 4xx with a JSON message, and nothing stored."""

from __future__ import annotations

import gzip

import httpx
import pytest
from litestar.testing import AsyncTestClient

from event_service.adapters.compute import InlinePool
from event_service.adapters.settings import load_settings
from event_service.entrypoints.bootstrap import Service, bootstrap
from event_service.entrypoints.http.app import create_app
from tests.integration.helpers import SEED_CSV


async def _no_batches_stored(client: AsyncTestClient) -> None:
    # A real upload after the failure is new (201), so nothing of the failed one was kept under its hash.
    assert (await client.post("/uploads", files={"file": ("ok.csv", SEED_CSV, "text/csv")})).status_code == 201


@pytest.mark.parametrize(
    ("files", "data", "status", "fragment"),
    [
        (None, {"other": "x"}, 400, "file"),
        ({"file": ("a.png", b"\x89PNG\r\n\x1a\n\x00\x00", "image/png")}, None, 415, "text/csv"),
        ({"file": ("a.csv", b"\x00\x01\x02binary", "text/csv")}, None, 415, "binary"),
        ({"file": ("a.csv", b"user_id,timestamp\nu,2025-11-13T00:00:00Z\n", "text/csv")}, None, 422, "event_type"),
        ({"file": ("a.csv", b"user_id,event_type,timestamp\n", "text/csv")}, None, 422, "no data rows"),
        ({"file": ("a.csv", b"", "text/csv")}, None, 422, "empty"),
        ({"file": ("a.csv.gz", gzip.compress(SEED_CSV)[:-30], "application/gzip")}, None, 422, "gzip"),
    ],
)
async def test_uploads_refused_with_a_message(
    client: AsyncTestClient, files: dict | None, data: dict | None, status: int, fragment: str
) -> None:
    response = await client.post("/uploads", files=files, data=data)
    assert response.status_code == status, response.text
    assert response.headers["content-type"].startswith("application/json")
    body = response.json()
    assert body["status_code"] == status
    assert fragment in body["message"]
    await _no_batches_stored(client)


async def test_not_multipart_is_400(client: AsyncTestClient) -> None:
    response = await client.post("/uploads", content=SEED_CSV, headers={"content-type": "text/csv"})
    assert response.status_code == 400
    assert response.json()["message"]


@pytest.mark.parametrize(
    ("body_size", "where"),
    [(4096, "the file is larger"), (200_000, "")],
    ids=["refused-while-reading", "refused-by-the-body-limit"],
)
async def test_upload_over_the_size_limit_is_413(redis_url: str, body_size: int, where: str) -> None:
    settings = load_settings(redis_url=redis_url, mongodb_url=None, admin_token="t", max_upload_bytes=1024)
    big = (SEED_CSV * (body_size // len(SEED_CSV) + 1))[:body_size]
    async with AsyncTestClient(app=create_app(bootstrap(settings, compute=InlinePool()))) as small:
        response = await small.post("/uploads", files={"file": ("big.csv", big, "text/csv")})
        assert response.status_code == 413, response.text
        assert where in response.json()["message"]
        assert (await small.get("/metrics?date=2025-11-13")).json()["metrics"] == {}


async def test_gzip_bombs_are_413_not_an_out_of_memory(redis_url: str) -> None:
    settings = load_settings(redis_url=redis_url, mongodb_url=None, admin_token="t", max_upload_bytes=1024)
    bomb = gzip.compress(b"user_id,event_type,timestamp\n" + b"u,signup,2025-11-13T00:00:00Z\n" * 400_000)
    assert len(bomb) < 100_000
    form = httpx.Request("POST", "http://test/uploads", files={"file": ("a.csv", b"x" * 500_000, "text/csv")})
    async with AsyncTestClient(app=create_app(bootstrap(settings, compute=InlinePool()))) as small:
        as_file = await small.post("/uploads", files={"file": ("bomb.csv.gz", bomb, "application/gzip")})
        as_body = await small.post(
            "/uploads",
            content=gzip.compress(form.read()),
            headers={"content-type": form.headers["content-type"], "content-encoding": "gzip"},
        )
    assert (as_file.status_code, as_body.status_code) == (413, 413)
    assert "decompressed" in as_file.json()["message"]
    assert as_body.json()["message"]


async def test_idempotency_key_reused_for_other_bytes_is_422(client: AsyncTestClient) -> None:
    headers = {"Idempotency-Key": "abc"}
    first = await client.post("/uploads", files={"file": ("a.csv", SEED_CSV, "text/csv")}, headers=headers)
    same = await client.post("/uploads", files={"file": ("a.csv", SEED_CSV, "text/csv")}, headers=headers)
    other = await client.post(
        "/uploads", files={"file": ("b.csv", SEED_CSV + b"x,y,2025-11-13T00:00:00Z\n", "text/csv")}, headers=headers
    )
    assert (first.status_code, same.status_code, other.status_code) == (201, 200, 422)
    assert same.json()["batch_id"] == first.json()["batch_id"]
    assert "abc" in other.json()["message"]


@pytest.mark.parametrize(
    ("query", "fragment"),
    [
        ("", "required"),
        ("?date=2025-13-01", "YYYY-MM-DD"),
        ("?date=yesterday", "YYYY-MM-DD"),
        ("?date=20251113", ""),
        ("?date=2025-W46-4", "YYYY-MM-DD"),
    ],
)
async def test_metrics_date_is_validated(client: AsyncTestClient, query: str, fragment: str) -> None:
    response = await client.get(f"/metrics{query}")
    assert response.status_code == 400
    assert fragment in response.json()["message"]


async def test_unknown_batch_is_404(client: AsyncTestClient) -> None:
    for method, path in [("GET", "/batches/nope"), ("GET", "/batches/nope/errors"), ("POST", "/batches/nope/process")]:
        response = await client.request(method, path)
        assert response.status_code == 404, path
        assert response.json()["message"] == "batch nope does not exist"


async def test_bad_paging_parameters_are_400(client: AsyncTestClient) -> None:
    batch_id = (await client.post("/uploads", files={"file": ("a.csv", SEED_CSV, "text/csv")})).json()["batch_id"]
    response = await client.get(f"/batches/{batch_id}/errors?limit=0")
    assert response.status_code == 400
    assert "limit" in response.json()["message"]


async def test_rate_limit_answers_429_with_retry_after(service: Service) -> None:
    from event_service.entrypoints.http.app import create_app

    service.settings.process_rate_limit = 2
    async with AsyncTestClient(app=create_app(service)) as client:
        answers = [(await client.post("/batches/nope/process")) for _ in range(3)]
    assert [a.status_code for a in answers] == [404, 404, 429]
    assert int(answers[2].headers["retry-after"]) >= 1
    assert answers[2].json()["message"]


async def test_bad_upload_parameters_are_named_in_the_400(client: AsyncTestClient) -> None:
    files = {"file": ("a.csv", SEED_CSV, "text/csv")}
    strict = await client.post("/uploads?strict=maybe", files=files)
    key = await client.post("/uploads", files=files, headers={"Idempotency-Key": "k" * 300})
    assert (strict.status_code, key.status_code) == (400, 400)
    assert "strict" in strict.json()["message"]
    assert "multipart" not in strict.json()["message"]
    assert "idempotency_key" in key.json()["message"]


async def test_a_binary_form_part_without_a_filename_is_a_400_not_a_500(client: AsyncTestClient) -> None:
    boundary = "b0undary"
    body = (
        f'--{boundary}\r\nContent-Disposition: form-data; name="file"\r\n\r\n'.encode()
        + b"\x89PNG\r\n\x1a\n\x00"
        + f"\r\n--{boundary}--\r\n".encode()
    )
    response = await client.post(
        "/uploads", content=body, headers={"Content-Type": f"multipart/form-data; boundary={boundary}"}
    )
    assert response.status_code == 400
    assert response.json() == {
        "status_code": 400,
        "message": "expected multipart/form-data with the CSV file in the field 'file' "
        "(a form part without a filename is not UTF-8 text)",
    }
