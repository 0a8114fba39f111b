"""Every failure answers JSON with a human message; application errors map to their 4xx/503 here."""

from __future__ import annotations

import structlog
from litestar import MediaType, Request, Response
from litestar.exceptions import HTTPException, ValidationException
from litestar.status_codes import (
    HTTP_400_BAD_REQUEST,
    HTTP_404_NOT_FOUND,
    HTTP_409_CONFLICT,
    HTTP_413_REQUEST_ENTITY_TOO_LARGE,
    HTTP_415_UNSUPPORTED_MEDIA_TYPE,
    HTTP_422_UNPROCESSABLE_ENTITY,
    HTTP_500_INTERNAL_SERVER_ERROR,
    HTTP_503_SERVICE_UNAVAILABLE,
)
from litestar.types import ExceptionHandlersMap

from event_service.adapters.mongo import MONGO_OUTAGES
from event_service.adapters.redis import REDIS_OUTAGES
from event_service.adapters.sqlite import SqliteUnavailable
from event_service.application.errors import (
    ApplicationError,
    BatchNotFound,
    BatchStillIngesting,
    ClaimLost,
    ComputeUnavailable,
    CorruptBatch,
    DeadLetterNotFound,
    IdempotencyKeyReused,
    InvalidDateRange,
    StrictModeRejected,
    UnknownQueue,
    UnreadableUpload,
    UnsupportedFile,
    UploadTooLarge,
)
from event_service.domain import FIRST_ERRORS, DomainError
from event_service.entrypoints.http.schemas import DependencyErrorBody, ErrorBody, RowErrorsBody

log = structlog.get_logger(__name__)

_STATUS: dict[type[Exception], int] = {
    BatchNotFound: HTTP_404_NOT_FOUND,
    UnknownQueue: HTTP_404_NOT_FOUND,
    DeadLetterNotFound: HTTP_404_NOT_FOUND,
    BatchStillIngesting: HTTP_409_CONFLICT,
    ClaimLost: HTTP_503_SERVICE_UNAVAILABLE,
    CorruptBatch: HTTP_500_INTERNAL_SERVER_ERROR,
    UploadTooLarge: HTTP_413_REQUEST_ENTITY_TOO_LARGE,
    UnsupportedFile: HTTP_415_UNSUPPORTED_MEDIA_TYPE,
    UnreadableUpload: HTTP_422_UNPROCESSABLE_ENTITY,
    IdempotencyKeyReused: HTTP_422_UNPROCESSABLE_ENTITY,
    StrictModeRejected: HTTP_422_UNPROCESSABLE_ENTITY,
    InvalidDateRange: HTTP_400_BAD_REQUEST,
}

RETRY_AFTER_SECONDS = 5
"""What a 503 for a failing dependency tells clients to wait: a failover or a restart, not a long outage."""


def _json(body: ErrorBody, headers: dict[str, str] | None = None) -> Response[ErrorBody]:
    return Response(body, status_code=body.status_code, media_type=MediaType.JSON, headers=headers)


def application_error(_: Request, exc: Exception) -> Response[ErrorBody]:
    status = next((code for kind, code in _STATUS.items() if isinstance(exc, kind)), HTTP_422_UNPROCESSABLE_ENTITY)
    if isinstance(exc, StrictModeRejected):
        report = exc.report
        return _json(
            RowErrorsBody(status, str(exc), report.rows_total, report.rows_rejected, report.first_errors[:FIRST_ERRORS])
        )
    return _json(ErrorBody(status, str(exc)))


def domain_error(_: Request, exc: Exception) -> Response[ErrorBody]:
    """Invalid header, no data rows: the file cannot be ingested as sent."""
    return _json(ErrorBody(HTTP_422_UNPROCESSABLE_ENTITY, str(exc)))


_OUTAGES: dict[type[Exception], str] = {
    ComputeUnavailable: "parser pool",
    SqliteUnavailable: "SQLite",
    **dict.fromkeys(MONGO_OUTAGES, "MongoDB"),
    **dict.fromkeys(REDIS_OUTAGES, "Redis"),
}
"""Every error that means a dependency is out, and which: the handlers below are registered from this table."""
_OWN_MESSAGES = (ComputeUnavailable, SqliteUnavailable)
"""Outages whose message is the service's own (a client library's text may name internal hosts and ports)."""


def dependency_unavailable(_: Request, exc: Exception) -> Response[ErrorBody]:
    """The one mapping of an outage of Redis, the store or the parser pool, from any adapter or use case: 503,
    Retry-After, and which dependency failed. Redis and MongoDB outages arrive as their client library's errors,
    whose text may name hosts; SQLite's and the parser pool's as SqliteUnavailable and ComputeUnavailable, whose
    messages are the service's own."""
    dependency = next(name for kind, name in _OUTAGES.items() if isinstance(exc, kind))
    log.warning("dependency.unavailable", dependency=dependency, error=f"{type(exc).__name__}: {exc}")
    message = str(exc) if isinstance(exc, _OWN_MESSAGES) else f"{dependency} is unavailable ({type(exc).__name__})"
    return _json(
        DependencyErrorBody(
            HTTP_503_SERVICE_UNAVAILABLE,
            f"{message}; try again in a few seconds",
            dependency=dependency.lower().replace(" ", "_"),
        ),
        headers={"Retry-After": str(RETRY_AFTER_SECONDS)},
    )


def http_error(_: Request, exc: HTTPException) -> Response[ErrorBody]:
    message = exc.detail
    if isinstance(exc, ValidationException) and isinstance(exc.extra, list) and exc.extra:
        problems = "; ".join(
            f"{item.get('key', 'body')}: {item.get('message', 'invalid')}"
            for item in exc.extra
            if isinstance(item, dict)
        )
        message = f"{exc.detail}: {problems}" if problems else exc.detail
    return _json(ErrorBody(exc.status_code, message), headers=exc.headers)


def unexpected_error(request: Request, exc: Exception) -> Response[ErrorBody]:
    log.exception("request.failed", path=request.url.path)
    return _json(ErrorBody(HTTP_500_INTERNAL_SERVER_ERROR, "internal error; it has been logged"))


EXCEPTION_HANDLERS: ExceptionHandlersMap = {
    ApplicationError: application_error,
    DomainError: domain_error,
    **dict.fromkeys(_OUTAGES, dependency_unavailable),
    HTTPException: http_error,
    Exception: unexpected_error,
}
