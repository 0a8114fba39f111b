"""Dead letters per queue in Redis: a hash of entries and a sorted set ordering them by failure time."""

from __future__ import annotations

import msgspec
from redis.asyncio import Redis

from event_service.application.ports import DeadLetter

_decoder = msgspec.json.Decoder(DeadLetter)


class RedisDeadLetterStore:
    def __init__(self, redis: Redis, max_entries: int = 10_000, prefix: str = "event-service:dlq") -> None:
        self._redis = redis
        self._max_entries = max_entries
        self._prefix = prefix

    def _keys(self, queue: str) -> tuple[str, str]:
        return f"{self._prefix}:{queue}:entries", f"{self._prefix}:{queue}:order"

    async def add(self, queue: str, entry: DeadLetter) -> None:
        entries, order = self._keys(queue)
        async with self._redis.pipeline(transaction=True) as pipe:
            pipe.hset(entries, entry.id, msgspec.json.encode(entry))
            pipe.zadd(order, {entry.id: entry.failed_at.timestamp()})
            await pipe.execute()
        overflow = await self._redis.zcard(order) - self._max_entries
        if overflow > 0:
            oldest = await self._redis.zrange(order, 0, overflow - 1)
            async with self._redis.pipeline(transaction=True) as pipe:
                pipe.zrem(order, *oldest)
                pipe.hdel(entries, *oldest)
                await pipe.execute()

    async def list(self, queue: str, offset: int, limit: int) -> tuple[list[DeadLetter], int]:
        entries, order = self._keys(queue)
        ids = await self._redis.zrevrange(order, offset, offset + limit - 1)
        total = await self._redis.zcard(order)
        if not ids:
            return [], total
        raw = await self._redis.hmget(entries, ids)
        return [_decoder.decode(item) for item in raw if item is not None], total
