"""(f) Peak memory while ingesting: a file ten times larger must not take more memory to ingest.

Every measurement is a fresh child process, so one run's heap cannot carry into the next:
- ``ingest``: ``python -m bench.memory_runs FILE`` runs the IngestUpload use case with the InlinePool adapter and
  stores that keep nothing of the events (so what grows is the ingestion path itself), and prints its peak RSS
  before ingesting (interpreter + imports: the baseline) and after, in KiB, as JSON;
- ``summarize``: ``event-service summarize FILE --workers 1`` started by a bare ``python -I -S`` launcher that
  prints its ``RUSAGE_CHILDREN`` peak RSS. Its baseline is the same command on a one-row file: interpreter,
  imports and start-up.

Linux starts the ``ru_maxrss`` of a process that calls exec at the peak RSS of the process it was forked from
(the kernel keeps the old address space's high-water mark), so a child of the harness, which holds far more than
the children do, would report the harness's own peak. Hence ``VmHWM`` in the ingesting child (the high-water mark
of its own address space only), and the small launcher between the harness and ``summarize``.

Both on the first tenth of the harness's file (the 1x file) and on the whole file (10x). Growth is peak - baseline;
the claim is growth(10x) / growth(1x), the median of per-round ratios. The use case is measured again with
``MALLOC_ARENA_MAX=1``, which tells what the process holds from how glibc spreads it over per-thread arenas.
"""

from __future__ import annotations

import asyncio
import json
import os
import subprocess
import sys
import tempfile
from collections.abc import Callable, Sequence
from datetime import datetime
from itertools import count
from pathlib import Path
from typing import Any, BinaryIO

import msgspec

from bench.stats import median
from event_service.adapters.clock import SystemClock
from event_service.adapters.compute import InlinePool
from event_service.application.errors import DuplicateBatch
from event_service.application.ingest_upload import IngestLimits, IngestUpload, Upload
from event_service.domain import Batch, BatchStatus, Event, IngestReport, RowError, report_fields

ROOT = Path(__file__).resolve().parent.parent
MAX_GROWTH_RATIO = 1.5
"""The target: ingesting the 10x file grows the process by at most this many times what the 1x file does."""


# --- the child: one ingestion, its memory reported on stdout -------------------------------------------------


class NullEvents:
    """An EventRepository that keeps nothing but a count."""

    def __init__(self) -> None:
        self.stored = 0

    async def add_many(self, batch_id: str, events: Sequence[Event]) -> list[int]:
        self.stored += len(events)
        return []

    async def delete_batch(self, batch_id: str) -> None:
        self.stored = 0


class CountingBatches:
    """The part of a BatchRepository that ingestion uses: batches kept in a dict, row errors only counted."""

    def __init__(self) -> None:
        self.batches: dict[str, Batch] = {}
        self.errors = 0

    async def add(self, batch: Batch) -> None:
        for other in self.batches.values():
            if other.sha256 == batch.sha256:
                raise DuplicateBatch(other.id)
        self.batches[batch.id] = batch

    async def finish_ingestion(self, batch_id: str, report: IngestReport, at: datetime) -> Batch | None:
        self.batches[batch_id] = msgspec.structs.replace(
            self.batches[batch_id], status=BatchStatus.UPLOADED, updated_at=at, **report_fields(report)
        )
        return self.batches[batch_id]

    async def event_types(self) -> set[str]:
        return set()

    async def find_by_sha256(self, sha256: str) -> Batch | None:
        return next((b for b in self.batches.values() if b.sha256 == sha256), None)

    async def find_by_idempotency_key(self, key: str) -> Batch | None:
        return next((b for b in self.batches.values() if b.idempotency_key == key), None)

    async def add_errors(self, batch_id: str, errors: Sequence[RowError]) -> None:
        self.errors += len(errors)

    async def delete(self, batch_id: str) -> None:
        self.batches.pop(batch_id, None)


def peak_rss_kib() -> int:
    """The high-water mark of this process's resident set since its exec, in KiB."""
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1])
    raise RuntimeError("no VmHWM in /proc/self/status")


async def _ingest(file: BinaryIO, name: str) -> dict[str, Any]:
    events = NullEvents()
    ids = count(1)
    pool = InlinePool()
    ingest = IngestUpload(
        CountingBatches(),  # only the methods IngestUpload calls
        events,
        pool,
        SystemClock(),
        lambda: f"batch-{next(ids)}",
        IngestLimits(),
    )
    baseline = peak_rss_kib()
    outcome = await ingest(Upload(file, name))
    peak = peak_rss_kib()
    pool.close()
    if outcome.batch.rows_accepted != events.stored:
        raise RuntimeError(f"accepted {outcome.batch.rows_accepted} rows but stored {events.stored}")
    return {
        "rows_total": outcome.batch.rows_total,
        "rows_accepted": outcome.batch.rows_accepted,
        "baseline_kib": baseline,
        "peak_kib": peak,
    }


def ingest_file(path: Path) -> dict[str, Any]:
    with path.open("rb") as file:
        return asyncio.run(_ingest(file, path.name))


# --- the harness side ----------------------------------------------------------------------------------------


def first_rows(source: Path, destination: Path, rows: int) -> Path:
    """The header and the first ``rows`` rows of ``source``, byte for byte, into ``destination``."""
    with source.open("rb") as reader, destination.open("wb") as writer:
        for _ in range(rows + 1):
            line = reader.readline()
            if not line:
                break
            writer.write(line)
    return destination


ONE_ARENA = {"MALLOC_ARENA_MAX": "1"}
"""glibc gives each thread that allocates its own malloc arena, up to 8 per core; with one arena what remains of
the growth is what the process holds, not how the allocator spreads it over the threads asyncio.to_thread uses."""

CONTENDERS: dict[str, tuple[str, dict[str, str]]] = {
    "ingest": ("ingest", {}),
    "summarize --workers 1": ("summarize", {}),
    "ingest, MALLOC_ARENA_MAX=1": ("ingest", ONE_ARENA),
}
"""What is measured: the use case and the command as they run, then the use case again with one malloc arena."""


def _environment(extra: dict[str, str]) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("MALLOC_")}
    env.update(extra)
    return env


def _ingest_child(path: Path, extra_env: dict[str, str]) -> dict[str, Any]:
    done = subprocess.run(
        [sys.executable, "-m", "bench.memory_runs", str(path)],
        cwd=ROOT,
        env=_environment(extra_env),
        capture_output=True,
        text=True,
        check=False,
    )
    if done.returncode != 0:
        raise RuntimeError(f"bench.memory_runs {path} exited {done.returncode}: {done.stderr[-2000:]}")
    return json.loads(done.stdout)


LAUNCHER = (
    "import resource, subprocess, sys\n"
    "subprocess.run(sys.argv[1:], stdout=subprocess.DEVNULL, check=True)\n"
    "hwm = [line for line in open('/proc/self/status') if line.startswith('VmHWM:')][0].split()[1]\n"
    "print(resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss, hwm)"
)
"""Runs a command and prints its peak RSS and the launcher's own (VmHWM), in KiB: the first is the command's own
only when the second, which the command's ``ru_maxrss`` starts from, is below it."""


def _summarize_child(path: Path, extra_env: dict[str, str]) -> int:
    """Peak RSS in KiB of ``event-service summarize PATH --workers 1``."""
    from bench.procs import EVENT_SERVICE  # here, not at the top: the ingesting child imports this module too

    done = subprocess.run(
        [sys.executable, "-I", "-S", "-c", LAUNCHER, EVENT_SERVICE, "summarize", str(path), "--workers", "1"],
        env=_environment(extra_env),
        capture_output=True,
        text=True,
        check=False,
    )
    if done.returncode != 0:
        raise RuntimeError(f"summarize {path} exited {done.returncode}: {done.stderr[-2000:]}")
    child, launcher = (int(field) for field in done.stdout.split())
    if launcher >= child:
        raise RuntimeError(f"the launcher's peak RSS ({launcher} KiB) hides summarize's ({child} KiB)")
    return child


def growth_figures(baseline_kib: Sequence[int], peak_kib: Sequence[int]) -> dict[str, Any]:
    """Medians in MiB of the runs' baselines, peaks and growths (each run's peak - its own baseline)."""
    growth = [(p - b) / 1024 for b, p in zip(baseline_kib, peak_kib, strict=True)]
    return {
        "baseline_mib": median([b / 1024 for b in baseline_kib]),
        "peak_mib": median([p / 1024 for p in peak_kib]),
        "growth_mib": median(growth),
        "growth_runs_mib": growth,
    }


def growth_ratio(small: Sequence[float], large: Sequence[float]) -> float:
    """growth(10x) / growth(1x), the median of per-round ratios (a growth under 1 MiB counts as 1 MiB)."""
    return median([big / max(little, 1.0) for little, big in zip(small, large, strict=True)])


def run(path: Path, rows: int, repeats: int, log: Callable[[str], None]) -> dict[str, Any]:
    small_rows = rows // 10
    (ROOT / ".bench").mkdir(exist_ok=True)
    baselines: dict[str, dict[str, list[int]]] = {name: {"1x": [], "10x": []} for name in CONTENDERS}
    peaks: dict[str, dict[str, list[int]]] = {name: {"1x": [], "10x": []} for name in CONTENDERS}
    with tempfile.TemporaryDirectory(prefix="memory-", dir=ROOT / ".bench") as directory:
        small = first_rows(path, Path(directory) / "first-tenth.csv", small_rows)
        one_row = first_rows(path, Path(directory) / "one-row.csv", 1)
        files = {"1x": (small, small_rows), "10x": (path, rows)}
        sizes = {key: file.stat().st_size for key, (file, _) in files.items()}
        # Round-robin, as elsewhere: a noisy minute touches every contender and both files alike.
        for attempt in range(repeats):
            for name, (kind, extra_env) in CONTENDERS.items():
                start_up = _summarize_child(one_row, extra_env) if kind == "summarize" else 0
                for key, (file, file_rows) in files.items():
                    if kind == "ingest":
                        measured = _ingest_child(file, extra_env)
                        if measured["rows_accepted"] != file_rows:
                            raise RuntimeError(f"{file}: {measured['rows_accepted']} of {file_rows} rows accepted")
                        baseline, peak = measured["baseline_kib"], measured["peak_kib"]
                    else:
                        baseline, peak = start_up, _summarize_child(file, extra_env)
                    baselines[name][key].append(baseline)
                    peaks[name][key].append(peak)
                log(
                    f"  {name:<42} run {attempt + 1}/{repeats}: baseline "
                    f"{baselines[name]['1x'][-1] / 1024:5.1f} / {baselines[name]['10x'][-1] / 1024:5.1f} MiB, "
                    f"peak {peaks[name]['1x'][-1] / 1024:5.1f} MiB on 1x, {peaks[name]['10x'][-1] / 1024:5.1f} "
                    "MiB on 10x"
                )
    results: dict[str, Any] = {}
    for name in CONTENDERS:
        per_file = {
            key: {"rows": files[key][1], "bytes": sizes[key], **growth_figures(baselines[name][key], peaks[name][key])}
            for key in files
        }
        results[name] = {
            "files": per_file,
            "growth_ratio": growth_ratio(per_file["1x"]["growth_runs_mib"], per_file["10x"]["growth_runs_mib"]),
        }
    return {
        "chunk_bytes": IngestLimits().chunk_bytes,
        "max_growth_ratio": MAX_GROWTH_RATIO,
        "repeats": repeats,
        "measurements": results,
    }


if __name__ == "__main__":
    print(json.dumps(ingest_file(Path(sys.argv[1]))))
