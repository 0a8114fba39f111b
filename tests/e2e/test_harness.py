"""The browser harness itself: the service serves, and a page that reaches for another host fails its audit."""

from __future__ import annotations

from tests.e2e.conftest import LiveServer, PageAudit


def test_the_service_answers_in_the_browser(page, live_server: LiveServer) -> None:
    response = page.goto("/health")
    assert response is not None
    assert (response.status, page.evaluate("() => JSON.parse(document.body.innerText)")) == (200, {"status": "ok"})


def test_a_request_to_another_host_is_blocked_and_reported(page, audit: PageAudit) -> None:
    page.goto("/health")
    outcome = page.evaluate("() => fetch('https://cdn.example.org/lib.js').then(() => 'loaded', () => 'blocked')")
    assert outcome == "blocked"
    assert "blocked: https://cdn.example.org/lib.js is not served by the service" in audit.problems
    # The console reports the block without the address.
    audit.expect("cdn.example.org")
    audit.expect("ERR_BLOCKED_BY_CLIENT")
