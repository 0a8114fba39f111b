"""Rate limits key on the client a trusted proxy names in X-Forwarded-For, and on the peer for anyone else."""

from __future__ import annotations

from collections.abc import AsyncIterator, Awaitable, Callable

import httpx
import pytest

from event_service.adapters.settings import ConfigurationError, load_settings
from event_service.entrypoints.bootstrap import Service
from event_service.entrypoints.http.app import create_app

PostFrom = Callable[[str, str], Awaitable[int]]


@pytest.fixture
async def post_from(service: Service) -> AsyncIterator[PostFrom]:
    """``post_from(peer, forwarded_for)``: the status of one rate-limited request, sent from the peer address.

    httpx's ASGI transport, unlike Litestar's test client, lets a test choose the peer address. It runs no
    lifespan, so the service is started here; the route needs no worker.
    """
    service.settings.process_rate_limit = 2
    service.settings.trusted_proxies = ("10.0.0.0/8",)
    app = create_app(service)
    await service.start()

    async def post(peer: str, forwarded_for: str) -> int:
        transport = httpx.ASGITransport(app=app, client=(peer, 40000))
        async with httpx.AsyncClient(transport=transport, base_url="http://event-service") as client:
            response = await client.post("/batches/nope/process", headers={"X-Forwarded-For": forwarded_for})
        return response.status_code

    try:
        yield post
    finally:
        await service.close()


async def test_a_forwarded_address_from_an_untrusted_peer_is_ignored(post_from: PostFrom) -> None:
    statuses = [await post_from("192.0.2.7", f"198.51.100.{n}") for n in (1, 2, 3)]
    assert statuses == [404, 404, 429]  # one client, the peer, whatever the header claims


async def test_a_trusted_proxy_names_the_client_the_limit_counts(post_from: PostFrom) -> None:
    clients = ["198.51.100.1", "198.51.100.1", "198.51.100.2", "198.51.100.1"]
    # The right-most untrusted address is the client: what the client itself prepends cannot change its key.
    statuses = [await post_from("10.0.0.5", f"203.0.113.9, {client}, 10.0.0.7") for client in clients]
    assert statuses == [404, 404, 404, 429]


@pytest.mark.parametrize("value", ["*", "proxy.internal", "10.0.0.0/33"])
def test_trusted_proxies_must_be_addresses_or_networks(value: str) -> None:
    with pytest.raises(ConfigurationError, match="TRUSTED_PROXIES"):
        load_settings(trusted_proxies=value)
