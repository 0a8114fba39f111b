"""The admin pages in a real browser: nothing admin-only without signing in, then sign in, retry a dead letter and
see it leave the list, and open the SAQ dashboard on the same session."""

from __future__ import annotations

import asyncio
import time
from concurrent.futures import ThreadPoolExecutor

from playwright.sync_api import Page, expect
from redis.asyncio import Redis
from saq.queue.redis import RedisQueue

from event_service.adapters.redis import processing_job_key
from event_service.adapters.settings import QUEUE_NAME
from tests.e2e.conftest import ADMIN_TOKEN, LiveServer, PageAudit

DLQ = f"/queues/{QUEUE_NAME}/dlq"


async def _enqueue_for_unknown_batch(redis_url: str, batch_id: str) -> None:
    """As an operator (or another service) would: straight through SAQ, for a batch that does not exist."""
    queue = RedisQueue(Redis.from_url(redis_url), name=QUEUE_NAME)
    try:
        await queue.enqueue("process_batch", key=processing_job_key(batch_id), batch_id=batch_id)
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
