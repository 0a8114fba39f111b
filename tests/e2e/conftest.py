"""Browser tests: the real service (`event-service serve`) in a child process, driven by Debian's Chromium.

Every page a test opens is audited: a request to any host other than the service is blocked (the UI and the
docs must work offline), and a blocked or failed request, a response of 400 or above, or a console error is a
problem that fails the test unless the test expects it (``audit.expect(...)``).
"""

from __future__ import annotations

import os
import shutil
import socket
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import urlparse

import httpx
import pytest
import redis

CHROMIUM = "/usr/bin/chromium"
ADMIN_TOKEN = "e2e-admin-token"
# What the machine's probe found Chromium needs here: no sandbox as root, and no background calls to hosts that
# this closed network refuses.
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    if Path(CHROMIUM).exists():
        return
    if os.environ.get("CI"):
        raise pytest.UsageError(f"{CHROMIUM} is missing: .ci/run installs Debian's chromium package")
    skip = pytest.mark.skip(reason=f"{CHROMIUM} is missing: apt-get install chromium (never `playwright install`)")
    for item in items:
        if "tests/e2e/" in str(item.fspath):
            item.add_marker(skip)


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


@dataclass
class LiveServer:
    url: str
    redis_url: str
    data_dir: Path
    process: subprocess.Popen[bytes]
    log: Path

    def api(self) -> httpx.Client:
        return httpx.Client(base_url=self.url, timeout=30)

    def admin_api(self) -> httpx.Client:
        return httpx.Client(base_url=self.url, timeout=30, headers={"Authorization": f"Bearer {ADMIN_TOKEN}"})


def _wait_until_serving(server: LiveServer, within: float = 60.0) -> None:
    deadline = time.monotonic() + within
    while time.monotonic() < deadline:
        if server.process.poll() is not None:
            raise RuntimeError(f"event-service exited with {server.process.returncode}:\n{server.log.read_text()}")
        try:
            if httpx.get(f"{server.url}/health", timeout=1).status_code == 200:
                return
        except httpx.HTTPError:
            pass
        time.sleep(0.1)
    raise RuntimeError(f"event-service did not answer /health within {within}s:\n{server.log.read_text()}")


@pytest.fixture(scope="module")
def live_server(redis_server_url: str, tmp_path_factory: pytest.TempPathFactory) -> Iterator[LiveServer]:
    """`event-service serve` on a free port, on the tests' Redis database and a data directory of its own."""
    redis.Redis.from_url(redis_server_url).flushdb()
    data_dir = tmp_path_factory.mktemp("data")
    log = data_dir / "serve.log"
    port = _free_port()
    env = {
        **os.environ,
        "HOST": "127.0.0.1",
        "PORT": str(port),
        "REDIS_URL": redis_server_url,
        "MONGODB_URL": "",
        "DATA_DIR": str(data_dir),
        "ADMIN_TOKEN": ADMIN_TOKEN,
        "JOB_RETRY_DELAY": "0",
        "LOG_FORMAT": "console",
    }
    executable = shutil.which("event-service", path=str(Path(sys.executable).parent))
    assert executable is not None, "the event-service script is not installed in this venv"
    with log.open("wb") as out:
        process = subprocess.Popen([executable, "serve"], env=env, stdout=out, stderr=subprocess.STDOUT)
    server = LiveServer(f"http://127.0.0.1:{port}", redis_server_url, data_dir, process, log)
    try:
        _wait_until_serving(server)
        yield server
    finally:
        process.terminate()
        try:
            process.wait(timeout=30)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()
        redis.Redis.from_url(redis_server_url).flushdb()


@dataclass
class PageAudit:
    """What went wrong on the pages of one test, as a person would notice it."""

    origin: str
    problems: list[str] = field(default_factory=list)
    expected: list[str] = field(default_factory=list)

    def expect(self, fragment: str) -> None:
        """Accept problems containing ``fragment`` (for a test that provokes an error on purpose)."""
        self.expected.append(fragment)

    def unexpected(self) -> list[str]:
        return [p for p in self.problems if not any(fragment in p for fragment in self.expected)]

    def attach(self, page) -> None:  # a playwright.sync_api.Page
        page.on("console", lambda msg: msg.type == "error" and self.problems.append(f"console error: {msg.text}"))
        page.on("pageerror", lambda error: self.problems.append(f"page error: {error}"))
        page.on(
            "requestfailed",
            lambda request: self.problems.append(f"request failed: {request.url} ({request.failure})"),
        )
        page.on(
            "response",
            lambda response: (
                response.status >= 400
                and self.problems.append(f"HTTP {response.status}: {response.request.method} {response.url}")
            ),
        )


@pytest.fixture(scope="module")
def browser() -> Iterator[object]:
    """Chromium for one module's tests. Not for the whole session: Playwright's sync API keeps an event loop
    running on the main thread while it is open, and the async tests that run after the browser tests could not
    start theirs."""
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        chromium = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS, headless=True)
        yield chromium
        chromium.close()


@pytest.fixture
def audit(live_server: LiveServer) -> PageAudit:
    return PageAudit(origin=live_server.url)


@pytest.fixture
def new_page(browser, live_server: LiveServer, audit: PageAudit) -> Iterator[Callable[..., object]]:
    """Opens fresh browser contexts (keyword arguments go to ``browser.new_context``) and a page in each; requests
    to any host but the service are blocked and fail the test."""
    service = urlparse(live_server.url).netloc
    contexts = []

    def only_the_service(route) -> None:
        if urlparse(route.request.url).netloc == service or route.request.url.startswith(("data:", "blob:")):
            route.continue_()
        else:
            audit.problems.append(f"blocked: {route.request.url} is not served by the service")
            route.abort("blockedbyclient")

    def open_page(**context_options: object) -> object:
        context = browser.new_context(
            base_url=live_server.url, viewport={"width": 1280, "height": 900}, **context_options
        )
        contexts.append(context)
        context.route("**/*", only_the_service)
        page = context.new_page()
        page.set_default_timeout(15_000)
        audit.attach(page)
        return page

    yield open_page
    for context in contexts:
        context.close()
    assert audit.unexpected() == [], "the browser saw problems:\n" + "\n".join(audit.unexpected())


@pytest.fixture
def page(new_page: Callable[..., object]) -> object:
    """A fresh browser context and page, as anyone who opens the service."""
    return new_page()


@pytest.fixture
def admin_page(new_page: Callable[..., object]) -> object:
    """A page signed in as the admin, the way a person does it: the token typed into the UI's sign-in form, which
    sets the session cookie that every admin page (the dashboard at /saq/ included) then goes by."""
    from playwright.sync_api import expect

    page = new_page()
    page.goto("/ui/admin")
    page.get_by_label("Admin token").fill(ADMIN_TOKEN)
    page.get_by_role("button", name="Sign in").click()
    expect(page.locator("#queues")).to_be_visible()
    # The admin page then reads the dead letters: let it finish, or the test's next navigation aborts that read.
    expect(page.locator("#dlq-empty, #dead-letters").first).to_be_visible()
    return page
