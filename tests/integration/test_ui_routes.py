"""The web UI's own routes: the redirect from /, one shell for every page with a strict CSP, its assets from the
package, and a batch's row errors as a CSV download."""

from __future__ import annotations

import csv
import io

import pytest
from litestar.testing import AsyncTestClient

BAD_ROWS = b"user_id,event_type,timestamp\nu1,signup,2025-11-13T00:00:00Z\nu2,,2025-11-13T00:00:00Z\nu3,a\n"


async def test_root_redirects_to_the_ui(client: AsyncTestClient) -> None:
    response = await client.get("/", follow_redirects=False)
    assert (response.status_code, response.headers["location"]) == (302, "/ui/")


@pytest.mark.parametrize("path", ["/ui/", "/ui/upload", "/ui/batches", "/ui/batches/abc", "/ui/metrics", "/ui/admin"])
async def test_every_page_is_the_shell_under_a_same_origin_policy(client: AsyncTestClient, path: str) -> None:
    response = await client.get(path)
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("text/html")
    assert response.headers["content-security-policy"].startswith("default-src 'self';")
    assert '<script type="module" src="/ui/static/js/app.js"></script>' in response.text


async def test_the_assets_ship_in_the_package(client: AsyncTestClient) -> None:
    for path, kind in [("/ui/static/app.css", "text/css"), ("/ui/static/js/pages/metrics.js", "javascript")]:
        response = await client.get(path)
        assert response.status_code == 200, path
        assert kind in response.headers["content-type"]
    assert (await client.get("/ui/static/nothing.js")).status_code == 404


async def test_the_row_errors_download_as_csv(client: AsyncTestClient) -> None:
    batch_id = (await client.post("/uploads", files={"file": ("e.csv", BAD_ROWS, "text/csv")})).json()["batch_id"]
    response = await client.get(f"/ui/batches/{batch_id}/errors.csv")
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("text/csv")
    assert response.headers["content-disposition"] == f'attachment; filename="batch-{batch_id}-errors.csv"'
    assert list(csv.reader(io.StringIO(response.text))) == [
        ["row", "column", "message"],
        ["3", "event_type", "event_type: is empty"],
        ["4", "", "record has 2 fields; the header has 3"],
    ]
    missing = await client.get("/ui/batches/nope/errors.csv")
    assert (missing.status_code, missing.json()["message"]) == (404, "batch nope does not exist")
