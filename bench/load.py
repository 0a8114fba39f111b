"""A closed-loop HTTP load generator: N keep-alive connections, each sending its next request on an answer.

aiohttp on uvloop, run in its own process so its CPU use is measured apart from the harness. No PyPI wheel of
a compiled load tester (oha, wrk, hey) was found; the client's own CPU use is reported beside every run, so a
client-bound figure shows as such. ``python -m bench.load URL SECONDS CONNECTIONS`` prints one JSON result.
"""

from __future__ import annotations

import asyncio
import json
import subprocess
import sys
import time
from dataclasses import asdict, dataclass

import aiohttp
import uvloop

from bench.stats import percentile


@dataclass(frozen=True)
class LoadResult:
    url: str
    connections: int
    seconds: float
    requests: int
    errors: int
    rps: float
    p50_ms: float
    p99_ms: float
    client_cpu: float
    """The load generator's CPU seconds per wall second (1.0 = one core busy)."""


async def run_load(url: str, seconds: float, connections: int) -> LoadResult:
    latencies: list[float] = []
    errors = 0
    connector = aiohttp.TCPConnector(limit=connections, force_close=False)
    async with aiohttp.ClientSession(connector=connector) as session:

        async def warm_up() -> None:
            async with session.get(url) as answer:
                await answer.read()

        # Open every connection before the clock starts.
        await asyncio.gather(*(warm_up() for _ in range(connections)))
        deadline = time.perf_counter() + seconds

        async def connection() -> None:
            nonlocal errors
            clock = time.perf_counter
            while (started := clock()) < deadline:
                async with session.get(url) as answer:
                    await answer.read()
                    if answer.status != 200:
                        errors += 1
                latencies.append(clock() - started)

        cpu_before, started = time.process_time(), time.perf_counter()
        await asyncio.gather(*(connection() for _ in range(connections)))
        elapsed = time.perf_counter() - started
        cpu = time.process_time() - cpu_before
    return LoadResult(
        url=url,
        connections=connections,
        seconds=elapsed,
        requests=len(latencies),
        errors=errors,
        rps=len(latencies) / elapsed,
        p50_ms=percentile(latencies, 0.50) * 1000,
        p99_ms=percentile(latencies, 0.99) * 1000,
        client_cpu=cpu / elapsed,
    )


def load_in_subprocess(url: str, seconds: float, connections: int) -> LoadResult:
    done = subprocess.run(
        [sys.executable, "-m", "bench.load", url, str(seconds), str(connections)],
        capture_output=True,
        text=True,
        check=True,
    )
    return LoadResult(**json.loads(done.stdout))


def main(argv: list[str]) -> int:
    url, seconds, connections = argv
    result = uvloop.run(run_load(url, float(seconds), int(connections)))
    sys.stdout.write(json.dumps(asdict(result)) + "\n")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
