"""The redis-py errors that mean "Redis cannot serve right now", as opposed to a bug in the command sent.

A refused or dropped connection, a read past ``REDIS_TIMEOUT`` (a hung server), a replica that refuses writes
(``READONLY``), or a server out of memory (``OOM``): each passes when the server or its failover does, so the
caller should retry later. Every other ``ResponseError`` is a fault of ours and stays one.
"""

from __future__ import annotations

from redis.exceptions import ConnectionError as RedisConnectionError
from redis.exceptions import OutOfMemoryError, ReadOnlyError
from redis.exceptions import TimeoutError as RedisTimeoutError

REDIS_OUTAGES: tuple[type[Exception], ...] = (RedisConnectionError, RedisTimeoutError, ReadOnlyError, OutOfMemoryError)
