"""The screenshots in docs/screenshots/, taken from the real service with some data: `make screenshots`.

Skipped in `make test` (they rewrite files in docs/); the pages still pass the same audit when they run.
"""

from __future__ import annotations

import os
import random
from pathlib import Path

import pytest
from playwright.sync_api import Page, expect

from tests.e2e.conftest import ADMIN_TOKEN, LiveServer
from tests.e2e.test_ui_flows import _dead_letter_of

pytestmark = pytest.mark.skipif(not os.environ.get("UI_SCREENSHOTS"), reason="set UI_SCREENSHOTS=1 to rewrite them")

OUT = Path(__file__).resolve().parents[2] / "docs" / "screenshots"
TYPES = ["login", "page_view", "purchase", "signup"]


def _events(seed: int, days: range, bad_rows: int) -> bytes:
    rng = random.Random(seed)
    lines = ["user_id,event_type,timestamp"]
    for day in days:
        for _ in range(rng.randint(20, 90)):
            kind = rng.choices(TYPES, weights=[5, 9, 2, 2])[0]
            hour, minute = rng.randint(0, 23), rng.randint(0, 59)
            lines.append(f"user{rng.randint(1, 400)},{kind},2025-11-{day:02d}T{hour:02d}:{minute:02d}:00Z")
    lines += [f"user{i},,2025-11-10T10:00:00Z" for i in range(bad_rows // 2)]
    lines += [f"user{i},login,2025-11-31 10:00" for i in range(bad_rows - bad_rows // 2)]
    return ("\n".join(lines) + "\n").encode()


def _shot(page: Page, name: str) -> None:
    OUT.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(OUT / f"{name}.png"), full_page=True)


def test_take_the_screenshots(page: Page, live_server: LiveServer) -> None:
    with live_server.api() as api:
        first = api.post("/uploads", files={"file": ("november.csv", _events(1, range(3, 17), 6), "text/csv")})
        api.post(f"/batches/{first.json()['batch_id']}/process")
    _dead_letter_of(live_server, "0b5e7c2d-missing")

    page.goto("/ui/upload")
    page.set_input_files(
        "#file", files=[{"name": "late-november.csv", "mimeType": "text/csv", "buffer": _events(2, range(14, 21), 4)}]
    )
    page.get_by_role("button", name="Upload").click()
    expect(page.locator("#upload-counts")).to_be_visible()
    _shot(page, "upload")

    page.goto("/ui/batches")
    expect(page.locator("#batches .badge").first).to_be_visible()
    expect(page.locator('#batches .badge[data-status="processed"]')).to_have_count(1)
    _shot(page, "batches")

    page.locator("#batches tbody tr").nth(1).get_by_role("link").click()
    expect(page.locator("#history")).to_be_visible()
    _shot(page, "batch")

    page.goto("/ui/metrics?from=2025-11-01&to=2025-11-21")
    expect(page.locator("#chart")).to_be_visible()
    _shot(page, "metrics")

    page.goto("/ui/admin")
    expect(page.locator("#sign-in")).to_be_visible()
    _shot(page, "sign-in")
    page.get_by_label("Admin token").fill(ADMIN_TOKEN)
    page.get_by_role("button", name="Sign in").click()
    expect(page.locator("#dead-letters")).to_be_visible()
    _shot(page, "admin")

    page.goto("/saq/")
    expect(page.get_by_role("table").first).to_be_visible()
    _shot(page, "saq")
