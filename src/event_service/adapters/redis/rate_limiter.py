"""Job start rates shared by every worker process through Redis (SAQ has no rate limiter of its own).

Each weight has a schedule of evenly spaced start slots in one Redis key: the time of the next free slot. A Lua
script, on the server's clock so that the processes' clocks do not matter, hands the caller the next slot and
moves the key on by one interval; the caller waits until its slot. So at most ``rate`` jobs of a weight start per
second across all processes, in the order they asked, with no polling.
"""

from __future__ import annotations

import asyncio
from collections.abc import Mapping

from redis.asyncio import Redis

from event_service.application.ports import JobWeight

_RESERVE = """
local now = redis.call('TIME')
local now_us = tonumber(now[1]) * 1000000 + tonumber(now[2])
local interval = tonumber(ARGV[1])
local slot = tonumber(redis.call('GET', KEYS[1]) or '0')
if slot < now_us then slot = now_us end
local following = slot + interval
redis.call('SET', KEYS[1], string.format('%.0f', following),
           'PX', string.format('%d', math.ceil((following - now_us) / 1000) + 1000))
return string.format('%.0f', slot - now_us)
"""


class RedisRateLimiter:
    def __init__(
        self, redis: Redis, per_second: Mapping[JobWeight, float], prefix: str = "event-service:job-rate"
    ) -> None:
        """``per_second``: the start rate of each weight; 0, or a weight left out, means no limit."""
        self._redis = redis
        self._intervals_us = {weight: 1_000_000 / rate for weight, rate in per_second.items() if rate > 0}
        self._prefix = prefix
        self._reserve = redis.register_script(_RESERVE)

    async def acquire(self, weight: JobWeight) -> None:
        interval = self._intervals_us.get(weight)
        if interval is None:
            return
        wait_us = int(await self._reserve(keys=[f"{self._prefix}:{weight.value}"], args=[repr(interval)]))
        if wait_us > 0:
            # The wait is the rate limit itself: this job's start slot is that far ahead.
            await asyncio.sleep(wait_us / 1_000_000)
