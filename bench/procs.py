"""Processes the harness starts: timed commands, and the real ``event-service serve`` on a free port."""

from __future__ import annotations

import json
import os
import resource
import signal
import socket
import subprocess
import sys
import tempfile
import time
import urllib.request
from abc import ABC, abstractmethod
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Self

from event_service.adapters.settings import Settings

BIN = Path(sys.executable).parent
EVENT_SERVICE = str(BIN / "event-service")
PY_SPY = str(BIN / "py-spy")

# Every setting the service reads: the benchmark's servers get none of them from the caller's environment.
SERVICE_VARIABLES = frozenset(name.upper() for name in Settings.model_fields)


@dataclass(frozen=True)
class Timed:
    wall: float
    cpu: float
    """User + system seconds of the child (all its threads; its own children are not counted)."""
    stdout: str


BYTECODE_CACHE = Path(__file__).resolve().parents[1] / ".bench" / "pycache"


def installed_python_env() -> dict[str, str]:
    """The caller's environment, with Python's bytecode cached as an installed program has it (here under .bench/),
    whatever PYTHONDONTWRITEBYTECODE says: without a cache every run compiles its modules again, which costs a
    library with much Python (polars) more than the service."""
    env = {k: v for k, v in os.environ.items() if k != "PYTHONDONTWRITEBYTECODE"}
    env["PYTHONPYCACHEPREFIX"] = str(BYTECODE_CACHE)
    return env


def timed_run(command: list[str], cwd: Path | None = None, *, bytecode_cache: bool = True) -> Timed:
    """Run ``command``, by default with the bytecode cache (a first, untimed run of it writes the cache)."""
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    started = time.perf_counter()
    done = subprocess.run(
        command,
        cwd=cwd,
        env=installed_python_env() if bytecode_cache else None,
        capture_output=True,
        text=True,
        check=False,
    )
    wall = time.perf_counter() - started
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    if done.returncode != 0:
        raise RuntimeError(f"{' '.join(command)} exited {done.returncode}: {done.stderr[-2000:]}")
    cpu = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
    return Timed(wall=wall, cpu=cpu, stdout=done.stdout)


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def children(pid: int) -> list[int]:
    try:
        return [int(p) for p in Path(f"/proc/{pid}/task/{pid}/children").read_text().split()]
    except OSError:
        return []


def cpu_seconds(pid: int) -> float:
    """User + system CPU seconds a process has used so far (all threads)."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def _service_log(path: Path, event: str) -> dict[str, Any] | None:
    """The first JSON log line of ``event`` in a service's log, if it has been written."""
    for line in path.read_text().splitlines():
        if line.startswith("{"):
            entry = json.loads(line)
            if entry.get("event") == event:
                return entry
    return None


@dataclass
class _Service(ABC):
    """An ``event-service`` command in a subprocess of its own, with its own working directory and log file."""

    settings: dict[str, str] = field(default_factory=dict)
    _process: subprocess.Popen[bytes] | None = None
    _directory: tempfile.TemporaryDirectory[str] | None = None

    def __enter__(self) -> Self:
        self.start()
        return self

    def __exit__(self, *_: object) -> None:
        self.stop()

    @property
    def log_path(self) -> Path:
        assert self._directory is not None
        return Path(self._directory.name) / "service.log"

    @property
    def pid(self) -> int:
        assert self._process is not None
        return self._process.pid

    @abstractmethod
    def start(self, timeout: float = 60.0) -> None:
        """Start the process and return once it is ready for work."""

    def _launch(self, command: str, settings: dict[str, str]) -> None:
        # A directory of its own: the service reads a .env from its working directory.
        self._directory = tempfile.TemporaryDirectory(prefix=f"event-service-bench-{command}-")
        env = {k: v for k, v in os.environ.items() if k.upper() not in SERVICE_VARIABLES}
        env.update(
            ADMIN_TOKEN="bench-admin-token",
            # The benchmark drives uploads and processing far above the per-client defaults (60 and 120/min).
            UPLOAD_RATE_LIMIT="1000000",
            PROCESS_RATE_LIMIT="1000000",
            LOG_FORMAT="json",
        )
        env.update(settings)
        with self.log_path.open("wb") as log:
            self._process = subprocess.Popen(
                [EVENT_SERVICE, command],
                cwd=self._directory.name,
                env=env,
                stdout=log,
                stderr=subprocess.STDOUT,
                start_new_session=True,
            )

    def _exited(self) -> bool:
        return self._process is None or self._process.poll() is not None

    def _fail(self, message: str) -> None:
        log = self.log_path.read_text()[-3000:]
        self.stop()
        raise RuntimeError(f"{message}:\n{log}")

    def stop(self) -> None:
        process, self._process = self._process, None
        if process is not None and process.poll() is None:
            process.send_signal(signal.SIGINT)
            try:
                process.wait(timeout=30)
            except subprocess.TimeoutExpired:
                os.killpg(process.pid, signal.SIGKILL)
                process.wait()
        if self._directory is not None:
            self._directory.cleanup()
            self._directory = None


@dataclass
class Server(_Service):
    """``event-service serve`` (the embedded default: SQLite in its DATA_DIR, worker in-process, its own valkey).

    ``command="api"``: the API alone, which needs REDIS_URL (and a DATA_DIR shared with its workers) in ``settings``.
    """

    command: str = "serve"
    port: int = 0
    base_url: str = ""
    redis_url: str = ""
    worker_pid: int = 0

    def start(self, timeout: float = 60.0) -> None:
        self.port = free_port()
        self.base_url = f"http://127.0.0.1:{self.port}"
        self._launch(self.command, {"PORT": str(self.port), **self.settings})
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self._exited():
                self._fail("the server exited at start-up")
            try:
                with urllib.request.urlopen(f"{self.base_url}/health", timeout=1) as answer:
                    if answer.status == 200:
                        break
            except OSError:
                time.sleep(0.1)
        else:
            self._fail(f"the server did not answer /health within {timeout}s")
        backends = _service_log(self.log_path, "backends")
        if backends is None:
            self._fail("the server logged no 'backends' line")
        assert backends is not None
        self.redis_url = backends["redis_url"]
        workers = children(self.pid)
        if len(workers) != 1:
            self._fail(f"expected one granian worker process, found {workers}")
        self.worker_pid = workers[0]


@dataclass
class Worker(_Service):
    """``event-service worker``: ``settings`` must give it the REDIS_URL and DATA_DIR of the API it serves."""

    def start(self, timeout: float = 60.0) -> None:
        self._launch("worker", self.settings)
        deadline = time.monotonic() + timeout
        # Started once it logs so: its container is open and SAQ is about to dequeue.
        while _service_log(self.log_path, "worker.started") is None:
            if self._exited():
                self._fail("the worker exited at start-up")
            if time.monotonic() > deadline:
                self._fail(f"the worker did not start within {timeout}s")
            time.sleep(0.05)
