"""What the OpenAPI document says beyond the handlers' signatures: the error body, each route's failures, headers.

Litestar documents failures with its own ``{status_code, detail, extra}`` body, which this service never sends
(see ``errors.py``). Each route lists its failures here instead, as ``Error`` responses with examples, and
``DocumentedOperation`` adds the headers that middleware sets on the way out, which no signature shows.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from http import HTTPStatus
from typing import Any, ClassVar

from litestar.openapi import OpenAPIConfig
from litestar.openapi.datastructures import ResponseSpec
from litestar.openapi.plugins import OpenAPIRenderPlugin
from litestar.openapi.spec import (
    Components,
    Example,
    OpenAPIHeader,
    OpenAPIResponse,
    OpenAPIType,
    Operation,
    Parameter,
    Reference,
    Schema,
    SecurityScheme,
    Tag,
)

from event_service.entrypoints.http.schemas import Error

DESCRIPTION = """\
Ingest CSV files of user events (`user_id,event_type,timestamp`), validate every row, process batches into
per-day, per-event-type counts in the background, and read those counts.

A typical session: `POST /uploads` a file, `POST /batches/{batch_id}/process`, poll `GET /batches/{batch_id}`
until its status is `processed`, then `GET /metrics?date=YYYY-MM-DD`.

Every error answers JSON `{"status_code", "message"}` (the `Error` schema), with a message meant for people.
Every response carries `X-Request-ID`: the client's own (up to 128 characters) or a new one, also in the
server's log lines for that request. The rate-limited routes (uploads, processing) answer with the
`RateLimit-*` headers, and with 429 plus `Retry-After` when the client is over its limit.
Admin routes take `Authorization: Bearer <ADMIN_TOKEN>` (a browser signed in at `/ui/admin` uses its session
cookie instead, and a change it asks for also needs the session's CSRF token, or 403).
"""

TAGS = [
    Tag(name="uploads", description="Send CSV files of events; every row is validated and the valid ones stored."),
    Tag(name="batches", description="One uploaded file each: its status, counts and row errors, and processing."),
    Tag(name="metrics", description="Event counts per type for a UTC calendar day, from processed batches."),
    Tag(name="admin", description="Queues, dead letters and recomputing a day (Bearer token)."),
    Tag(name="health", description="Whether the process serves."),
]

BEARER = "BearerToken"
ADMIN_SECURITY: list[dict[str, list[str]]] = [{BEARER: []}]

_HEADERS = {
    "X-Request-ID": OpenAPIHeader(
        description="The request's id: the client's own X-Request-ID (first 128 characters) or a new one. "
        "The server's log lines for the request carry it.",
        schema=Schema(type=OpenAPIType.STRING),
        required=True,
    ),
    "Retry-After": OpenAPIHeader(
        description="Seconds until the client may try again.", schema=Schema(type=OpenAPIType.INTEGER, minimum=1)
    ),
    "RateLimit-Limit": OpenAPIHeader(
        description="Requests allowed per window.", schema=Schema(type=OpenAPIType.INTEGER), required=True
    ),
    "RateLimit-Remaining": OpenAPIHeader(
        description="Requests left in the current window.", schema=Schema(type=OpenAPIType.INTEGER), required=True
    ),
    "RateLimit-Reset": OpenAPIHeader(
        description="Seconds until the window resets.", schema=Schema(type=OpenAPIType.INTEGER), required=True
    ),
    "RateLimit-Policy": OpenAPIHeader(
        description="The limit and its window in seconds, e.g. `60; w=60` (IETF RateLimit headers draft).",
        schema=Schema(type=OpenAPIType.STRING),
        required=True,
    ),
    "Location": OpenAPIHeader(
        description="The batch's address, `/batches/{batch_id}`.", schema=Schema(type=OpenAPIType.STRING), required=True
    ),
}
_RATE_LIMIT_HEADERS = ("RateLimit-Limit", "RateLimit-Remaining", "RateLimit-Reset", "RateLimit-Policy")

_REQUEST_ID_PARAMETER = Parameter(
    name="X-Request-ID",
    param_in="header",
    required=False,
    description="An id of the client's choosing for this request, echoed in the response and the server's logs "
    "(longer ids are cut to their first 128 characters).",
    schema=Schema(type=OpenAPIType.STRING),
)


def _header(name: str, *, required: bool = True) -> OpenAPIHeader | Reference:
    """A reference to the shared header, or a copy of it where this response differs on whether it is sent."""
    if required == _HEADERS[name].required:
        return Reference(ref=f"#/components/headers/{name}")
    shared = _HEADERS[name]
    return OpenAPIHeader(description=shared.description, schema=shared.schema, required=required)


def _litestar_default_error(response: OpenAPIResponse) -> bool:
    """The error response Litestar adds for its ValidationException, with a body this service never sends."""
    media = (response.content or {}).get("application/json")
    schema = media.schema if media is not None else None
    return isinstance(schema, Schema) and "detail" in (schema.properties or {})


def _drop_example_ids(response: OpenAPIResponse) -> None:
    """Litestar keys examples by their ``id`` but also writes the id inside each, which OpenAPI does not allow."""
    for media in (response.content or {}).values():
        if media.examples:
            media.examples = {
                key: Example(summary=example.summary, value=example.value) if isinstance(example, Example) else example
                for key, example in media.examples.items()
            }


@dataclass
class DocumentedOperation(Operation):
    """Drops Litestar's own error responses (each route lists its real ones with ``failures``), and adds what
    middleware puts on every response: the request id, and on rate-limited routes (those that list a 429) the rate
    limit headers. ``Retry-After`` goes on 429 always and on 503 when the outage is expected to pass.

    A status that middleware may answer by raising, before the route runs (the rate limiter's 429, or its 503 when
    Redis is down), is turned into a response outside the request-id middleware, so it may lack ``X-Request-ID``.
    """

    before_the_route: ClassVar[frozenset[str]] = frozenset()

    def __post_init__(self) -> None:
        responses = {
            status: response
            for status, response in (self.responses or {}).items()
            if not (isinstance(response, OpenAPIResponse) and _litestar_default_error(response))
        }
        self.responses = responses
        rate_limited = "429" in responses
        early = self.before_the_route | ({"429", "503"} if rate_limited else set())
        for status, response in responses.items():
            if not isinstance(response, OpenAPIResponse):
                continue
            _drop_example_ids(response)
            headers = dict(response.headers or {})
            headers["X-Request-ID"] = _header("X-Request-ID", required=status not in early)
            if rate_limited:
                # The limiter counts in Redis: when Redis is down (503) it cannot say how many requests are left;
                # and a refusal by middleware inside the limiter (the upload's 415) skips its headers.
                counted = status == "429" or status not in early
                headers |= {name: _header(name, required=counted) for name in _RATE_LIMIT_HEADERS}
                headers["Retry-After"] = _header("Retry-After", required=counted)
            elif status == "503":
                headers["Retry-After"] = _header("Retry-After", required=False)
            response.headers = headers
        self.parameters = [*(self.parameters or []), Reference(ref="#/components/parameters/X-Request-ID")]


@dataclass
class UploadOperation(DocumentedOperation):
    """The upload answers 201, or 200 for a duplicate: both say where the batch is. Its gzip middleware refuses an
    unknown Content-Encoding (415) before the route runs."""

    before_the_route: ClassVar[frozenset[str]] = frozenset({"415"})

    def __post_init__(self) -> None:
        super().__post_init__()
        for status in ("200", "201"):
            response = (self.responses or {}).get(status)
            if isinstance(response, OpenAPIResponse):
                response.headers = {**(response.headers or {}), "Location": _header("Location")}


@dataclass(frozen=True)
class Failure:
    """One way a route fails: its status, when it happens, and a message as the service words it."""

    status: int
    name: str
    when: str
    message: str


def failures(*cases: Failure, bodies: Mapping[int, Any] | None = None) -> dict[int, ResponseSpec]:
    """The ``responses=`` of a route: one response per status, each case of it an example of the body.

    The body is the ``Error`` schema unless ``bodies`` names a richer one (a superset of it) for a status.
    """
    by_status: dict[int, list[Failure]] = {}
    for case in cases:
        by_status.setdefault(case.status, []).append(case)
    return {
        status: _response(status, group, (bodies or {}).get(status, Error))
        for status, group in sorted(by_status.items())
    }


def _response(status: int, group: Sequence[Failure], body: Any) -> ResponseSpec:
    return ResponseSpec(
        body,
        description=f"{HTTPStatus(status).phrase}: " + "; ".join(case.when for case in group) + ".",
        generate_examples=False,
        examples=[
            Example(id=case.name, summary=case.when, value={"status_code": status, "message": case.message})
            for case in group
        ],
    )


# The failures several routes share.
INVALID_PAGE = Failure(
    400,
    "invalid-page",
    "offset or limit out of range",
    "Validation failed for GET /batches?limit=0: limit: Expected `int` >= 1",
)
BATCH_NOT_FOUND = Failure(404, "batch-not-found", "no batch has this id", "batch 0b7c5e0e does not exist")
QUEUE_NOT_FOUND = Failure(404, "queue-not-found", "no queue has this name", "queue 'emails' does not exist")
DEAD_LETTER_NOT_FOUND = Failure(
    404,
    "dead-letter-not-found",
    "the queue holds no dead letter with this id",
    "dead letter 'x1' does not exist in queue 'metrics-processor'",
)
UNAUTHORIZED = Failure(
    401,
    "token-required",
    "no bearer token (nor a browser's admin session), or not the admin token",
    "admin token required: send Authorization: Bearer <ADMIN_TOKEN>, or sign in at /ui/admin",
)
CSRF_REFUSED = Failure(
    403,
    "csrf-token-required",
    "a browser's admin session asks for a change without its CSRF token (never with a Bearer header)",
    "this change needs the CSRF token of your admin session (X-CSRF-Token header); reload the page and try again",
)
ADMIN_DISABLED = Failure(
    503,
    "admin-disabled",
    "the server has no ADMIN_TOKEN",
    "admin routes are disabled: ADMIN_TOKEN is not set on the server",
)
UNAVAILABLE = Failure(
    503,
    "backend-unavailable",
    "Redis, the store (MongoDB, or the SQLite file: locked by another program, the disk full) or the parser pool "
    "cannot be used for now; the body's `dependency` names which (redis, mongodb, sqlite, parser_pool)",
    "Redis is unavailable (ConnectionError); try again in a few seconds",
)
RATE_LIMITED = Failure(
    429, "rate-limited", "the client is over its per-minute limit", "Too many requests. Rate limit exceeded"
)
INVALID_DATE = Failure(
    400,
    "invalid-date",
    "the date is missing or not a calendar day",
    "query parameter 'date' must be a calendar day as YYYY-MM-DD, got '2025-02-30'",
)


def openapi_config(version: str, render_plugin: OpenAPIRenderPlugin) -> OpenAPIConfig:
    return OpenAPIConfig(
        title="event-service",
        version=version,
        description=DESCRIPTION,
        path="/schema",
        render_plugins=[render_plugin],
        tags=TAGS,
        components=Components(
            security_schemes={
                BEARER: SecurityScheme(type="http", scheme="bearer", description="The server's ADMIN_TOKEN.")
            },
            headers=dict(_HEADERS),
            parameters={"X-Request-ID": _REQUEST_ID_PARAMETER},
        ),
    )
