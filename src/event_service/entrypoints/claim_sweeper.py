"""Sweeps stale upload claims at start-up and then periodically, in every process that starts the service.

Every layout (``serve``, ``api``, ``worker``) starts the service, so a crashed upload is cleaned up by whichever
process runs next, with no worker cron needed. Several processes sweeping at once only repeat idempotent deletes.
"""

from __future__ import annotations

import asyncio
import contextlib

import structlog

from event_service.application.sweep_stale_claims import SweepStaleClaims

log = structlog.get_logger(__name__)

MAX_SWEEP_INTERVAL = 60.0
"""Seconds between sweeps at most; a shorter INGEST_TIMEOUT sweeps as often as it is long."""


class ClaimSweeper:
    def __init__(self, sweep: SweepStaleClaims, ingest_timeout: float) -> None:
        self._sweep = sweep
        self._interval = min(ingest_timeout, MAX_SWEEP_INTERVAL)
        self._task: asyncio.Task[None] | None = None

    def start(self) -> None:
        if self._task is None:
            self._task = asyncio.create_task(self._run(), name="stale-claim-sweeper")

    async def stop(self) -> None:
        if self._task is None:
            return
        self._task.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await self._task
        self._task = None

    async def _run(self) -> None:
        while True:
            try:
                swept = await self._sweep()
            except Exception:  # a store outage must not end the sweeping: the next round tries again
                log.exception("ingest.sweep_failed")
            else:
                if swept:
                    log.warning("ingest.stale_claims_swept", batches=swept, reason="ingesting past INGEST_TIMEOUT")
            await asyncio.sleep(self._interval)
