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
from dataclasses import dataclass, field
from pathlib import Path

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


def timed_run(command: list[str], cwd: Path | None = None) -> Timed:
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    started = time.perf_counter()
    done = subprocess.run(command, cwd=cwd, capture_output=True, text=True, check=False)
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


@dataclass
class Server:
    """``event-service serve`` (the embedded default: SQLite in its DATA_DIR, worker in-process, its own valkey)."""

    settings: dict[str, str] = field(default_factory=dict)
    port: int = 0
    base_url: str = ""
    redis_url: str = ""
    worker_pid: int = 0
    _process: subprocess.Popen[bytes] | None = None
    _directory: tempfile.TemporaryDirectory[str] | None = None

    def __enter__(self) -> Server:
        self.start()
        return self

    def __exit__(self, *_: object) -> None:
        self.stop()

    @property
    def log_path(self) -> Path:
        assert self._directory is not None
        return Path(self._directory.name) / "server.log"

    def start(self, timeout: float = 60.0) -> None:
        # A directory of its own: the service reads a .env from its working directory.
        self._directory = tempfile.TemporaryDirectory(prefix="event-service-bench-")
        self.port = free_port()
        self.base_url = f"http://127.0.0.1:{self.port}"
        env = {k: v for k, v in os.environ.items() if k.upper() not in SERVICE_VARIABLES}
        env.update(
            PORT=str(self.port),
            ADMIN_TOKEN="bench-admin-token",
            # The benchmark drives uploads and processing far above the per-client defaults (60 and 120/min).
            UPLOAD_RATE_LIMIT="1000000",
            PROCESS_RATE_LIMIT="1000000",
            LOG_FORMAT="json",
        )
        env.update(self.settings)
        with self.log_path.open("wb") as log:
            self._process = subprocess.Popen(
                [EVENT_SERVICE, "serve"],
                cwd=self._directory.name,
                env=env,
                stdout=log,
                stderr=subprocess.STDOUT,
                start_new_session=True,
            )
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self._process.poll() is not None:
                raise RuntimeError(f"the server exited at start-up:\n{self.log_path.read_text()[-3000:]}")
            try:
                with urllib.request.urlopen(f"{self.base_url}/health", timeout=1) as answer:
                    if answer.status == 200:
                        break
            except OSError:
                time.sleep(0.1)
        else:
            self.stop()
            raise RuntimeError(f"the server did not answer /health within {timeout}s")
        self.redis_url = self._backends()["redis_url"]
        workers = children(self._process.pid)
        if len(workers) != 1:
            raise RuntimeError(f"expected one granian worker process, found {workers}")
        self.worker_pid = workers[0]

    def _backends(self) -> dict[str, str]:
        for line in self.log_path.read_text().splitlines():
            if line.startswith("{"):
                entry = json.loads(line)
                if entry.get("event") == "backends":
                    return entry
        raise RuntimeError("the server logged no 'backends' line")

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
