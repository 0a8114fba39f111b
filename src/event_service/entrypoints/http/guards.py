"""The admin guard: ``Authorization: Bearer <ADMIN_TOKEN>`` (API clients), or a browser's signed admin session.

A request that sends the header is judged by it alone, in constant time, and never needs a CSRF token: a browser
does not attach that header to a forged request. A request authenticated by the session cookie, which a browser
does attach, must prove for any state change that it comes from one of this service's own pages: either the
session's CSRF token in the X-CSRF-Token header (the web UI), or ``Sec-Fetch-Site: same-origin``, which browsers
set themselves and no page can forge (the SAQ dashboard's own buttons, whose script this service does not write).
"""

from __future__ import annotations

import hmac

from litestar.connection import ASGIConnection
from litestar.exceptions import NotAuthorizedException, PermissionDeniedException, ServiceUnavailableException
from litestar.handlers.base import BaseRouteHandler

from event_service.entrypoints.http.admin_session import COOKIE, CSRF_HEADER, csrf_token_matches, read_session

_SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})


def admin_token(connection: ASGIConnection) -> str:
    """The server's admin token; 503 when it has none (rather than a 401 that would hide the cause)."""
    token: str | None = connection.app.state.admin_token
    if token is None:
        raise ServiceUnavailableException("admin routes are disabled: ADMIN_TOKEN is not set on the server")
    return token


def admin_guard(connection: ASGIConnection, _: BaseRouteHandler) -> None:
    expected = admin_token(connection)
    header = connection.headers.get("authorization")
    if header is not None:
        scheme, _sep, token = header.partition(" ")
        if scheme.lower() == "bearer" and hmac.compare_digest(token.strip().encode(), expected.encode()):
            return
        raise _not_authorized()
    session = read_session(expected, connection.cookies.get(COOKIE))
    if session is None:
        raise _not_authorized()
    if connection.scope.get("method", "GET") in _SAFE_METHODS:
        return
    if csrf_token_matches(expected, session, connection.headers.get(CSRF_HEADER)):
        return
    if connection.headers.get("sec-fetch-site") == "same-origin":
        return
    raise PermissionDeniedException(
        "this change needs the CSRF token of your admin session (X-CSRF-Token header); reload the page and try again"
    )


def _not_authorized() -> NotAuthorizedException:
    return NotAuthorizedException(
        "admin token required: send Authorization: Bearer <ADMIN_TOKEN>, or sign in at /ui/admin",
        headers={"WWW-Authenticate": "Bearer"},
    )
