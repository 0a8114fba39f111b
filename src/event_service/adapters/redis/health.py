"""Redis's health check: a PING on the service's own client, so it tests the connections requests use."""

from __future__ import annotations

from collections.abc import Awaitable
from typing import cast

from redis.asyncio import Redis


class RedisHealth:
    def __init__(self, redis: Redis) -> None:
        self._redis = redis

    async def ping(self) -> None:
        # redis-py types its commands for the sync and async clients at once.
        await cast("Awaitable[bool]", self._redis.ping())
