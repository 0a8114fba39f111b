"""Daily totals cached in Redis, invalidated by writers, safe against a read that overlaps a write.

Each day has a value key (JSON totals, with a TTL) and a generation key that every invalidation increments.
A reader that misses notes the generation, loads the totals, and stores them only if the generation is
unchanged (one Lua script, so atomically). A load that raced an invalidation may have read the old totals;
it is then served once but never cached, so the next read loads again.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Iterable

import msgspec
import structlog
from redis.asyncio import Redis
from redis.exceptions import RedisError

log = structlog.get_logger(__name__)

_decoder = msgspec.json.Decoder(dict[str, int])

# KEYS: value, generation. ARGV: the generation read before loading ("" if none), the value, the TTL in seconds.
_STORE_IF_CURRENT = """
local generation = redis.call('GET', KEYS[2]) or ''
if generation == ARGV[1] then
  redis.call('SET', KEYS[1], ARGV[2], 'EX', ARGV[3])
  return 1
end
return 0
"""


class RedisDailyTotalsCache:
    def __init__(self, redis: Redis, ttl_seconds: int = 300, prefix: str = "event-service:daily-totals") -> None:
        """``ttl_seconds`` bounds how long a value can outlive a writer that died before invalidating.

        With 0 nothing is cached and reads go straight to ``load``; invalidation still runs, so processes
        configured either way can share one Redis.
        """
        self._redis = redis
        self._ttl = ttl_seconds
        self._prefix = prefix
        self._store = redis.register_script(_STORE_IF_CURRENT)

    def _keys(self, day: str) -> tuple[str, str]:
        return f"{self._prefix}:{day}", f"{self._prefix}:{day}:generation"

    async def get_or_load(self, day: str, load: Callable[[], Awaitable[dict[str, int]]]) -> dict[str, int]:
        if self._ttl <= 0:
            return await load()
        value_key, generation_key = self._keys(day)
        try:
            cached, generation = await self._redis.mget(value_key, generation_key)
        except RedisError as exc:
            # The cache is an optimisation: without Redis, serve from the store of record.
            log.warning("metrics_cache.unavailable", day=day, error=str(exc))
            return await load()
        if cached is not None:
            return _decoder.decode(cached)
        totals = await load()
        try:
            await self._store(
                keys=[value_key, generation_key], args=[generation or b"", msgspec.json.encode(totals), self._ttl]
            )
        except RedisError as exc:
            log.warning("metrics_cache.unavailable", day=day, error=str(exc))
        return totals

    async def invalidate(self, days: Iterable[str]) -> None:
        days = sorted(set(days))
        if not days:
            return
        async with self._redis.pipeline(transaction=True) as pipe:
            for day in days:
                value_key, generation_key = self._keys(day)
                pipe.incr(generation_key)
                pipe.delete(value_key)
            await pipe.execute()
