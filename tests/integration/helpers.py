"""Shared by the integration tests: the seed file, and waiting on a condition instead of sleeping."""

from __future__ import annotations

import asyncio
import time
from collections.abc import Awaitable, Callable
from typing import TypeVar

T = TypeVar("T")

SEED_CSV = (
    "user_id,event_type,timestamp\n"
    + "".join(f"user{i},signup,2025-11-13T{i % 24:02d}:{i % 60:02d}:00Z\n" for i in range(120))
    + "".join(f"user{i},purchase,2025-11-13 {i % 24:02d}:15:00.250\n" for i in range(30))
).encode()


async def eventually(probe: Callable[[], Awaitable[T]], done: Callable[[T], bool], within: float = 15.0) -> T:
    """Poll ``probe`` until ``done`` holds for its value; fail with the last value after ``within`` seconds."""
    deadline = time.monotonic() + within
    while True:
        value = await probe()
        if done(value):
            return value
        if time.monotonic() > deadline:
            raise AssertionError(f"condition not met within {within}s; last value: {value!r}")
        await asyncio.sleep(0.02)
