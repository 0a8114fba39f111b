"""``GET /health`` every few milliseconds from a process of its own, until told to stop.

The prober runs apart from the client that drives the load: a client that sends a 40 MB upload from its own event
loop stalls that loop while it copies and writes the body, and a probe timed on that loop would count the client's
stall as the server's. One blocking keep-alive connection, no event loop: nothing else runs in this process.

``python -m bench.health_probe URL INTERVAL_S`` prints ``probing`` once its first probe is answered, probes until its
stdin closes, then prints one JSON object: ``{"latencies_ms": [...], "sent_at": [...]}`` (``sent_at`` in
``time.time()`` seconds, to keep only the probes sent in a window, or line them up with logs).
"""

from __future__ import annotations

import http.client
import json
import subprocess
import sys
import threading
import time
from collections.abc import Callable
from typing import Any
from urllib.parse import urlsplit


def probe(
    url: str, interval: float, stop: threading.Event, on_first: Callable[[], None] | None = None
) -> dict[str, list[float]]:
    """Probe until ``stop`` is set; ``on_first`` is called once the first probe is answered."""
    parts = urlsplit(url)
    connection = http.client.HTTPConnection(parts.hostname or "127.0.0.1", parts.port, timeout=30)
    latencies: list[float] = []
    sent_at: list[float] = []
    try:
        while not stop.is_set():
            wall, started = time.time(), time.perf_counter()
            connection.request("GET", parts.path or "/")
            answer = connection.getresponse()
            answer.read()
            if answer.status != 200:
                raise RuntimeError(f"{url} answered {answer.status}")
            latencies.append((time.perf_counter() - started) * 1000)
            sent_at.append(wall)
            if len(latencies) == 1 and on_first is not None:
                on_first()
            stop.wait(interval)
    finally:
        connection.close()
    return {"latencies_ms": latencies, "sent_at": sent_at}


class Prober:
    """The probe in a subprocess: probing once the constructor returns, stopped (and its result read) by ``stop()``."""

    def __init__(self, url: str, interval: float) -> None:
        self._process = subprocess.Popen(
            [sys.executable, "-m", "bench.health_probe", url, str(interval)],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            text=True,
        )
        assert self._process.stdout is not None
        if self._process.stdout.readline().strip() != "probing":
            self.kill()
            raise RuntimeError(f"the /health prober of {url} did not start")

    def stop(self) -> dict[str, Any]:
        output, _ = self._process.communicate(timeout=60)
        if self._process.returncode != 0:
            raise RuntimeError(f"the /health prober exited {self._process.returncode}")
        return json.loads(output)

    def kill(self) -> None:
        if self._process.poll() is None:
            self._process.kill()
            self._process.wait()


def main(argv: list[str]) -> int:
    url, interval = argv
    stop = threading.Event()

    def stop_when_stdin_closes() -> None:
        # The stop signal: it also ends the probe if the harness dies.
        sys.stdin.read()
        stop.set()

    threading.Thread(target=stop_when_stdin_closes, daemon=True).start()
    result = probe(url, float(interval), stop, on_first=lambda: print("probing", flush=True))
    print(json.dumps(result), flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
