"""Signing a browser in and out of the admin pages: /ui/session."""

from __future__ import annotations

import hmac
from datetime import UTC, datetime

import msgspec
from litestar import Controller, Request, Response, delete, get, post
from litestar.datastructures import Cookie
from litestar.exceptions import NotAuthorizedException
from litestar.params import JSONBody

from event_service.entrypoints.http.admin_session import COOKIE, LIFETIME_SECONDS, Session, open_session, read_session
from event_service.entrypoints.http.guards import admin_token


class SignIn(msgspec.Struct):
    token: str


class SessionBody(msgspec.Struct):
    signed_in: bool
    expires_at: datetime | None = None
    csrf_token: str | None = None
    """Send it back in the X-CSRF-Token header with every change an admin page asks for."""


def _body(token: str, session: Session) -> SessionBody:
    return SessionBody(
        signed_in=True,
        expires_at=datetime.fromtimestamp(session.expires_at, tz=UTC),
        csrf_token=session.csrf_token(token),
    )


class SessionController(Controller):
    path = "/ui/session"
    include_in_schema = False  # the pages' own route, not the API's

    @get(summary="Whether this browser is signed in as admin, and its session's CSRF token", cache=False)
    async def current(self, request: Request) -> SessionBody:
        token = request.app.state.admin_token
        session = read_session(token, request.cookies.get(COOKIE)) if token is not None else None
        return _body(token, session) if session is not None else SessionBody(signed_in=False)

    @post(
        summary="Sign this browser in with the admin token",
        description="Sets a signed session cookie (HttpOnly, SameSite=Strict, Secure over HTTPS) valid for "
        f"{LIFETIME_SECONDS // 3600} hours. 401 when the token is wrong.",
        status_code=200,
    )
    async def sign_in(self, request: Request, data: JSONBody[SignIn]) -> Response[SessionBody]:
        token = admin_token(request)
        if not hmac.compare_digest(data.token.strip().encode(), token.encode()):
            raise NotAuthorizedException("that is not the admin token")
        session = open_session()
        cookie = Cookie(
            key=COOKIE,
            value=session.signed(token),
            path="/",
            max_age=LIFETIME_SECONDS,
            httponly=True,
            samesite="strict",
            secure=request.url.scheme == "https",
        )
        return Response(_body(token, session), cookies=[cookie])

    @delete(summary="Sign this browser out", status_code=200)
    async def sign_out(self) -> Response[SessionBody]:
        expired = Cookie(key=COOKIE, value="", path="/", max_age=0, httponly=True, samesite="strict")
        return Response(SessionBody(signed_in=False), cookies=[expired])
