"""Every page a person opens works with no network beyond the service: the API explorer at /docs and the SAQ
dashboard at /saq/ (the audit fails a test on any request to another host, any response of 400 or above and any
console error)."""

from __future__ import annotations

from dataclasses import dataclass

import pytest
from playwright.sync_api import expect

from tests.e2e.conftest import LiveServer

HTTP_METHODS = {"get", "put", "post", "delete", "options", "head", "patch", "trace"}


@dataclass(frozen=True)
class Shown:
    """A page a person opens: its address, whether only the admin may open it, and what shows once it rendered."""

    path: str
    admin: bool
    rendered: str  # a Playwright selector


# Every page a person opens (a batch's own page has a test of its own: it needs a batch).
PAGES_A_PERSON_OPENS = [
    Shown("/docs", admin=False, rendered=".opblock-summary-path[data-path='/metrics']"),
    Shown("/saq/", admin=True, rendered="table a[href='/saq/queues/metrics-processor']"),
    Shown("/ui/", admin=False, rendered="main h1:text-is('Upload events')"),
    Shown("/ui/batches", admin=False, rendered="main h1:text-is('Batches')"),
    Shown("/ui/metrics", admin=False, rendered="main h1:text-is('Metrics')"),
    Shown("/ui/admin", admin=False, rendered="#sign-in"),
    Shown("/ui/admin", admin=True, rendered="#queues"),
]


@pytest.mark.parametrize(
    "shown", PAGES_A_PERSON_OPENS, ids=lambda shown: shown.path + (" signed in" if shown.admin else "")
)
def test_every_page_renders_offline(request: pytest.FixtureRequest, shown: Shown) -> None:
    page = request.getfixturevalue("admin_page" if shown.admin else "page")
    response = page.goto(shown.path)
    assert response is not None
    assert response.status == 200
    expect(page.locator(shown.rendered)).to_be_visible()


def test_a_batch_page_renders_offline(page, live_server: LiveServer) -> None:
    with live_server.api() as api:
        created = api.post("/uploads", files={"file": ("offline.csv", b"user_id,event_type,timestamp\nu1,signup,0\n")})
    batch_id = created.json()["batch_id"]
    page.goto(f"/ui/batches/{batch_id}")
    expect(page.locator("main h1")).to_have_text(f"Batch {batch_id}")
    expect(page.locator("#history li")).to_have_count(2)  # ingesting, then uploaded


def test_the_explorer_lists_every_operation_and_runs_get_metrics(page, live_server: LiveServer) -> None:
    """One visit for both (the page is the costliest to load here: 1.5 MB of script to compile)."""
    with live_server.api() as api:
        paths = api.get("/schema/openapi.json").json()["paths"]
    operations = sum(1 for path in paths.values() for method in path if method in HTTP_METHODS)
    assert operations >= 10
    page.goto("/docs")
    expect(page.locator(".opblock")).to_have_count(operations)

    metrics = page.locator(".opblock-get", has=page.locator(".opblock-summary-path[data-path='/metrics']"))
    metrics.locator(".opblock-summary").click()
    metrics.get_by_role("button", name="Try it out").click()
    metrics.locator("tr[data-param-name='date'] input").fill("2025-01-15")
    metrics.get_by_role("button", name="Execute").click()
    answer = metrics.locator(".live-responses-table tbody")
    expect(answer.locator(".response-col_status")).to_have_text("200")
    body = answer.locator(".response-col_description pre").first
    expect(body).to_contain_text('"date": "2025-01-15"')
    expect(body).to_contain_text('"metrics": {}')


def test_the_dashboard_shows_the_queue(admin_page) -> None:
    admin_page.goto("/saq/")
    queue = admin_page.locator("table a[href='/saq/queues/metrics-processor']")
    expect(queue).to_have_text("metrics-processor")


def test_the_dashboard_address_without_its_slash_ends_at_the_dashboard(admin_page, live_server: LiveServer) -> None:
    admin_page.goto("/saq")
    assert admin_page.url == f"{live_server.url}/saq/"
    expect(admin_page.locator("table a[href='/saq/queues/metrics-processor']")).to_be_visible()
