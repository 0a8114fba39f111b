"""The log line of a recomputed day, whichever entrypoint asked for it (a job, the HTTP route, the CLI)."""

from __future__ import annotations

import structlog

from event_service.application.reprocess_day import DayReprocessed

log = structlog.get_logger("event_service.reprocess")


def log_reprocessed(result: DayReprocessed, trigger: str) -> None:
    """One line per recomputed day, saying what changed (``{event_type: [before, after]}``)."""
    log.info(
        "metrics.reprocessed",
        date=result.date,
        trigger=trigger,
        changed=result.changed,
        unchanged=not result.changed,
        totals=result.after,
    )
