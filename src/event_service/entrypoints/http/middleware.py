"""Request ids with an access log line, the client address behind trusted proxies, and rate limits that say when to
retry."""

from __future__ import annotations

import time
import uuid
from collections.abc import Callable, Sequence

import structlog
from granian.utils.proxies import wrap_asgi_with_proxy_headers
from litestar.datastructures import MutableScopeHeaders
from litestar.enums import ScopeType
from litestar.middleware import ASGIMiddleware
from litestar.middleware.rate_limit import CacheObject, RateLimitConfig, RateLimitMiddleware
from litestar.types import ASGIApp, Message, Receive, Scope, Send

log = structlog.get_logger("event_service.http")

REQUEST_ID_HEADER = "x-request-id"


class RequestLogMiddleware(ASGIMiddleware):
    """Binds a request id (the client's ``X-Request-ID`` or a new one) to every log line of the request."""

    scopes = (ScopeType.HTTP,)

    async def handle(self, scope: Scope, receive: Receive, send: Send, next_app: ASGIApp) -> None:
        incoming = dict(scope["headers"]).get(REQUEST_ID_HEADER.encode(), b"").decode("latin-1")
        request_id = incoming[:128] or uuid.uuid4().hex
        started = time.perf_counter()
        status = 500

        async def send_with_id(message: Message) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = message["status"]
                MutableScopeHeaders.from_message(message)[REQUEST_ID_HEADER] = request_id
            await send(message)

        with structlog.contextvars.bound_contextvars(request_id=request_id):
            try:
                await next_app(scope, receive, send_with_id)
            finally:
                log.info(
                    "request",
                    method=scope.get("method"),
                    path=scope["path"],
                    status=status,
                    duration_ms=round((time.perf_counter() - started) * 1000, 2),
                )


def trusted_proxies(networks: Sequence[str]) -> Callable[[ASGIApp], ASGIApp]:
    """Middleware: behind these proxies, the client is the one their ``X-Forwarded-For`` names.

    Rate limits key on ``scope["client"]``. A request from a trusted peer gets its client replaced by the right-most
    ``X-Forwarded-For`` address that is not itself a trusted proxy (granian's ASGI proxy-headers wrapper); from
    any other peer the header is ignored, so a client cannot pick the address its requests are counted under.
    """

    def wrap(app: ASGIApp) -> ASGIApp:
        return wrap_asgi_with_proxy_headers(app, list(networks)) if networks else app

    return wrap


class RetryAfterRateLimitMiddleware(RateLimitMiddleware):
    """Litestar's limiter, plus ``Retry-After`` (seconds until the window frees a request) on every answer."""

    def create_response_headers(self, cache_object: CacheObject) -> dict[str, str]:
        headers = super().create_response_headers(cache_object)
        headers["Retry-After"] = str(max(1, cache_object.reset - int(time.time())))
        return headers

    def create_send_wrapper(self, send: Send, cache_object: CacheObject) -> Send:
        """An answer's own Retry-After (a 503 for an outage) wins over the rate window's."""
        own: list[str] = []

        async def restore_own(message: Message) -> None:
            if message["type"] == "http.response.start" and own:
                MutableScopeHeaders.from_message(message)["Retry-After"] = own[0]
            await send(message)

        with_limits = super().create_send_wrapper(restore_own, cache_object)

        async def remember_own(message: Message) -> None:
            if message["type"] == "http.response.start" and (
                value := MutableScopeHeaders.from_message(message).get("retry-after")
            ):
                own.append(value)
            await with_limits(message)

        return remember_own


def per_minute_limit(requests: int, store: str) -> RateLimitConfig:
    """A per-client limit with its own store, so each route family counts separately."""
    return RateLimitConfig(rate_limit=("minute", requests), store=store, middleware_class=RetryAfterRateLimitMiddleware)
