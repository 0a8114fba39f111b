"""No log line shows a password: not the start-up backends line, not a library's line, not a traceback."""

from __future__ import annotations

import io
import json
import logging
from collections.abc import Iterator

import pytest
import structlog

from event_service.adapters.compute import InlinePool
from event_service.adapters.settings import load_settings
from event_service.entrypoints.bootstrap import bootstrap
from event_service.entrypoints.logging import configure_logging

PASSWORD = "s3cret-Pa55"


@pytest.fixture
def json_logs() -> Iterator[io.StringIO]:
    """The service's real logging set-up, its JSON lines written to a buffer; undone afterwards."""
    root = logging.getLogger()
    handlers, level = root.handlers[:], root.level
    config = structlog.get_config()
    # Loggers first used here must not stay bound to this set-up: later tests capture logs with structlog's.
    configure_logging("json", "INFO")
    structlog.configure(cache_logger_on_first_use=False)
    buffer = io.StringIO()
    handler = root.handlers[0]
    assert isinstance(handler, logging.StreamHandler)
    handler.setStream(buffer)
    try:
        yield buffer
    finally:
        structlog.configure(**config)
        root.handlers[:] = handlers
        root.setLevel(level)


def _lines(buffer: io.StringIO) -> list[dict]:
    return [json.loads(line) for line in buffer.getvalue().splitlines()]


async def test_the_backends_line_shows_redis_url_without_its_password(json_logs: io.StringIO, redis_url: str) -> None:
    with_password = redis_url.replace("redis://", f"redis://default:{PASSWORD}@")
    service = bootstrap(load_settings(redis_url=with_password, mongodb_url=None), compute=InlinePool())
    await service.close()
    lines = _lines(json_logs)
    backends = next(line for line in lines if line["event"] == "backends")
    assert backends["redis_url"] == redis_url.replace("redis://", "redis://default:***@")
    assert not [line for line in lines if PASSWORD in json.dumps(line)]


def test_passwords_in_urls_and_secret_keys_are_redacted_everywhere(json_logs: io.StringIO) -> None:
    url = f"mongodb://app:{PASSWORD}@db1,db2/events?authSource=admin"
    logging.getLogger("pymongo.topology").warning("cannot reach %s", url)
    log = structlog.get_logger("test")
    log.info("settings", urls=[url], password=PASSWORD, admin_token=PASSWORD, port=8000)
    try:
        raise ConnectionError(f"connecting to {url} failed")
    except ConnectionError:
        log.exception("connect.failed")
    foreign, ours, failed = _lines(json_logs)
    assert foreign["event"] == "cannot reach mongodb://app:***@db1,db2/events?authSource=admin"
    assert ours["urls"] == ["mongodb://app:***@db1,db2/events?authSource=admin"]
    assert (ours["password"], ours["admin_token"], ours["port"]) == ("***", "***", 8000)
    assert "connecting to mongodb://app:***@db1,db2/events" in failed["exception"]
    assert PASSWORD not in json.dumps([foreign, ours, failed])
