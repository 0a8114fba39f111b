"""The HTTP app on the embedded configuration: real Redis (SAQ), SQLite in the test's DATA_DIR, worker in-process."""

from __future__ import annotations

from collections.abc import AsyncIterator

import pytest
from litestar.testing import AsyncTestClient
from redis.asyncio import Redis
from saq.queue.redis import RedisQueue

from event_service.adapters.compute import InlinePool
from event_service.adapters.settings import QUEUE_NAME, load_settings
from event_service.entrypoints.bootstrap import Container, build_container
from event_service.entrypoints.http.app import create_app

ADMIN_TOKEN = "test-admin-token"


@pytest.fixture
def container(redis_url: str) -> Container:
    settings = load_settings(
        redis_url=redis_url,
        mongodb_url=None,
        admin_token=ADMIN_TOKEN,
        upload_rate_limit=1000,
        process_rate_limit=1000,
        job_retries=2,
        job_retry_delay=0.0,
    )
    return build_container(settings, pool=InlinePool())


@pytest.fixture
async def client(container: Container) -> AsyncIterator[AsyncTestClient]:
    async with AsyncTestClient(app=create_app(container)) as test_client:
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
