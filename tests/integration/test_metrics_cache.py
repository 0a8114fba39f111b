"""The daily totals cache on real Redis: the adapter's rules, and GET /metrics through HTTP with the worker."""

from __future__ import annotations

import asyncio
import socket

from litestar.testing import AsyncTestClient
from redis.asyncio import Redis

from event_service.adapters.redis import RedisDailyTotalsCache
from event_service.entrypoints.bootstrap import Service
from tests.integration.helpers import SEED_CSV, eventually, store_sql

DAY = "2025-11-13"


class Loader:
    def __init__(self, *values: dict[str, int]) -> None:
        self.values = list(values)
        self.calls = 0

    async def __call__(self) -> dict[str, int]:
        self.calls += 1
        return self.values.pop(0)


async def test_a_miss_loads_and_stores_and_a_hit_does_not_load(redis: Redis) -> None:
    cache = RedisDailyTotalsCache(redis, ttl_seconds=60)
    load = Loader({"signup": 2, "a.b": 1}, {"never": 1})
    assert await cache.get_or_load(DAY, load) == {"signup": 2, "a.b": 1}
    assert await cache.get_or_load(DAY, load) == {"signup": 2, "a.b": 1}
    assert load.calls == 1
    assert 55 <= await redis.ttl(f"event-service:daily-totals:{DAY}") <= 60


async def test_empty_totals_are_cached_too(redis: Redis) -> None:
    cache = RedisDailyTotalsCache(redis)
    load = Loader({}, {"never": 1})
    assert [await cache.get_or_load(DAY, load) for _ in range(2)] == [{}, {}]
    assert load.calls == 1


async def test_invalidate_makes_the_next_read_load_again_and_only_for_those_days(redis: Redis) -> None:
    cache = RedisDailyTotalsCache(redis)
    await cache.get_or_load(DAY, Loader({"signup": 1}))
    await cache.get_or_load("2025-11-14", Loader({"signup": 7}))
    await cache.invalidate([DAY, DAY])
    await cache.invalidate([])
    assert await cache.get_or_load(DAY, Loader({"signup": 2})) == {"signup": 2}
    assert await cache.get_or_load("2025-11-14", Loader({"other": 0})) == {"signup": 7}


async def test_a_load_overlapping_an_invalidation_is_served_but_not_cached(redis: Redis) -> None:
    cache = RedisDailyTotalsCache(redis)

    async def load_then_a_writer_invalidates() -> dict[str, int]:
        stale = {"signup": 1}
        await cache.invalidate([DAY])  # a writer changed the totals after this load read them
        return stale

    assert await cache.get_or_load(DAY, load_then_a_writer_invalidates) == {"signup": 1}
    assert await redis.exists(f"event-service:daily-totals:{DAY}") == 0
    assert await cache.get_or_load(DAY, Loader({"signup": 2})) == {"signup": 2}


async def test_ttl_zero_never_touches_redis_for_reads(redis: Redis) -> None:
    cache = RedisDailyTotalsCache(redis, ttl_seconds=0)
    load = Loader({"signup": 1}, {"signup": 2})
    assert [await cache.get_or_load(DAY, load) for _ in range(2)] == [{"signup": 1}, {"signup": 2}]
    assert await redis.dbsize() == 0


async def test_reads_fall_back_to_the_store_when_redis_is_down() -> None:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]  # closed again before use: nothing listens there
    client = Redis.from_url(f"redis://127.0.0.1:{port}/0", socket_connect_timeout=0.5)
    try:
        cache = RedisDailyTotalsCache(client)
        assert await cache.get_or_load(DAY, Loader({"signup": 3})) == {"signup": 3}
    finally:
        await client.aclose()


async def _process(client: AsyncTestClient, data: bytes) -> None:
    batch_id = (await client.post("/uploads", files={"file": ("e.csv", data, "text/csv")})).json()["batch_id"]
    assert (await client.post(f"/batches/{batch_id}/process")).status_code == 202

    async def status() -> str:
        return (await client.get(f"/batches/{batch_id}")).json()["status"]

    await eventually(status, lambda s: s == "processed")


async def test_get_metrics_is_served_from_redis_and_a_processed_batch_invalidates_it(
    client: AsyncTestClient, redis: Redis, service: Service
) -> None:
    await _process(client, SEED_CSV)
    first = await client.get("/metrics", params={"date": DAY})
    assert first.json() == {"date": DAY, "metrics": {"signup": 120, "purchase": 30}}
    assert await redis.exists(f"event-service:daily-totals:{DAY}") == 1

    # Served from Redis: a change to the store behind the service's back is not seen...
    await store_sql(service, "UPDATE daily_totals SET counts = ? WHERE day = ?", '{"signup": 1}', DAY)
    assert (await client.get("/metrics", params={"date": DAY})).json()["metrics"] == {"signup": 120, "purchase": 30}

    # ...but processing a batch for that day recomputes from contributions and invalidates the cached totals.
    await _process(client, b"user_id,event_type,timestamp\nzed,refund,2025-11-13T23:59:59Z\n")
    after = await client.get("/metrics", params={"date": DAY})
    assert after.json() == {"date": DAY, "metrics": {"signup": 120, "purchase": 30, "refund": 1}}


async def test_near_copies_are_served_without_loading_and_dropped_by_another_process_invalidating(
    redis_url: str,
) -> None:
    reader_redis, writer_redis = Redis.from_url(redis_url), Redis.from_url(redis_url)
    reader = RedisDailyTotalsCache(reader_redis, near=True)  # an API process
    writer = RedisDailyTotalsCache(writer_redis)  # a worker process: its own connections
    try:
        load = Loader({"signup": 1}, {"signup": 5})
        # Until the reader's subscription is confirmed it keeps no copy, so it reads Redis's.
        await eventually(lambda: reader.get_or_load(DAY, load), lambda _: reader._subscribed)
        await reader.get_or_load(DAY, load)
        await writer_redis.delete(f"event-service:daily-totals:{DAY}")  # not an invalidation: no one is told
        assert await reader.get_or_load(DAY, Loader()) == {"signup": 1}  # served from the process, no load

        await writer.invalidate([DAY])
        assert await eventually(lambda: reader.get_or_load(DAY, load), lambda totals: totals == {"signup": 5}) == {
            "signup": 5
        }
    finally:
        await reader.aclose()
        await reader_redis.aclose()
        await writer_redis.aclose()


async def test_a_broken_subscription_drops_every_near_copy(redis_url: str) -> None:
    reader_redis = Redis.from_url(redis_url)
    reader = RedisDailyTotalsCache(reader_redis, near=True)
    try:
        await eventually(lambda: reader.get_or_load(DAY, Loader({"signup": 1})), lambda _: reader._subscribed)
        await reader.get_or_load(DAY, Loader({"signup": 1}))
        assert reader._near == {DAY: {"signup": 1}}
        await reader_redis.client_kill_filter(_type="pubsub")
        await eventually(lambda: asyncio.sleep(0), lambda _: not reader._subscribed)
        assert reader._near == {}
    finally:
        await reader.aclose()
        await reader_redis.aclose()
