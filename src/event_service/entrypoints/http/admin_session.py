"""The admin session of a browser: a signed, expiring cookie set by signing in once with the admin token.

Stateless on purpose: the cookie is ``<expires>.<nonce>.<signature>``, signed with a key derived from ADMIN_TOKEN,
so every API process verifies it with no shared store, and changing ADMIN_TOKEN ends every session. The CSRF token
of a session is derived from its nonce with the same key: the page reads it from GET /ui/session (same-origin
only) and sends it back in a header, which another site can neither read nor forge.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
import time
from dataclasses import dataclass

COOKIE = "event_service_admin"
CSRF_HEADER = "x-csrf-token"
LIFETIME_SECONDS = 8 * 3600
"""A working day; then the person signs in again."""


def _key(admin_token: str) -> bytes:
    return hashlib.sha256(b"event-service admin session\x00" + admin_token.encode()).digest()


def _sign(admin_token: str, purpose: str, message: str) -> str:
    return hmac.new(_key(admin_token), f"{purpose}\x00{message}".encode(), hashlib.sha256).hexdigest()


@dataclass(frozen=True)
class Session:
    expires_at: int
    nonce: str

    @property
    def cookie(self) -> str:
        return f"{self.expires_at}.{self.nonce}"

    def signed(self, admin_token: str) -> str:
        return f"{self.cookie}.{_sign(admin_token, 'session', self.cookie)}"

    def csrf_token(self, admin_token: str) -> str:
        return _sign(admin_token, "csrf", self.nonce)


def open_session(now: float | None = None) -> Session:
    return Session(int(now if now is not None else time.time()) + LIFETIME_SECONDS, secrets.token_urlsafe(16))


def read_session(admin_token: str, value: str | None, now: float | None = None) -> Session | None:
    """The session the cookie ``value`` carries, if its signature holds and it has not expired."""
    expires, _, rest = (value or "").partition(".")
    nonce, _, signature = rest.partition(".")
    if not (expires.isdigit() and nonce and signature):
        return None
    session = Session(int(expires), nonce)
    if not hmac.compare_digest(signature.encode(), _sign(admin_token, "session", session.cookie).encode()):
        return None
    return session if session.expires_at > (now if now is not None else time.time()) else None


def csrf_token_matches(admin_token: str, session: Session, sent: str | None) -> bool:
    return sent is not None and hmac.compare_digest(sent.encode(), session.csrf_token(admin_token).encode())
