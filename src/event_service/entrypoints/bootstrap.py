"""The composition root: the one place that picks adapters and wires the use cases, for every entrypoint."""

from __future__ import annotations

import secrets
import uuid
from dataclasses import dataclass, field
from datetime import timedelta

import structlog
from redis.asyncio import Redis

from event_service.adapters.clock import SystemClock
from event_service.adapters.compute import InlinePool, ProcessPool, build_pool
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
from event_service.application.check_readiness import CheckReadiness
from event_service.application.dead_letter_job import DeadLetterJob
from event_service.application.delete_dead_letter import DeleteDeadLetter
from event_service.application.get_batch import GetBatch
from event_service.application.get_daily_metrics import GetDailyMetrics
from event_service.application.get_dead_letter import GetDeadLetter
from event_service.application.ingest_upload import IngestLimits, IngestUpload
from event_service.application.list_dead_letters import ListDeadLetters
from event_service.application.list_queues import ListQueues
from event_service.application.ports import JobWeight
from event_service.application.process_batch import ProcessBatch
from event_service.application.purge_dead_letters import PurgeDeadLetters
from event_service.application.record_job_aborted import RecordJobAborted
from event_service.application.record_job_retry import RecordJobRetry
from event_service.application.reprocess_day import ReprocessDay
from event_service.application.request_processing import RequestProcessing
from event_service.application.retry_dead_letter import RetryDeadLetter
from event_service.application.schedule_reprocessing import ScheduleReprocessing
from event_service.application.sweep_stale_claims import SweepStaleClaims
from event_service.entrypoints import telemetry
from event_service.entrypoints.claim_sweeper import ClaimSweeper
from event_service.entrypoints.stores import Store, open_store

log = structlog.get_logger(__name__)


def new_batch_id() -> str:
    return uuid.uuid4().hex


@dataclass
class Container:
    settings: Settings
    redis_url: str
    redis: Redis
    queue: ServiceQueue
    admin_token: str | None
    ingest_upload: IngestUpload
    request_processing: RequestProcessing
    process_batch: ProcessBatch
    get_batch: GetBatch
    get_daily_metrics: GetDailyMetrics
    list_dead_letters: ListDeadLetters
    dead_letter_job: DeadLetterJob
    # The queue: retries, dead letters, rates, midnight reprocessing.
    job_queue: SaqJobQueue
    record_job_retry: RecordJobRetry
    record_job_aborted: RecordJobAborted
    get_dead_letter: GetDeadLetter
    retry_dead_letter: RetryDeadLetter
    delete_dead_letter: DeleteDeadLetter
    purge_dead_letters: PurgeDeadLetters
    list_queues: ListQueues
    reprocess_day: ReprocessDay
    schedule_reprocessing: ScheduleReprocessing
    store: Store
    check_readiness: CheckReadiness
    _pool: InlinePool | ProcessPool
    _totals_cache: RedisDailyTotalsCache
    _valkey: EmbeddedValkey | None = None
    _claim_sweeper: ClaimSweeper | None = None
    _started: bool = field(default=False)

    async def start(self) -> None:
        """Connect what needs an event loop. Safe to call more than once."""
        if self._started:
            return
        await self.store.start()
        if self._claim_sweeper is not None:
            self._claim_sweeper.start()
        self._started = True

    async def close(self) -> None:
        if self._claim_sweeper is not None:
            await self._claim_sweeper.stop()
        await self._totals_cache.aclose()
        await self.redis.aclose()
        self.store.close()
        self._pool.close()
        if self._valkey is not None:
            self._valkey.stop()
            self._valkey = None


def build_container(settings: Settings, *, pool: InlinePool | ProcessPool | None = None) -> Container:
    valkey: EmbeddedValkey | None = None
    redis_url = settings.redis_url
    if settings.embedded or redis_url is None:
        settings.data_dir.mkdir(parents=True, exist_ok=True)
    if redis_url is None:
        valkey = EmbeddedValkey(data_dir=settings.data_dir / "valkey")
        redis_url = valkey.start()
    redis = Redis.from_url(
        redis_url, socket_timeout=settings.redis_timeout, socket_connect_timeout=settings.redis_timeout
    )
    queue = ServiceQueue(redis, name=QUEUE_NAME)
    queue.on_enqueued = telemetry.record_enqueued
    store = open_store(settings)
    compute = pool if pool is not None else build_pool(settings.compute_workers)
    clock = SystemClock()
    batches, events, metrics = store.batches, store.events, store.metrics
    dead_letters = RedisDeadLetterStore(
        redis, max_entries=settings.dlq_max_entries, retention=timedelta(days=settings.dlq_retention_days)
    )
    limiter = RedisRateLimiter(
        redis, {JobWeight.LIGHT: settings.light_job_rate, JobWeight.HEAVY: settings.heavy_job_rate}
    )
    # Near copies in each process: a cached GET /metrics then costs no Redis round trip.
    totals_cache = RedisDailyTotalsCache(redis, ttl_seconds=settings.metrics_cache_ttl, near=True)
    job_queue = SaqJobQueue(
        queue,
        RetryPolicy(
            attempts=settings.job_retries,
            base_delay=settings.job_retry_delay,
            max_delay=settings.job_retry_max_delay,
            timeout=settings.job_timeout,
        ),
    )
    limits = IngestLimits(max_decompressed_bytes=settings.max_upload_bytes, max_event_types=settings.max_event_types)
    admin_token = settings.admin_token.get_secret_value() if settings.admin_token else None
    # Only an all-in-one process may invent the token: separate processes would each invent a different one.
    if admin_token is None and settings.embedded and settings.run_worker and valkey is not None:
        admin_token = secrets.token_urlsafe(24)
        log.warning("admin.token_generated", admin_token=admin_token, hint="set ADMIN_TOKEN to choose one")
    elif admin_token is None:
        log.warning("admin.disabled", reason="ADMIN_TOKEN is not set; admin routes answer 503 until it is")
    log.info(
        "backends",
        store=store.kind,
        store_data=store.location,
        redis="embedded valkey-server" if valkey else "REDIS_URL",
        redis_url=redis_url,
        redis_data=str((settings.data_dir / "valkey").resolve()) + " (append-only file)" if valkey else None,
        worker="in this process" if settings.run_worker else "separate `event-service worker` processes",
    )
    return Container(
        settings=settings,
        redis_url=redis_url,
        redis=redis,
        queue=queue,
        admin_token=admin_token,
        ingest_upload=IngestUpload(batches, events, compute, clock, new_batch_id, limits),
        request_processing=RequestProcessing(batches, job_queue, clock),
        process_batch=ProcessBatch(
            batches, metrics, clock, cache=totals_cache, limiter=limiter, heavy_rows=settings.heavy_job_rows
        ),
        get_batch=GetBatch(batches),
        get_daily_metrics=GetDailyMetrics(metrics, totals_cache),
        list_dead_letters=ListDeadLetters(dead_letters, {QUEUE_NAME}),
        dead_letter_job=DeadLetterJob(dead_letters, batches, clock),
        job_queue=job_queue,
        record_job_retry=RecordJobRetry(batches, clock),
        record_job_aborted=RecordJobAborted(batches, clock),
        get_dead_letter=GetDeadLetter(dead_letters, {QUEUE_NAME}),
        retry_dead_letter=RetryDeadLetter(dead_letters, {QUEUE_NAME: job_queue}, batches, clock),
        delete_dead_letter=DeleteDeadLetter(dead_letters, {QUEUE_NAME}),
        purge_dead_letters=PurgeDeadLetters(dead_letters, {QUEUE_NAME}),
        list_queues=ListQueues({QUEUE_NAME: job_queue}, dead_letters),
        reprocess_day=ReprocessDay(metrics, limiter, totals_cache),
        schedule_reprocessing=ScheduleReprocessing(job_queue, clock),
        store=store,
        check_readiness=CheckReadiness(
            {"redis": RedisHealth(redis), "store": store.health}, timeout=settings.readiness_timeout
        ),
        _pool=compute,
        _totals_cache=totals_cache,
        _valkey=valkey,
        _claim_sweeper=ClaimSweeper(
            SweepStaleClaims(batches, events, clock, timedelta(seconds=settings.ingest_timeout)),
            settings.ingest_timeout,
        ),
    )
