"""Daily totals cached in Redis, invalidated by writers, safe against a read that overlaps a write.

Each day has a value key (JSON totals, with a TTL) and a generation key that every invalidation increments.
A reader that misses notes the generation, loads the totals, and stores them only if the generation is
unchanged (one Lua script, so atomically). A load that raced an invalidation may have read the old totals;
it is then served once but never cached, so the next read loads again.

With ``near=True`` (the API processes) a second level lives in the process itself, so a hit costs no round
trip: invalidations are also published on a channel, and the process keeps its copies only while it is
subscribed to that channel. A copy is kept only if no invalidation arrived while it was being read, and every
copy is dropped when the subscription breaks, so a process never serves totals older than the last
invalidation it could have heard of.
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import Awaitable, Callable, Iterable

import msgspec
import structlog
from redis.asyncio import Redis
from redis.exceptions import RedisError

log = structlog.get_logger(__name__)

_decoder = msgspec.json.Decoder(dict[str, int])
_NEAR_MAX_DAYS = 4096
"""A process keeps at most this many days; past it, it starts again empty (days asked for are few)."""
_RESUBSCRIBE_SECONDS = 1.0
_CLOSE_SECONDS = 1.0

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
    def __init__(
        self,
        redis: Redis,
        ttl_seconds: int = 300,
        prefix: str = "event-service:daily-totals",
        *,
        near: bool = False,
    ) -> None:
        """``ttl_seconds`` bounds how long a value can outlive a writer that died before invalidating.

        With 0 nothing is cached and reads go straight to ``load``; invalidation still runs, so processes
        configured either way can share one Redis. ``near`` adds the in-process level; call ``aclose``.
        """
        self._redis = redis
        self._ttl = ttl_seconds
        self._prefix = prefix
        self._channel = f"{prefix}:invalidated"
        self._store = redis.register_script(_STORE_IF_CURRENT)
        self._near_wanted = near and ttl_seconds > 0
        self._near: dict[str, dict[str, int]] = {}
        self._near_epoch = 0
        """Rises with every invalidation heard: a read that started under an older epoch keeps no copy."""
        self._subscribed = False
        self._listener: asyncio.Task[None] | None = None

    def _keys(self, day: str) -> tuple[str, str]:
        return f"{self._prefix}:{day}", f"{self._prefix}:{day}:generation"

    async def get_or_load(self, day: str, load: Callable[[], Awaitable[dict[str, int]]]) -> dict[str, int]:
        if self._ttl <= 0:
            return await load()
        if self._subscribed and (near := self._near.get(day)) is not None:
            return near
        if self._near_wanted and self._listener is None:
            self._listener = asyncio.create_task(self._listen())
        epoch = self._near_epoch
        totals = await self._shared_get_or_load(day, load)
        if self._subscribed and epoch == self._near_epoch:
            if len(self._near) >= _NEAR_MAX_DAYS:
                self._near.clear()
            self._near[day] = totals
        return totals

    async def _shared_get_or_load(self, day: str, load: Callable[[], Awaitable[dict[str, int]]]) -> dict[str, int]:
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
        self._forget(days)
        async with self._redis.pipeline(transaction=True) as pipe:
            for day in days:
                value_key, generation_key = self._keys(day)
                pipe.incr(generation_key)
                pipe.delete(value_key)
            pipe.publish(self._channel, ",".join(days))
            await pipe.execute()

    def _forget(self, days: Iterable[str]) -> None:
        self._near_epoch += 1
        for day in days:
            self._near.pop(day, None)

    async def _listen(self) -> None:
        """Hear every invalidation while the process keeps copies; resubscribe after a broken connection."""
        while True:
            pubsub = self._redis.pubsub()
            try:
                await pubsub.subscribe(self._channel)
                async for message in pubsub.listen():
                    if message["type"] == "subscribe":
                        self._subscribed = True
                    elif message["type"] == "message":
                        self._forget(message["data"].decode().split(","))
            except RedisError as exc:
                log.warning("metrics_cache.unsubscribed", error=str(exc))
            finally:
                # Whatever broke the subscription, copies may have missed an invalidation.
                self._subscribed = False
                self._near.clear()
                self._near_epoch += 1
                # Bounded: closing a pub/sub connection cut short mid-read can wait on that read for good.
                with contextlib.suppress(Exception):
                    await asyncio.wait_for(pubsub.aclose(), _CLOSE_SECONDS)
            await asyncio.sleep(_RESUBSCRIBE_SECONDS)

    async def aclose(self) -> None:
        if self._listener is not None:
            self._listener.cancel()
            await asyncio.wait({self._listener}, timeout=2 * _CLOSE_SECONDS)
            self._listener = None
