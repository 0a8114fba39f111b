"""The HTTP app on the embedded configuration: real Redis (SAQ), SQLite in the test's DATA_DIR, worker in-process."""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Any

import pytest
from litestar.testing import AsyncTestClient
from redis.asyncio import Redis
from saq.queue.redis import RedisQueue

from event_service.adapters.compute import InlinePool
from event_service.adapters.settings import QUEUE_NAME, Settings, load_settings
from event_service.entrypoints.bootstrap import Service, bootstrap
from event_service.entrypoints.http.app import create_app

ADMIN_TOKEN = "test-admin-token"


def settings_for(redis_url: str, **overrides: Any) -> Settings:
    """The embedded configuration on ``redis_url``: SQLite in the test's DATA_DIR, the tests' admin token."""
    return load_settings(redis_url=redis_url, mongodb_url=None, admin_token=ADMIN_TOKEN, **overrides)


@pytest.fixture
def settings(redis_url: str) -> Settings:
    """The service's settings in these tests: real Redis (the test's database), SQLite in the test's DATA_DIR."""
    return settings_for(
        redis_url,
        upload_rate_limit=1000,
        process_rate_limit=1000,
        job_retries=2,
        job_retry_delay=0.0,
    )


@pytest.fixture
def service(settings: Settings) -> Service:
    return bootstrap(settings, compute=InlinePool())


@pytest.fixture
async def client(service: Service) -> AsyncIterator[AsyncTestClient]:
    async with AsyncTestClient(app=create_app(service)) as test_client:
        yield test_client


@pytest.fixture
async def redis(redis_url: str) -> AsyncIterator[Redis]:
    """A client of the tests' Redis database of its own."""
    client = Redis.from_url(redis_url)
    yield client
    await client.aclose()


@pytest.fixture
async def producer(redis_url: str) -> AsyncIterator[RedisQueue]:
    """A bare SAQ queue on the same Redis, as another service (or an operator) would enqueue with."""
    queue = RedisQueue(Redis.from_url(redis_url), name=QUEUE_NAME)
    yield queue
    await queue.disconnect()
