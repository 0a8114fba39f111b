"""The composition root: opens the backends (or takes the ones given) and wires every use case from them, the same
for the HTTP app, the worker and the CLI. Tests pass fakes for any backend, as in cosmicpython's ``bootstrap()``."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import timedelta

import structlog

from event_service.adapters.clock import SystemClock
from event_service.adapters.compute import build_pool
from event_service.adapters.settings import QUEUE_NAME, Settings
from event_service.application.check_readiness import CheckReadiness
from event_service.application.dead_letters import DeadLetters
from event_service.application.get_batch import GetBatch
from event_service.application.get_daily_metrics import GetDailyMetrics
from event_service.application.ingest_upload import IngestLimits, IngestUpload
from event_service.application.job_outcomes import JobOutcomes
from event_service.application.list_queues import ListQueues
from event_service.application.ports import Clock, IdGenerator
from event_service.application.process_batch import ProcessBatch
from event_service.application.reprocess_day import ReprocessDay
from event_service.application.request_processing import RequestProcessing
from event_service.application.schedule_reprocessing import ScheduleReprocessing
from event_service.application.submit_job import SubmitJob
from event_service.application.sweep_stale_claims import SweepStaleClaims
from event_service.entrypoints.backends import RedisBackend
from event_service.entrypoints.claim_sweeper import ClaimSweeper
from event_service.entrypoints.stores import ClosablePool, Store, open_store

log = structlog.get_logger(__name__)


def new_batch_id() -> str:
    return uuid.uuid4().hex


@dataclass(frozen=True)
class UseCases:
    """Everything the entrypoints may ask of the application."""

    ingest_upload: IngestUpload
    request_processing: RequestProcessing
    process_batch: ProcessBatch
    get_batch: GetBatch
    get_daily_metrics: GetDailyMetrics
    reprocess_day: ReprocessDay
    schedule_reprocessing: ScheduleReprocessing
    dead_letters: DeadLetters
    job_outcomes: JobOutcomes
    list_queues: ListQueues
    check_readiness: CheckReadiness


class Service:
    """The wired service: its settings, its use cases, and the backends whose lifecycles it runs."""

    def __init__(
        self,
        settings: Settings,
        use_cases: UseCases,
        redis: RedisBackend,
        store: Store,
        compute: ClosablePool,
        claim_sweeper: ClaimSweeper,
    ) -> None:
        self.settings = settings
        self.use_cases = use_cases
        self.redis = redis
        self.store = store
        self._compute = compute
        self._claim_sweeper = claim_sweeper
        self._started = False

    async def start(self) -> None:
        """Connect what needs an event loop. Safe to call more than once."""
        if self._started:
            return
        await self.store.start()
        self._claim_sweeper.start()
        self._started = True

    async def close(self) -> None:
        await self._claim_sweeper.stop()
        await self.redis.close()
        self.store.close()
        self._compute.close()


def bootstrap(
    settings: Settings,
    *,
    store: Store | None = None,
    redis: RedisBackend | None = None,
    compute: ClosablePool | None = None,
    clock: Clock | None = None,
    new_id: IdGenerator | None = None,
    limits: IngestLimits | None = None,
) -> Service:
    """Wire the service on the backends the settings name, or on those given. The service owns them all: its
    ``start`` and ``close`` run their lifecycles. ``limits`` replaces the upload limits the settings give (tests
    use tiny chunks to cross chunk boundaries)."""
    store = store if store is not None else open_store(settings)
    redis = redis if redis is not None else RedisBackend.open(settings)
    compute = compute if compute is not None else build_pool(settings.compute_workers)
    clock = clock if clock is not None else SystemClock()
    batches, metrics = store.batches, store.metrics
    submit = SubmitJob(batches, redis.job_queue, clock)
    limits = limits or IngestLimits(
        max_decompressed_bytes=settings.max_upload_bytes, max_event_types=settings.max_event_types
    )
    log.info(
        "backends",
        store=store.kind,
        store_data=store.location,
        redis="embedded valkey-server" if redis.embedded else "REDIS_URL",
        redis_url=redis.url,
        redis_data=redis.location,
        worker="in this process" if settings.run_worker else "separate `event-service worker` processes",
    )
    use_cases = UseCases(
        ingest_upload=IngestUpload(
            batches,
            store.events,
            compute,
            clock,
            new_id or new_batch_id,
            limits,
        ),
        request_processing=RequestProcessing(batches, submit),
        process_batch=ProcessBatch(
            batches,
            metrics,
            clock,
            cache=redis.totals_cache,
            limiter=redis.limiter,
            heavy_rows=settings.heavy_job_rows,
        ),
        get_batch=GetBatch(batches, limits.stored_errors_per_batch),
        get_daily_metrics=GetDailyMetrics(metrics, redis.totals_cache),
        reprocess_day=ReprocessDay(metrics, redis.limiter, redis.totals_cache),
        schedule_reprocessing=ScheduleReprocessing(redis.job_queue, clock),
        dead_letters=DeadLetters(redis.dead_letters, submit),
        job_outcomes=JobOutcomes(batches, redis.dead_letters, clock),
        list_queues=ListQueues({QUEUE_NAME: redis.job_queue}, redis.dead_letters),
        check_readiness=CheckReadiness(
            {"redis": redis.health, "store": store.health}, timeout=settings.readiness_timeout
        ),
    )
    sweeper = ClaimSweeper(
        SweepStaleClaims(batches, store.events, clock, timedelta(seconds=settings.ingest_timeout)),
        settings.ingest_timeout,
    )
    return Service(settings, use_cases, redis, store, compute, sweeper)
