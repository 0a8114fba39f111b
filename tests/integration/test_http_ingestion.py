"""Ingestion through HTTP: the tricky files, gzip in every form, event_id dedupe, extra columns."""

from __future__ import annotations

import gzip
import json

import httpx
from litestar.testing import AsyncTestClient

from event_service.adapters.compute import ProcessPool
from event_service.adapters.settings import load_settings
from event_service.entrypoints.bootstrap import Service, bootstrap
from event_service.entrypoints.http.app import create_app
from tests.integration.helpers import SEED_CSV, eventually, store_sql

LONG_USER = "u" * 257
LONG_TYPE = "t" * 129

# CRLF records, a BOM, a padded and reordered header with an extra column; row 8 is a blank line.
TRICKY = (
    b"\xef\xbb\xbf  Timestamp ,EVENT_TYPE, user_id ,plan\r\n"
    b"1763000000,signup,u1,\r\n"  # 2: epoch seconds, 2025-11-13T02:13:20Z
    b"1763000000000,signup,u2,\r\n"  # 3: epoch milliseconds
    b"2025-11-13T23:30:00-01:00,purchase,u3,\r\n"  # 4: 2025-11-14T00:30Z, the next UTC day
    b"2025-11-14T00:30:00+02:00,purchase,u4,\r\n"  # 5: 2025-11-13T22:30Z, the previous UTC day
    b'2025-11-13T05:00:00Z,signup,"u,5","a ""quoted"" plan"\r\n'  # 6: quoted comma and quotes
    b'2025-11-13T06:00:00Z,view,u6,"line one\r\nline two"\r\n'  # 7: a quoted line break
    b"\r\n"  # 8: blank, skipped
    b"2025-11-13 10:00:00.5,signup,u7,\r\n"  # 9: naive, space separator, fraction
    b"2025-11-13T10:00:00Z,signup\r\n"  # 10: two fields, the header has four
    b"2025-11-13T10:00:00Z,signup,  ,\r\n"  # 11: user_id blank
    b"2025-11-13T10:00:00Z,signup," + LONG_USER.encode() + b",\r\n"  # 12: user_id too long
    b"2025-11-13T10:00:00Z, ,u8,\r\n"  # 13: event_type blank
    b"2025-11-13T10:00:00Z," + LONG_TYPE.encode() + b",u9,\r\n"  # 14: event_type too long
    b"yesterday,signup,u10,\r\n"  # 15: not a timestamp
    b"2024-02-30T12:00:00Z,signup,u11,\r\n"  # 16: no such date
    b"1970-06-01T00:00:00Z,signup,u12,\r\n"  # 17: before 1971
    b"2099-01-01T00:00:00Z,signup,u13,\r\n"  # 18: far in the future
    b"2025-11-13T10:00:00Z,signup,u\xff14,\r\n"  # 19: invalid UTF-8
)


def _file(content: bytes, name: str = "events.csv", content_type: str = "text/csv") -> dict:
    return {"file": (name, content, content_type)}


async def _process(client: AsyncTestClient, batch_id: str) -> None:
    assert (await client.post(f"/batches/{batch_id}/process")).status_code == 202

    async def status() -> str:
        return (await client.get(f"/batches/{batch_id}")).json()["status"]

    await eventually(status, lambda value: value == "processed")


async def _metrics(client: AsyncTestClient, day: str) -> dict[str, int]:
    return (await client.get("/metrics", params={"date": day})).json()["metrics"]


async def test_tricky_file_gives_exact_counts_rows_and_reasons(client: AsyncTestClient, service: Service) -> None:
    response = await client.post("/uploads", files=_file(TRICKY))
    assert response.status_code == 201, response.text
    body = response.json()
    assert (body["rows_total"], body["rows_accepted"], body["rows_rejected"], body["rows_duplicate"]) == (17, 7, 10, 0)
    assert [(e["row"], e["column"]) for e in body["errors"]] == [
        (10, None),
        (11, "user_id"),
        (12, "user_id"),
        (13, "event_type"),
        (14, "event_type"),
        (15, "timestamp"),
        (16, "timestamp"),
        (17, "timestamp"),
        (18, "timestamp"),
        (19, "user_id"),
    ]
    messages = {e["row"]: e["message"] for e in body["errors"]}
    assert "2 fields" in messages[10]
    assert "257" in messages[12]
    assert '"2024-02-30T12:00:00Z" is not a valid date' in messages[16]
    assert "UTF-8" in messages[19]

    await _process(client, body["batch_id"])
    assert await _metrics(client, "2025-11-13") == {"signup": 4, "purchase": 1, "view": 1}
    assert await _metrics(client, "2025-11-14") == {"purchase": 1}

    [(quoted,)] = await store_sql(service, "SELECT properties FROM events WHERE user_id = ?", "u,5")
    assert json.loads(quoted) == {"plan": 'a "quoted" plan'}
    [(multiline,)] = await store_sql(service, "SELECT properties FROM events WHERE user_id = ?", "u6")
    assert json.loads(multiline) == {"plan": "line one\r\nline two"}


async def test_gzip_is_accepted_by_type_by_name_and_by_content_encoding(client: AsyncTestClient) -> None:
    packed = gzip.compress(SEED_CSV)
    by_type = await client.post("/uploads", files=_file(packed, "events.bin", "application/gzip"))
    by_name = await client.post("/uploads", files=_file(gzip.compress(SEED_CSV + b"x,y,2025-11-13T00:00:00Z\n")))
    assert (by_type.status_code, by_type.json()["rows_accepted"]) == (201, 150)
    assert (by_name.status_code, by_name.json()["rows_accepted"]) == (201, 151)

    # A whole request body sent with Content-Encoding: gzip, as an HTTP client compressing its uploads would.
    request = httpx.Request("POST", "http://test/uploads", files=_file(SEED_CSV + b"y,z,2025-11-13T00:00:00Z\n"))
    form = request.read()
    encoded = await client.post(
        "/uploads",
        content=gzip.compress(form),
        headers={"content-type": request.headers["content-type"], "content-encoding": "gzip"},
    )
    assert (encoded.status_code, encoded.json()["rows_accepted"]) == (201, 151), encoded.text
    await _process(client, encoded.json()["batch_id"])
    assert await _metrics(client, "2025-11-13") == {"signup": 120, "purchase": 30, "z": 1}


async def test_bad_content_encodings_are_refused(client: AsyncTestClient) -> None:
    form = httpx.Request("POST", "http://test/uploads", files=_file(SEED_CSV))
    content_type = {"content-type": form.headers["content-type"]}
    body = form.read()
    brotli = await client.post("/uploads", content=body, headers={**content_type, "content-encoding": "br"})
    corrupt = await client.post(
        "/uploads", content=gzip.compress(body)[:-40], headers={**content_type, "content-encoding": "gzip"}
    )
    not_gzip = await client.post("/uploads", content=body, headers={**content_type, "content-encoding": "gzip"})
    assert (brotli.status_code, corrupt.status_code, not_gzip.status_code) == (415, 400, 400)
    assert "br" in brotli.json()["message"]
    assert "gzip" in corrupt.json()["message"]
    assert "gzip" in not_gzip.json()["message"]


async def test_overlapping_exports_never_double_count_event_ids(client: AsyncTestClient) -> None:
    monday = b"event_id,user_id,event_type,timestamp\n" + b"".join(
        b"e%d,u%d,signup,2025-11-13T10:00:00Z\n" % (i, i) for i in range(10)
    )
    overlap = b"event_id,user_id,event_type,timestamp\n" + b"".join(
        b"e%d,u%d,signup,2025-11-13T10:00:00Z\n" % (i, i) for i in range(5, 15)
    )
    first = (await client.post("/uploads", files=_file(monday))).json()
    second = (await client.post("/uploads", files=_file(overlap))).json()
    assert (first["rows_accepted"], first["rows_duplicate"]) == (10, 0)
    assert (second["rows_total"], second["rows_accepted"], second["rows_duplicate"]) == (10, 5, 5)
    for batch in (first, second):
        await _process(client, batch["batch_id"])
    assert await _metrics(client, "2025-11-13") == {"signup": 15}
    assert (await client.get(f"/batches/{second['batch_id']}")).json()["rows_duplicate"] == 5


async def test_batches_are_listed_newest_first_a_page_at_a_time(client: AsyncTestClient) -> None:
    ids = []
    for i in range(3):
        uploaded = await client.post("/uploads", files=_file(SEED_CSV + b"u,t%d,2025-11-13T00:00:00Z\n" % i))
        ids.append(uploaded.json()["batch_id"])
    first = (await client.get("/batches", params={"limit": 2})).json()
    second = (await client.get("/batches", params={"offset": 2, "limit": 2})).json()
    assert (first["total"], first["offset"], first["limit"]) == (3, 0, 2)
    assert [b["batch_id"] for b in first["batches"] + second["batches"]] == ids[::-1]
    assert first["batches"][0]["rows_total"] == 151
    refused = await client.get("/batches", params={"limit": 0})
    assert refused.status_code == 400
    assert "limit" in refused.json()["message"]


async def test_a_multi_chunk_file_parsed_by_two_processes_matches_exactly(redis_url: str) -> None:
    rows = 40_000  # about 1.5 MB: two chunks of the default 1 MiB
    types = ("signup", "purchase", "page_view", "click")
    data = b"user_id,event_type,timestamp\n" + b"".join(
        b"user%d,%s,2025-11-%02dT%02d:%02d:00Z\n" % (i, types[i % 4].encode(), 13 + i % 2, i % 24, i % 60)
        for i in range(rows)
    )
    settings = load_settings(redis_url=redis_url, mongodb_url=None, admin_token="t", job_retry_delay=0.0)
    service = bootstrap(settings, compute=ProcessPool(2))
    async with AsyncTestClient(app=create_app(service)) as client:
        uploaded = (await client.post("/uploads", files=_file(data))).json()
        assert (uploaded["rows_total"], uploaded["rows_accepted"], uploaded["rows_rejected"]) == (rows, rows, 0)
        await _process(client, uploaded["batch_id"])
        # Even rows fall on the 13th (signup, page_view), odd rows on the 14th (purchase, click).
        assert await _metrics(client, "2025-11-13") == {"signup": 10_000, "page_view": 10_000}
        assert await _metrics(client, "2025-11-14") == {"purchase": 10_000, "click": 10_000}
