"""An SAQ worker whose only function does nothing: the queue's own floor, on the service's Redis.

``python -m bench.noop_worker REDIS_URL`` runs until SIGTERM/SIGINT, with the service's default concurrency.
"""

from __future__ import annotations

import asyncio
import sys
from typing import Any

from redis.asyncio import Redis
from saq import Worker
from saq.queue.redis import RedisQueue

NOOP_QUEUE = "bench-noop"
NOOP = "noop"
CONCURRENCY = 10  # the service's WORKER_CONCURRENCY default


async def noop(ctx: Any) -> None:
    return None


async def main(url: str) -> None:
    queue = RedisQueue(Redis.from_url(url), name=NOOP_QUEUE)
    await Worker(queue, [(NOOP, noop)], concurrency=CONCURRENCY).start()


if __name__ == "__main__":
    asyncio.run(main(sys.argv[1]))
