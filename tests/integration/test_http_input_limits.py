"""Input that once answered 500: oversized header records, absurd page offsets, unexpected form parts."""

from __future__ import annotations

from typing import Annotated, Any

import pytest
from litestar import Litestar, post
from litestar.enums import RequestEncodingType
from litestar.params import Body
from litestar.testing import AsyncTestClient

from event_service.entrypoints.http.form_parts import FIELD_BYTES, FormParts
from event_service.entrypoints.http.paging import MAX_OFFSET
from tests.integration.conftest import ADMIN_TOKEN
from tests.integration.helpers import SEED_CSV

ADMIN = {"Authorization": f"Bearer {ADMIN_TOKEN}"}
OVER_THE_CSV_FIELD_LIMIT = 200_000


async def _upload(client: AsyncTestClient, content: bytes, **form: object):
    return await client.post("/uploads", files={"file": ("a.csv", content, "text/csv")}, **form)


async def _nothing_stored(client: AsyncTestClient) -> None:
    assert (await client.get("/batches")).json()["total"] == 0


@pytest.mark.parametrize(
    "content",
    [
        b"user_id,event_type,timestamp," + b"x" * OVER_THE_CSV_FIELD_LIMIT + b"\nu,a,2025-11-13T00:00:00Z,1\n",
        b"x" * OVER_THE_CSV_FIELD_LIMIT,
    ],
    ids=["header-field-over-the-limit", "one-line-200kB"],
)
async def test_a_header_record_the_csv_module_refuses_is_422(client: AsyncTestClient, content: bytes) -> None:
    response = await _upload(client, content)
    assert response.status_code == 422, response.text
    assert response.json() == {
        "status_code": 422,
        "message": "header record cannot be read as CSV: field larger than field limit (131072)",
    }
    await _nothing_stored(client)


@pytest.fixture
async def batch_id(client: AsyncTestClient) -> str:
    response = await _upload(client, SEED_CSV + b"u,signup,not-a-time\n")
    assert response.status_code == 201
    return response.json()["batch_id"]


PAGED = ["/batches", "/batches/{batch_id}/errors", "/queues/metrics-processor/dlq"]


@pytest.mark.parametrize("route", PAGED)
@pytest.mark.parametrize("offset", [MAX_OFFSET + 1, 2**63 - 1, 10**30])
async def test_an_offset_past_the_bound_is_400(client: AsyncTestClient, batch_id: str, route: str, offset: int) -> None:
    response = await client.get(route.format(batch_id=batch_id), params={"offset": offset}, headers=ADMIN)
    assert response.status_code == 400, response.text
    assert f"offset: Expected `int` <= {MAX_OFFSET}" in response.json()["message"]


@pytest.mark.parametrize(("route", "items"), list(zip(PAGED, ["batches", "errors", "failed_jobs"], strict=True)))
async def test_the_largest_offset_is_an_empty_page(
    client: AsyncTestClient, batch_id: str, route: str, items: str
) -> None:
    response = await client.get(route.format(batch_id=batch_id), params={"offset": MAX_OFFSET}, headers=ADMIN)
    assert response.status_code == 200, response.text
    assert response.json()[items] == []


async def test_an_unexpected_form_part_is_400(client: AsyncTestClient) -> None:
    response = await _upload(client, SEED_CSV, data={"comment": "hello"})
    assert response.status_code == 400
    assert "unexpected form part 'comment'; the form takes only 'file'" in response.json()["message"]
    await _nothing_stored(client)


async def test_a_second_file_part_is_400(client: AsyncTestClient) -> None:
    part = ("file", ("a.csv", SEED_CSV, "text/csv"))
    response = await client.post("/uploads", files=[part, part])
    assert response.status_code == 400
    assert "the form part 'file' is sent more than once" in response.json()["message"]
    await _nothing_stored(client)


async def test_a_plain_field_over_the_field_limit_is_413(client: AsyncTestClient) -> None:
    response = await client.post("/uploads", files={"file": (None, b"u" * (FIELD_BYTES + 1))})
    assert response.status_code == 413
    assert response.json()["message"] == f"the form field 'file' is over {FIELD_BYTES} bytes"


async def test_an_unexpected_part_is_refused_before_the_rest_of_the_body_is_read() -> None:
    @post("/form", middleware=[FormParts(allowed=frozenset({"file"}))])
    async def form(data: Annotated[dict[str, Any], Body(media_type=RequestEncodingType.MULTI_PART)]) -> None:
        raise AssertionError("the handler must not run")

    head = (
        b'--b\r\nContent-Disposition: form-data; name="junk"\r\n\r\nx\r\n'
        b'--b\r\nContent-Disposition: form-data; name="file"; filename="a.csv"\r\n\r\n'
    )
    pieces = [head, *([b"u,signup,2025-11-13T00:00:00Z\n" * 1000] * 100), b"\r\n--b--\r\n"]
    read = 0
    sent: list[dict[str, Any]] = []

    async def receive() -> dict[str, Any]:
        nonlocal read
        read += 1
        return {"type": "http.request", "body": pieces[read - 1], "more_body": read < len(pieces)}

    async def send(message: dict[str, Any]) -> None:
        sent.append(message)

    # Raw ASGI: the test client would read the whole body before the app sees any of it.
    scope = {
        "type": "http",
        "http_version": "1.1",
        "method": "POST",
        "scheme": "http",
        "path": "/form",
        "raw_path": b"/form",
        "root_path": "",
        "query_string": b"",
        "headers": [(b"content-type", b"multipart/form-data; boundary=b")],
        "client": ("127.0.0.1", 1),
        "server": ("test", 80),
    }
    await Litestar([form])(scope, receive, send)  # type: ignore[arg-type]
    assert sent[0]["status"] == 400
    assert read == 1
