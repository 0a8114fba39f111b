"""Dead letters per queue in Redis: a hash of entries, a sorted set ordering them by failure time, and a counter of
every job that ever failed for good.

Retention is bounded by count and by age, oldest dropped first. Both bounds are applied atomically (Lua) when an
entry is added and before every read, so an idle queue does not serve expired entries either.
"""

from __future__ import annotations

import time
from collections.abc import Awaitable
from datetime import datetime, timedelta
from typing import Any, cast

import msgspec
from redis.asyncio import Redis

from event_service.adapters.redis.job_queue import job_message, saq_call
from event_service.application.ports import DeadLetter, DeadLetterCounts


class DeadLetterRecord(msgspec.Struct, frozen=True):
    """A dead letter with its job written as the SAQ function and kwargs that run it: how Redis keeps it, and how
    the admin API shows it."""

    id: str
    job_key: str
    function: str
    kwargs: dict[str, Any]
    reason: str
    attempts: int
    failed_at: datetime
    traceback_tail: str | None = None
    first_failed_at: datetime | None = None
    """When the job's first attempt failed (equal to ``failed_at`` for a job that failed once)."""

    @classmethod
    def of(cls, entry: DeadLetter) -> DeadLetterRecord:
        function, kwargs = saq_call(entry.job)
        fields = msgspec.structs.asdict(entry)
        del fields["job"]
        return cls(function=function, kwargs=kwargs, **fields)

    def entry(self) -> DeadLetter:
        fields = msgspec.structs.asdict(self)
        job = job_message(fields.pop("function"), fields.pop("kwargs"))
        return DeadLetter(job=job, **fields)


_decoder = msgspec.json.Decoder(DeadLetterRecord)


_PRUNE_FUNCTION = """
local function prune(entries, order, cutoff, max_entries)
    local dropped = redis.call('ZRANGEBYSCORE', order, '-inf', '(' .. cutoff)
    local overflow = redis.call('ZCARD', order) - #dropped - max_entries
    if overflow > 0 then
        for _, id in ipairs(redis.call('ZRANGE', order, #dropped, #dropped + overflow - 1)) do
            table.insert(dropped, id)
        end
    end
    for i = 1, #dropped, 1000 do
        local chunk = {unpack(dropped, i, math.min(i + 999, #dropped))}
        redis.call('ZREM', order, unpack(chunk))
        redis.call('HDEL', entries, unpack(chunk))
    end
    return #dropped
end
"""

_PRUNE = _PRUNE_FUNCTION + "return prune(KEYS[1], KEYS[2], ARGV[1], tonumber(ARGV[2]))"

_ADD = (
    _PRUNE_FUNCTION
    + """
if redis.call('HEXISTS', KEYS[1], ARGV[3]) == 1 then
    return -1
end
redis.call('HSET', KEYS[1], ARGV[3], ARGV[4])
redis.call('ZADD', KEYS[2], ARGV[5], ARGV[3])
redis.call('INCR', KEYS[3])
return prune(KEYS[1], KEYS[2], ARGV[1], tonumber(ARGV[2]))
"""
)


class RedisDeadLetterStore:
    def __init__(
        self,
        redis: Redis,
        max_entries: int = 10_000,
        retention: timedelta = timedelta(days=7),
        prefix: str = "event-service:dlq",
    ) -> None:
        self._redis = redis
        self._max_entries = max_entries
        self._retention = retention.total_seconds()
        self._prefix = prefix
        self._add = redis.register_script(_ADD)
        self._prune = redis.register_script(_PRUNE)

    def _keys(self, queue: str) -> tuple[str, str, str]:
        base = f"{self._prefix}:{queue}"
        return f"{base}:entries", f"{base}:order", f"{base}:failed"

    def _limits(self) -> list[str | int]:
        return [repr(time.time() - self._retention), self._max_entries]

    async def _prune_expired(self, queue: str) -> None:
        entries, order, _ = self._keys(queue)
        await self._prune(keys=[entries, order], args=self._limits())

    async def add(self, queue: str, entry: DeadLetter) -> bool:
        dropped = await self._add(
            keys=list(self._keys(queue)),
            args=[
                *self._limits(),
                entry.id,
                msgspec.json.encode(DeadLetterRecord.of(entry)),
                repr(entry.failed_at.timestamp()),
            ],
        )
        return int(dropped) >= 0

    async def list(self, queue: str, offset: int, limit: int) -> tuple[list[DeadLetter], int]:
        await self._prune_expired(queue)
        entries, order, _ = self._keys(queue)
        async with self._redis.pipeline(transaction=True) as pipe:
            pipe.zrevrange(order, offset, offset + limit - 1)
            pipe.zcard(order)
            ids, total = await pipe.execute()
        if not ids:
            return [], total
        raw = await cast("Awaitable[list[bytes | None]]", self._redis.hmget(entries, ids))
        return [_decoder.decode(item).entry() for item in raw if item is not None], total

    async def get(self, queue: str, entry_id: str) -> DeadLetter | None:
        await self._prune_expired(queue)
        raw = await cast("Awaitable[bytes | None]", self._redis.hget(self._keys(queue)[0], entry_id))
        return None if raw is None else _decoder.decode(raw).entry()

    async def remove(self, queue: str, entry_id: str) -> bool:
        entries, order, _ = self._keys(queue)
        async with self._redis.pipeline(transaction=True) as pipe:
            pipe.hdel(entries, entry_id)
            pipe.zrem(order, entry_id)
            removed, _ = await pipe.execute()
        return bool(removed)

    async def purge(self, queue: str) -> int:
        entries, order, _ = self._keys(queue)
        async with self._redis.pipeline(transaction=True) as pipe:
            pipe.zcard(order)
            pipe.delete(entries, order)
            count, _ = await pipe.execute()
        return int(count)

    async def counts(self, queue: str) -> DeadLetterCounts:
        await self._prune_expired(queue)
        _, order, failed = self._keys(queue)
        async with self._redis.pipeline(transaction=True) as pipe:
            pipe.zcard(order)
            pipe.get(failed)
            entries, failed_total = await pipe.execute()
        return DeadLetterCounts(entries=int(entries), failed_total=int(failed_total or 0))
