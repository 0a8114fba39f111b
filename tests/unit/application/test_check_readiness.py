"""Readiness: every dependency is asked at once, each within the timeout, and the failures are named."""

from __future__ import annotations

import time

from event_service.application.check_readiness import CheckReadiness
from tests.unit.application.fakes import FakeHealth


async def test_ready_when_every_dependency_answers() -> None:
    readiness = await CheckReadiness({"redis": FakeHealth(), "store": FakeHealth()}, timeout=1.0)()
    assert (readiness.ready, readiness.checks, readiness.failed) == (True, {"redis": "ok", "store": "ok"}, [])


async def test_a_failing_and_a_silent_dependency_are_named_with_what_went_wrong() -> None:
    check = CheckReadiness(
        {"redis": FakeHealth(error=ConnectionError("Connection refused")), "store": FakeHealth(hangs=True)},
        timeout=0.2,
    )
    started = time.monotonic()
    readiness = await check()
    # Both are checked concurrently: the whole check costs one timeout.
    assert time.monotonic() - started < 1.0
    assert readiness.ready is False
    assert readiness.failed == ["redis", "store"]
    assert readiness.checks == {
        "redis": "ConnectionError: Connection refused",
        "store": "no answer within 0.2 s",
    }


async def test_an_error_without_a_message_is_named_by_its_type() -> None:
    readiness = await CheckReadiness({"store": FakeHealth(error=OSError())}, timeout=1.0)()
    assert readiness.checks == {"store": "OSError"}
