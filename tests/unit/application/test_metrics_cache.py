"""GET /metrics's use case with a cache: reads served from it, and every processed batch invalidating its days."""

from __future__ import annotations

import io
from datetime import date

from event_service.application.get_daily_metrics import GetDailyMetrics
from event_service.application.ingest_upload import Upload
from tests.unit.application.fakes import (
    FakeMetrics,
    InMemoryStore,
    in_memory_service,
)

DAY = date(2025, 11, 13)
FIRST = b"user_id,event_type,timestamp\nu1,signup,2025-11-13T10:00:00Z\nu2,signup,2025-11-13T11:00:00Z\n"
SECOND = b"user_id,event_type,timestamp\nu3,purchase,2025-11-13T12:00:00Z\nu4,signup,2025-11-14T00:00:00Z\n"


class CountingMetrics(FakeMetrics):
    def __init__(self) -> None:
        super().__init__()
        self.reads = 0

    async def daily_totals(self, day: str) -> dict[str, int]:
        self.reads += 1
        return await super().daily_totals(day)


class World:
    """The use cases as the composition root wires them (with the cache), on in-memory backends."""

    def __init__(self) -> None:
        service = in_memory_service(InMemoryStore(metrics=CountingMetrics()))
        self.metrics = service.store.metrics
        self.cache = service.redis.totals_cache
        self.ingest = service.use_cases.ingest_upload
        self.process = service.use_cases.process_batch
        self.metrics_of = service.use_cases.get_daily_metrics
        self.reprocess = service.use_cases.reprocess_day

    async def upload_and_process(self, data: bytes) -> list[str]:
        outcome = await self.ingest(Upload(io.BytesIO(data), "events.csv"))
        return await self.process(outcome.batch.id)


async def test_the_second_read_is_served_from_the_cache() -> None:
    world = World()
    await world.upload_and_process(FIRST)

    assert await world.metrics_of(DAY) == {"signup": 2}
    assert await world.metrics_of(DAY) == {"signup": 2}

    assert (world.metrics.reads, world.cache.loads, world.cache.hits) == (1, 1, 1)
    # Served from the cache indeed: a change the cache was not told about stays unseen.
    world.metrics.totals["2025-11-13"] = {"signup": 99}
    assert await world.metrics_of(DAY) == {"signup": 2}
    assert world.metrics.reads == 1


async def test_processing_a_batch_invalidates_the_days_it_touches() -> None:
    world = World()
    await world.upload_and_process(FIRST)
    assert await world.metrics_of(DAY) == {"signup": 2}
    assert await world.metrics_of(date(2025, 11, 14)) == {}

    assert await world.upload_and_process(SECOND) == ["2025-11-13", "2025-11-14"]

    assert await world.metrics_of(DAY) == {"signup": 2, "purchase": 1}
    assert await world.metrics_of(date(2025, 11, 14)) == {"signup": 1}
    assert world.metrics.reads == 4


async def test_a_day_nobody_wrote_stays_cached_when_another_is_processed() -> None:
    world = World()
    await world.upload_and_process(FIRST)
    assert await world.metrics_of(date(2025, 11, 12)) == {}
    await world.upload_and_process(SECOND)
    assert await world.metrics_of(date(2025, 11, 12)) == {}
    assert (world.metrics.reads, world.cache.hits) == (1, 1)


async def test_without_a_cache_every_read_goes_to_the_repository() -> None:
    world = World()
    await world.upload_and_process(FIRST)
    uncached = GetDailyMetrics(world.metrics)
    assert [await uncached(DAY) for _ in range(3)] == [{"signup": 2}] * 3
    assert world.metrics.reads == 3


async def test_reprocessing_a_day_clears_its_cached_totals() -> None:
    world = World()
    await world.upload_and_process(FIRST)
    assert await world.metrics_of(DAY) == {"signup": 2}
    world.metrics.totals["2025-11-13"] = {"signup": 99}  # drifted totals, cached answer still {"signup": 2}

    result = await world.reprocess(DAY)

    assert result.changed == {"signup": [99, 2]}
    world.metrics.totals["2025-11-13"] = {"signup": 7}  # proves the next read goes to the store again
    assert await world.metrics_of(DAY) == {"signup": 7}
