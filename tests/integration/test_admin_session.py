"""A browser's admin session through HTTP: signing in sets a signed, expiring cookie with the right flags; the admin
routes (ours and the SAQ dashboard's) accept it, and refuse a state change it carries without the CSRF token; the
Bearer header works as before and never needs one; signing out clears the cookie."""

from __future__ import annotations

import time

import pytest
from litestar.testing import AsyncTestClient

from event_service.entrypoints.bootstrap import Service
from event_service.entrypoints.http.admin_session import COOKIE, LIFETIME_SECONDS, Session, read_session
from event_service.entrypoints.http.app import create_app
from tests.integration.conftest import ADMIN_TOKEN

DLQ = "/queues/metrics-processor/dlq"


async def _sign_in(client: AsyncTestClient) -> str:
    response = await client.post("/ui/session", json={"token": ADMIN_TOKEN})
    assert response.status_code == 200
    return response.json()["csrf_token"]


async def test_a_wrong_token_is_401_and_sets_no_cookie(client: AsyncTestClient) -> None:
    response = await client.post("/ui/session", json={"token": "nope"})
    assert response.status_code == 401
    assert response.json() == {"status_code": 401, "message": "that is not the admin token"}
    assert "set-cookie" not in response.headers
    assert (await client.get("/ui/session")).json() == {"signed_in": False, "expires_at": None, "csrf_token": None}


async def test_the_right_token_sets_a_signed_expiring_cookie_with_the_flags(client: AsyncTestClient) -> None:
    before = time.time()
    response = await client.post("/ui/session", json={"token": ADMIN_TOKEN})
    assert response.status_code == 200
    flags = [part.strip().lower() for part in response.headers["set-cookie"].split(";")]
    name, _, value = response.headers["set-cookie"].split(";")[0].partition("=")
    assert name == COOKIE
    assert {"httponly", "samesite=strict", "path=/", f"max-age={LIFETIME_SECONDS}"} <= set(flags)
    assert "secure" not in flags  # plain HTTP here: a Secure cookie would never come back
    session = read_session(ADMIN_TOKEN, value)
    assert session is not None
    assert before + LIFETIME_SECONDS - 1 <= session.expires_at <= time.time() + LIFETIME_SECONDS
    body = response.json()
    assert (body["signed_in"], body["csrf_token"]) == (True, session.csrf_token(ADMIN_TOKEN))
    assert (await client.get("/ui/session")).json() == body


async def test_over_https_the_cookie_is_secure(service: Service) -> None:
    async with AsyncTestClient(app=create_app(service), base_url="https://testserver.local") as client:
        response = await client.post("/ui/session", json={"token": ADMIN_TOKEN})
    assert "secure" in [part.strip().lower() for part in response.headers["set-cookie"].split(";")]


async def test_the_cookie_opens_the_admin_routes_and_the_saq_dashboard(client: AsyncTestClient) -> None:
    assert (await client.get(DLQ)).status_code == 401
    await _sign_in(client)
    listing = await client.get(DLQ)
    assert listing.status_code == 200
    assert listing.json()["failed_jobs"] == []
    assert (await client.get("/queues")).status_code == 200
    assert (await client.get("/saq/")).status_code == 200
    queues = await client.get("/saq/api/queues")
    assert queues.status_code == 200
    assert [q["name"] for q in queues.json()["queues"]] == ["metrics-processor"]


async def test_a_change_on_the_cookie_needs_the_csrf_token(client: AsyncTestClient) -> None:
    csrf = await _sign_in(client)
    refused = await client.delete(DLQ)
    assert refused.status_code == 403
    assert "CSRF" in refused.json()["message"]
    forged = await client.delete(DLQ, headers={"X-CSRF-Token": "0" * 64})
    assert forged.status_code == 403
    cross_site = await client.delete(DLQ, headers={"Sec-Fetch-Site": "cross-site"})
    assert cross_site.status_code == 403
    accepted = await client.delete(DLQ, headers={"X-CSRF-Token": csrf})
    assert (accepted.status_code, accepted.json()) == (200, {"queue": "metrics-processor", "purged": 0})
    # The browser's own same-origin requests (the SAQ dashboard's buttons) carry Fetch metadata no page can forge.
    assert (await client.delete(DLQ, headers={"Sec-Fetch-Site": "same-origin"})).status_code == 200


async def test_the_bearer_header_is_unchanged_and_needs_no_csrf_token(client: AsyncTestClient) -> None:
    auth = {"Authorization": f"Bearer {ADMIN_TOKEN}"}
    assert (await client.delete(DLQ, headers=auth)).status_code == 200
    wrong = await client.get(DLQ, headers={"Authorization": "Bearer nope"})
    assert (wrong.status_code, wrong.headers["www-authenticate"]) == (401, "Bearer")
    # A wrong header is judged alone, even next to a good session cookie.
    await _sign_in(client)
    assert (await client.get(DLQ, headers={"Authorization": "Bearer nope"})).status_code == 401
    # Uploads and processing need neither sign-in nor a CSRF token, from a browser or curl.
    upload = await client.post("/uploads", files={"file": ("a.csv", b"user_id,event_type,timestamp\nu,a,1700000000\n")})
    assert upload.status_code == 201


async def test_signing_out_clears_the_cookie(client: AsyncTestClient) -> None:
    await _sign_in(client)
    out = await client.delete("/ui/session")
    assert out.status_code == 200
    assert out.json()["signed_in"] is False
    assert "max-age=0" in out.headers["set-cookie"].lower()
    assert (await client.get(DLQ)).status_code == 401
    assert (await client.get("/ui/session")).json()["signed_in"] is False


@pytest.mark.parametrize(
    "value",
    [
        Session(int(time.time()) - 1, "n").signed(ADMIN_TOKEN),  # expired
        Session(int(time.time()) + 60, "n").signed("another-token"),  # signed with another key
        Session(int(time.time()) + 60, "n").signed(ADMIN_TOKEN).replace(".n.", ".m."),  # tampered
        "garbage",
    ],
)
async def test_an_expired_forged_or_tampered_cookie_is_401(client: AsyncTestClient, value: str) -> None:
    client.cookies.set(COOKIE, value)
    assert (await client.get(DLQ)).status_code == 401
    assert (await client.get("/ui/session")).json()["signed_in"] is False
