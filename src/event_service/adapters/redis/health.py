"""Redis's health check: a PING on the service's own client, so it tests the connections requests use."""

from __future__ import annotations

from redis.asyncio import Redis


class RedisHealth:
    def __init__(self, redis: Redis) -> None:
        self._redis = redis

    async def ping(self) -> None:
        await self._redis.ping()
