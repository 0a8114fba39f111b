"""The web UI in a real browser, on one running service: a file with bad rows, its counts and errors, processing
that shows live, the metrics of a range in the chart and the table; and the admin pages: nothing admin-only
without signing in, then sign in, retry a dead letter and see it leave the list, and open the SAQ dashboard."""

from __future__ import annotations

import asyncio
import time
from concurrent.futures import ThreadPoolExecutor

from playwright.sync_api import Page, expect
from redis.asyncio import Redis
from saq.queue.redis import RedisQueue

from event_service.adapters.redis import job_key
from event_service.adapters.settings import QUEUE_NAME
from event_service.application.jobs import ProcessBatchJob
from tests.e2e.conftest import ADMIN_TOKEN, LiveServer, PageAudit

EVENTS = (
    b"user_id,event_type,timestamp\n"
    b"u1,signup,2025-03-01T09:00:00Z\n"
    b"u2,signup,2025-03-01T10:00:00Z\n"
    b"u1,purchase,2025-03-01T11:00:00Z\n"
    b"u3,signup,2025-03-03T08:00:00Z\n"
    b"u4,,2025-03-03T08:00:00Z\n"
    b"u5,refund,not-a-time\n"
    b"u6,purchase,2025-03-03T23:59:59Z\n"
)


def test_upload_bad_rows_then_process_live_then_see_the_range(page: Page, live_server: LiveServer) -> None:
    page.goto("/ui/")
    expect(page).to_have_title("Upload events · event-service")
    page.set_input_files("#file", files=[{"name": "march.csv", "mimeType": "text/csv", "buffer": EVENTS}])
    expect(page.locator("#chosen")).to_have_text(f"march.csv ({len(EVENTS)} bytes)")
    page.get_by_role("button", name="Upload").click()

    counts = page.locator("#upload-counts")
    expect(counts.locator('[data-count="rows"]')).to_have_text("7")
    expect(counts.locator('[data-count="accepted"]')).to_have_text("5")
    expect(counts.locator('[data-count="rejected"]')).to_have_text("2")
    errors = page.locator("table.errors tbody tr")
    expect(errors).to_have_count(2)
    expect(errors.nth(0)).to_contain_text("6")
    expect(errors.nth(0)).to_contain_text("event_type: is empty")
    expect(errors.nth(1)).to_contain_text("not-a-time")

    page.locator("#batch-link").click()
    expect(page.locator(".status-line .badge")).to_have_text("uploaded")
    expect(page.locator("#per-day tbody tr")).to_have_count(2)

    # The list: press Process and watch the badge settle, on the same page (no reload, no navigation).
    page.goto("/ui/batches")
    page.evaluate("() => { window.stillTheSamePage = true }")
    row = page.locator("#batches tbody tr").first
    expect(row.locator(".badge")).to_have_text("uploaded")
    row.get_by_role("button", name="Process").click()
    expect(row.locator(".badge")).to_have_text("processed")
    assert page.evaluate("() => window.stillTheSamePage") is True
    expect(row.get_by_role("button", name="Process again")).to_be_enabled()

    # The batch's log: every step with its time, the attempt that processed it.
    row.locator("a").first.click()
    steps = page.locator("#history li")
    expect(steps).to_have_count(5)
    assert [text.split()[0] for text in steps.all_inner_texts()] == [
        "ingesting",
        "uploaded",
        "enqueued",
        "processing",
        "processed",
    ]
    expect(steps.nth(3)).to_contain_text("attempt 1")

    page.goto("/ui/metrics")
    page.fill("#from", "2025-02-28")
    page.fill("#to", "2025-03-04")
    page.get_by_role("button", name="Show").click()
    table = page.locator("#metrics-table")
    expect(table.locator("caption")).to_have_text("Events per day, 2025-02-28 to 2025-03-04")
    expect(table.locator("tbody tr")).to_have_count(5)
    cells = {
        date: page.locator(f'#metrics-table tr[data-date="{date}"] td').all_inner_texts()
        for date in ("2025-02-28", "2025-03-01", "2025-03-02", "2025-03-03", "2025-03-04")
    }
    # Columns: purchase, signup, total.
    assert cells == {
        "2025-02-28": ["0", "0", "0"],
        "2025-03-01": ["1", "2", "3"],
        "2025-03-02": ["0", "0", "0"],
        "2025-03-03": ["1", "1", "2"],
        "2025-03-04": ["0", "0", "0"],
    }
    bars = page.locator("#chart rect")
    expect(bars).to_have_count(4)
    assert sorted(
        (bar.get_attribute("data-date"), bar.get_attribute("data-type"), bar.get_attribute("data-count"))
        for bar in bars.all()
    ) == [
        ("2025-03-01", "purchase", "1"),
        ("2025-03-01", "signup", "2"),
        ("2025-03-03", "purchase", "1"),
        ("2025-03-03", "signup", "1"),
    ]
    assert "from=2025-02-28&to=2025-03-04" in page.url


def test_an_empty_range_says_so_and_a_bad_one_is_explained(page: Page, audit: PageAudit) -> None:
    page.goto("/ui/metrics?from=1999-01-01&to=1999-01-31")
    expect(page.locator("#metrics-empty")).to_contain_text("No events in this range")
    expect(page.locator("#chart")).to_have_count(0)

    page.goto("/ui/metrics?from=2025-03-04&to=2025-03-01")
    expect(page.get_by_role("alert")).to_have_text("'from' (2025-03-04) is after 'to' (2025-03-01)")
    audit.expect("HTTP 400: GET")
    audit.expect("status of 400")


def test_strict_mode_stores_nothing_and_lists_the_bad_rows(page: Page, audit: PageAudit) -> None:
    page.goto("/ui/upload")
    strict = EVENTS + b"u7,signup,2025-03-05T00:00:00Z\n"  # other bytes: the same file again is a duplicate
    page.set_input_files("#file", files=[{"name": "strict.csv", "mimeType": "text/csv", "buffer": strict}])
    page.get_by_label("Strict mode").check()
    page.get_by_role("button", name="Upload").click()
    expect(page.get_by_role("alert")).to_contain_text("strict mode: 2 of 8 rows are invalid; nothing was stored")
    expect(page.locator("table.errors tbody tr")).to_have_count(2)
    audit.expect("HTTP 422: POST")
    audit.expect("status of 422")


DLQ = f"/queues/{QUEUE_NAME}/dlq"


async def _enqueue_for_unknown_batch(redis_url: str, batch_id: str) -> None:
    """As an operator (or another service) would: straight through SAQ, for a batch that does not exist."""
    queue = RedisQueue(Redis.from_url(redis_url), name=QUEUE_NAME)
    try:
        await queue.enqueue("process_batch", key=job_key(ProcessBatchJob(batch_id)), batch_id=batch_id)
    finally:
        await queue.disconnect()


def _dead_letter_of(live_server: LiveServer, batch_id: str, within: float = 20.0) -> dict:
    # In a thread of its own: Playwright's sync API keeps an event loop running in this one.
    with ThreadPoolExecutor(1) as thread:
        thread.submit(asyncio.run, _enqueue_for_unknown_batch(live_server.redis_url, batch_id)).result()
    deadline = time.monotonic() + within
    with live_server.admin_api() as admin:
        while True:
            entries = admin.get(DLQ, params={"limit": 500}).json()["failed_jobs"]
            found = [e for e in entries if e["kwargs"] == {"batch_id": batch_id}]
            if found:
                return found[0]
            assert time.monotonic() < deadline, f"no dead letter for {batch_id} within {within}s"
            time.sleep(0.05)


def _sign_in(page: Page) -> None:
    page.goto("/ui/admin")
    page.get_by_label("Admin token").fill(ADMIN_TOKEN)
    page.get_by_role("button", name="Sign in").click()
    expect(page.locator("#queues")).to_be_visible()


def test_without_signing_in_nothing_admin_only_shows(page: Page, live_server: LiveServer, audit: PageAudit) -> None:
    entry = _dead_letter_of(live_server, "secret-batch")
    page.goto("/ui/admin")
    expect(page.locator("#sign-in")).to_be_visible()
    expect(page.get_by_label("Admin token")).to_be_focused()
    for absent in ("#queues", "#dead-letters", "#saq-link"):
        expect(page.locator(absent)).to_have_count(0)
    assert "secret-batch" not in page.content()
    assert entry["id"] not in page.content()

    # A wrong token is refused in words, and still nothing shows.
    page.get_by_label("Admin token").fill("not-the-token")
    page.get_by_role("button", name="Sign in").click()
    expect(page.get_by_role("alert")).to_have_text("that is not the admin token")
    expect(page.locator("#dead-letters")).to_have_count(0)
    audit.expect("HTTP 401: POST")

    # The dashboard too answers 401 to a browser that has not signed in.
    response = page.goto("/saq/")
    assert response is not None
    assert response.status == 401
    assert "secret-batch" not in page.content()
    audit.expect("HTTP 401: GET")
    audit.expect("status of 401")


def test_sign_in_retry_a_dead_letter_and_open_the_dashboard(page: Page, live_server: LiveServer) -> None:
    entry = _dead_letter_of(live_server, "missing-batch")
    _sign_in(page)
    row = page.locator(f'#dead-letters tr[data-entry="{entry["id"]}"]')
    expect(row).to_contain_text("process_batch:missing-batch")
    expect(row.locator(".reason")).to_have_text("BatchNotFound: batch missing-batch does not exist")
    expect(page.locator('#queues td[data-column="dead_letters"]')).not_to_have_text("0")

    row.get_by_role("button", name="Retry").click()
    expect(page.get_by_role("status").filter(has_text="Retried")).to_have_text(
        "Retried process_batch:missing-batch: it is queued again."
    )
    expect(row).to_have_count(0)

    page.get_by_role("link", name="Queue dashboard (SAQ)").click()
    expect(page).to_have_url(f"{live_server.url}/saq/")
    expect(page.get_by_role("table").first).to_contain_text(QUEUE_NAME)

    # Signing out ends the session for the dashboard as well.
    page.goto("/ui/admin")
    page.get_by_role("button", name="Sign out").click()
    expect(page.locator("#sign-in")).to_be_visible()
    expect(page.get_by_role("status")).to_have_text("You are signed out.")
