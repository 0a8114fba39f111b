"""The backing services, each opened from the settings and owning its lifecycle: Redis (with what the service
keeps there) and the store (stores.py). The composition root wires the use cases from them."""

from __future__ import annotations

from datetime import timedelta

from redis.asyncio import Redis

from event_service.adapters.embedded_valkey import EmbeddedValkey
from event_service.adapters.redis import (
    RedisDailyTotalsCache,
    RedisDeadLetterStore,
    RedisHealth,
    RedisRateLimiter,
    RetryPolicy,
    SaqJobQueue,
    ServiceQueue,
)
from event_service.adapters.settings import QUEUE_NAME, Settings
from event_service.application.ports import JobWeight
from event_service.entrypoints import telemetry


class RedisBackend:
    """Redis at REDIS_URL, or an embedded valkey-server started here (its append-only file under DATA_DIR), and the
    ports the service keeps there: the SAQ job queue, the dead letters, the job rate limiter, the totals cache."""

    def __init__(
        self, url: str, settings: Settings, valkey: EmbeddedValkey | None = None, location: str | None = None
    ) -> None:
        self.url = url
        self.valkey = valkey
        self.location = location
        """Where the embedded valkey keeps its data, for the start-up log; None for a Redis at REDIS_URL."""
        self.client = Redis.from_url(
            url, socket_timeout=settings.redis_timeout, socket_connect_timeout=settings.redis_timeout
        )
        self.queue = ServiceQueue(self.client, name=QUEUE_NAME)
        self.queue.on_enqueued = telemetry.record_enqueued
        self.job_queue = SaqJobQueue(
            self.queue,
            RetryPolicy(
                attempts=settings.job_retries,
                base_delay=settings.job_retry_delay,
                max_delay=settings.job_retry_max_delay,
                timeout=settings.job_timeout,
            ),
        )
        self.dead_letters = RedisDeadLetterStore(
            self.client,
            max_entries=settings.dlq_max_entries,
            retention=timedelta(days=settings.dlq_retention_days),
        )
        self.limiter = RedisRateLimiter(
            self.client, {JobWeight.LIGHT: settings.light_job_rate, JobWeight.HEAVY: settings.heavy_job_rate}
        )
        # Near copies in each process: a cached GET /metrics then costs no Redis round trip.
        self.totals_cache = RedisDailyTotalsCache(self.client, ttl_seconds=settings.metrics_cache_ttl, near=True)
        self.health = RedisHealth(self.client)

    @classmethod
    def open(cls, settings: Settings) -> RedisBackend:
        """On REDIS_URL; without it, on a valkey-server started now, persisting under DATA_DIR/valkey."""
        if settings.redis_url is not None:
            return cls(settings.redis_url, settings)
        folder = settings.data_dir / "valkey"
        valkey = EmbeddedValkey(data_dir=folder)
        return cls(valkey.start(), settings, valkey, f"{folder.resolve()} (append-only file)")

    def adopt(self, queue: ServiceQueue) -> ServiceQueue:
        """Another queue object on this queue (a worker's own connection): jobs it enqueues (cron runs) get the same
        retry policy, and are counted."""
        self.job_queue.policy.attach(queue)
        queue.on_enqueued = self.queue.on_enqueued
        return queue

    @property
    def embedded(self) -> bool:
        return self.valkey is not None

    async def close(self) -> None:
        await self.totals_cache.aclose()
        await self.client.aclose()
        if self.valkey is not None:
            self.valkey.stop()
            self.valkey = None
