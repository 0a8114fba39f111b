"""py-spy sampling profiles, summarised as top frames and as a split of the samples by category."""

from __future__ import annotations

import re
import signal
import subprocess
import tempfile
from collections import Counter
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

from bench.procs import PY_SPY

_FRAME = re.compile(r"^(?P<function>.*?) \((?P<path>[^()]*?)(?::(?P<line>\d+))?\)$")
RATE = 250


def _where(path: str) -> str:
    """A short, stable name for a frame's file: the package path after site-packages/ or src/, else stdlib."""
    for marker in ("site-packages/", "/src/"):
        if marker in path:
            return path.split(marker, 1)[1]
    if "/lib/python3" in path:
        return "stdlib/" + path.split("/lib/python3", 1)[1].split("/", 1)[-1]
    return "/".join(path.rsplit("/", 2)[-2:])


def _frame(text: str) -> tuple[str, str]:
    match = _FRAME.match(text)
    if match is None:
        return text, ""
    return match["function"], _where(match["path"])


def package(where: str) -> str:
    if where.startswith("stdlib/"):
        return "stdlib " + where.removeprefix("stdlib/").split("/", 1)[0].removesuffix(".py")
    parts = where.split("/")
    if parts[0] == "event_service" and len(parts) > 1:
        return f"event_service.{parts[1].removesuffix('.py')}"
    if parts[0].startswith("<frozen"):
        return "stdlib importlib"
    return parts[0].removesuffix(".py")


def read_raw(path: Path) -> list[tuple[list[tuple[str, str]], int]]:
    """py-spy's raw (collapsed) output: one ``frame;frame;...;leaf count`` line per distinct stack."""
    stacks = []
    for line in path.read_text().splitlines():
        stack, _, count = line.rpartition(" ")
        if stack and count.isdigit():
            stacks.append(([_frame(f) for f in stack.split(";")], int(count)))
    return stacks


def summarise(
    stacks: list[tuple[list[tuple[str, str]], int]],
    categories: Sequence[tuple[str, Callable[[list[tuple[str, str]]], bool]]] = (),
    top: int = 12,
) -> dict[str, Any]:
    total = sum(count for _, count in stacks)
    own: Counter[str] = Counter()
    inclusive: Counter[str] = Counter()
    by_package: Counter[str] = Counter()
    split: Counter[str] = Counter()
    for frames, count in stacks:
        function, where = frames[-1]
        own[f"{function} ({where})"] += count
        by_package[package(where)] += count
        for name in {f"{f} ({w})" for f, w in frames if w.startswith("event_service/")}:
            inclusive[name] += count
        for label, matches in categories:
            if matches(frames):
                split[label] += count
                break
        else:
            if categories:
                split["other"] += count

    def share(counter: Counter[str], limit: int) -> list[dict[str, Any]]:
        return [{"frame": k, "share": v / total} for k, v in counter.most_common(limit)] if total else []

    return {
        "samples": total,
        "self": share(own, top),
        "inclusive": share(inclusive, top),
        "self_by_package": share(by_package, top),
        "split": {label: split[label] / total for label in split} if total else {},
    }


class Recording:
    """py-spy sampling a new command to its end, or attached to a running process for ``seconds``."""

    def __init__(self, target: list[str] | int, seconds: float = 5.0, gil: bool = True) -> None:
        self.output = Path(tempfile.mkstemp(prefix="bench-profile-", suffix=".txt")[1])
        command = [PY_SPY, "record", "--format", "raw", "--full-filenames", "--rate", str(RATE)]
        command += ["--output", str(self.output)]
        if gil:
            command.append("--gil")  # only the thread holding the GIL: where the interpreter's time goes
        if isinstance(target, int):
            command += ["--nonblocking", "--pid", str(target), "--duration", str(max(1, round(seconds)))]
        else:
            command += ["--", *target]
        self._process = subprocess.Popen(command, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)

    def stop(self) -> None:
        """End an open-ended recording now (py-spy writes its output on SIGINT)."""
        if self._process.poll() is None:
            self._process.send_signal(signal.SIGINT)

    def wait(self) -> list[tuple[list[tuple[str, str]], int]]:
        _, stderr = self._process.communicate(timeout=600)
        try:
            if self._process.returncode != 0:
                raise RuntimeError(f"py-spy failed ({self._process.returncode}): {stderr[-1500:]}")
            return read_raw(self.output)
        finally:
            self.output.unlink(missing_ok=True)


def generator_in(function: str, where: str) -> Callable[[list[tuple[str, str]]], bool]:
    """A generator expression running under ``function`` (py-spy names it ``Class.function``) in ``where``."""

    def matches(frames: list[tuple[str, str]]) -> bool:
        for index, (f, w) in enumerate(frames):
            if w.startswith(where) and (f == function or f.endswith(f".{function}")):
                return any(inner.endswith("<genexpr>") for inner, _ in frames[index + 1 :])
        return False

    return matches


def stack_has(*needles: str) -> Callable[[list[tuple[str, str]]], bool]:
    def matches(frames: list[tuple[str, str]]) -> bool:
        return any(needle in function or needle in where for function, where in frames for needle in needles)

    return matches


# The upload profile's labels: the report reads these back to compare the store's share with the parsing's.
PARSING = "parse + validate + aggregate (domain parse_chunk)"
EVENT_ROWS = "building the event rows (SqliteEventRepository._insert's generator)"
SQLITE_WRITES = "SQLite writes (embedded store)"


def upload_categories() -> list[tuple[str, Callable[[list[tuple[str, str]]], bool]]]:
    """How an upload's samples are split, first match wins."""
    return [
        (PARSING, stack_has("parse_chunk")),
        # Before the SQLite label: executemany pulls the rows from a generator, on the store's writer thread.
        (EVENT_ROWS, generator_in("_insert", "event_service/adapters/sqlite/repositories.py")),
        (SQLITE_WRITES, stack_has("event_service/adapters/sqlite/", "stdlib/sqlite3/")),
        ("sha256 + reading the spooled file", stack_has("digest", "_blocks", "iter_record_chunks")),
        ("multipart receive (Litestar)", stack_has("multipart", "parse_multipart_form", "form")),
    ]
