"""The admin guard: ``Authorization: Bearer <ADMIN_TOKEN>``, compared in constant time."""

from __future__ import annotations

import hmac

from litestar.connection import ASGIConnection
from litestar.exceptions import NotAuthorizedException, ServiceUnavailableException
from litestar.handlers.base import BaseRouteHandler


def admin_guard(connection: ASGIConnection, _: BaseRouteHandler) -> None:
    expected: str | None = connection.app.state.admin_token
    if expected is None:
        raise ServiceUnavailableException("admin routes are disabled: ADMIN_TOKEN is not set on the server")
    scheme, _space, token = connection.headers.get("authorization", "").partition(" ")
    if scheme.lower() != "bearer" or not hmac.compare_digest(token.strip().encode(), expected.encode()):
        raise NotAuthorizedException(
            "admin token required: send Authorization: Bearer <ADMIN_TOKEN>",
            headers={"WWW-Authenticate": "Bearer"},
        )
