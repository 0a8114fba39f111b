"""The web UI in a real browser, for people who upload: a file with bad rows, its counts and errors, processing
that shows live, and the metrics of a range in the chart and the table."""

from __future__ import annotations

from playwright.sync_api import Page, expect

from tests.e2e.conftest import LiveServer, PageAudit

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
