"""``event-service``: serve the API (with or without the worker), run a worker, or summarize a CSV offline."""

from __future__ import annotations

import argparse
import asyncio
import sys
from collections.abc import Sequence
from datetime import date
from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from event_service.adapters.settings import Settings

# Imports of the service stack stay inside the commands that need it: `summarize` loads only the domain and the
# compute adapters, so it starts fast, and so do its parser processes (which import this module again).


def _serve(settings: Settings, *, with_worker: bool) -> None:
    from granian.constants import Interfaces
    from granian.server import Server

    from event_service.adapters.settings import ConfigurationError

    if not with_worker and (settings.embedded or settings.redis_url is None):
        raise ConfigurationError(
            "`event-service api` runs without a worker, so it needs MONGODB_URL and REDIS_URL shared with "
            "`event-service worker` processes; use `event-service serve` for the all-in-one embedded mode"
        )
    if with_worker and not settings.embedded:
        raise ConfigurationError(
            "`event-service serve` runs the worker in the API process only on the embedded in-memory store; "
            "with MONGODB_URL set, run `event-service api` and `event-service worker`"
        )
    Server(
        "event_service.entrypoints.http.app:create_app",
        address=settings.host,
        port=settings.port,
        interface=Interfaces.ASGI,
        factory=True,
        workers=1,
        # On SIGTERM granian closes the listening socket at once (new connections are refused), lets requests
        # in flight finish, runs the app's shutdown, and kills the worker if all that outlasts the grace period.
        workers_kill_timeout=settings.shutdown_grace_seconds,
    ).serve()


def _worker(settings: Settings) -> None:
    import structlog

    from event_service.adapters.settings import ConfigurationError
    from event_service.entrypoints.bootstrap import build_container
    from event_service.entrypoints.worker import run_worker

    if settings.redis_url is None:
        raise ConfigurationError(
            "`event-service worker` needs REDIS_URL: a worker on a private embedded valkey would get no jobs"
        )
    if settings.embedded:
        # Allowed so that a worker can be tried against a real Redis without MongoDB, but it sees no batches.
        structlog.get_logger(__name__).warning(
            "worker.in_memory_store",
            hint="MONGODB_URL is unset: this worker sees only its own empty in-memory store, so every "
            "process_batch job will fail with 'batch does not exist'",
        )

    asyncio.run(run_worker(build_container(settings)))


def _reprocess(settings: Settings, day: date) -> int:
    import msgspec

    from event_service.adapters.settings import ConfigurationError
    from event_service.application.reprocess_day import DayReprocessed
    from event_service.entrypoints.bootstrap import build_container
    from event_service.entrypoints.worker import log_reprocessed

    if settings.embedded:
        raise ConfigurationError(
            "`event-service reprocess` needs MONGODB_URL: without it the data lives inside the `event-service "
            "serve` process; use its admin route POST /metrics/reprocess?date=YYYY-MM-DD instead"
        )

    async def run() -> DayReprocessed:
        container = build_container(settings)
        try:
            await container.start()
            return await container.reprocess_day(day)
        finally:
            await container.close()

    result = asyncio.run(run())
    log_reprocessed(result, trigger="cli")
    sys.stdout.write(msgspec.json.encode(result).decode() + "\n")
    return 0


def _day(value: str) -> date:
    from event_service.domain import calendar_day

    day = calendar_day(value)
    if day is None:
        raise argparse.ArgumentTypeError(f"{value!r} is not a calendar day as YYYY-MM-DD")
    return day


def _summarize(path: Path, workers: int) -> int:
    import msgspec

    from event_service.adapters.clock import SystemClock
    from event_service.adapters.compute import build_pool
    from event_service.application.errors import ApplicationError
    from event_service.application.ingest_upload import IngestLimits
    from event_service.application.summarize_csv import SummarizeCsv
    from event_service.domain import DomainError

    pool = build_pool(workers)
    try:
        with path.open("rb") as file:
            report = asyncio.run(SummarizeCsv(pool, SystemClock(), IngestLimits())(file))
    except (DomainError, ApplicationError) as exc:
        print(f"event-service: {path}: {exc}", file=sys.stderr)
        return 1
    finally:
        pool.close()
    summary = {
        "rows_total": report.rows_total,
        "rows_accepted": report.rows_accepted,
        "rows_rejected": report.rows_rejected,
        "metrics": report.counts,
    }
    sys.stdout.write(msgspec.json.encode(summary).decode() + "\n")
    return 0


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="event-service", description=__doc__)
    commands = parser.add_subparsers(dest="command", required=True)
    commands.add_parser("serve", help="API and worker in one process (the embedded default)")
    commands.add_parser("api", help="the HTTP API only (needs REDIS_URL and MONGODB_URL)")
    commands.add_parser("worker", help="an SAQ worker for the metrics-processor queue")
    summarize_parser = commands.add_parser("summarize", help="validate and aggregate a CSV file offline")
    summarize_parser.add_argument("file", type=Path)
    summarize_parser.add_argument("--workers", type=int, default=1, help="compute processes (1 parses in this process)")
    reprocess_parser = commands.add_parser(
        "reprocess", help="recompute one UTC day's totals from the batch contributions (needs MONGODB_URL)"
    )
    reprocess_parser.add_argument("--date", type=_day, required=True, help="the day, YYYY-MM-DD")
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    args = _parser().parse_args(argv)
    if args.command == "summarize":
        if not args.file.is_file():
            print(f"event-service: {args.file}: no such file", file=sys.stderr)
            return 2
        return _summarize(args.file, args.workers if args.workers > 1 else 0)
    from event_service.adapters.settings import ConfigurationError, load_settings
    from event_service.entrypoints.logging import configure_logging

    try:
        settings = load_settings()
        configure_logging(settings.log_format, settings.log_level)
        if args.command == "worker":
            _worker(settings)
        elif args.command == "reprocess":
            return _reprocess(settings, args.date)
        else:
            _serve(settings, with_worker=args.command == "serve")
    except ConfigurationError as exc:
        print(f"event-service: {exc}", file=sys.stderr)
        return 2
    return 0


if __name__ == "__main__":
    sys.exit(main())
