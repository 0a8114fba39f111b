"""The benchmark's CSV, generated deterministically: same rows, same bytes, same sha256 on every machine.

Rows are ``user_id,event_type,timestamp`` spread over 30 UTC days of 2025 and 8 event types with skewed weights.
The timestamps mix the common shapes the parser sees (``Z``, fractional ``Z``, ``+00:00`` and naive with a space),
all valid and all in UTC, so a validation-free baseline can take the day as the first 10 characters.
"""

from __future__ import annotations

import hashlib
import random
from datetime import UTC, datetime, timedelta
from pathlib import Path

SEED = 20251113
GENERATOR_VERSION = 1
FIRST_DAY = datetime(2025, 10, 1, tzinfo=UTC)
DAYS = 30
EVENT_TYPES = ("page_view", "click", "search", "add_to_cart", "login", "purchase", "signup", "logout")
WEIGHTS = (40, 20, 12, 9, 8, 5, 4, 2)
USERS = 200_000


def _timestamp(day: str, second: int, shape: int, millis: int) -> str:
    hours, rest = divmod(second, 3600)
    clock = f"{hours:02d}:{rest // 60:02d}:{rest % 60:02d}"
    if shape < 7:
        return f"{day}T{clock}Z"
    if shape == 7:
        return f"{day}T{clock}.{millis:03d}Z"
    if shape == 8:
        return f"{day}T{clock}+00:00"
    return f"{day} {clock}"


def write_events(path: Path, rows: int, seed: int = SEED) -> None:
    rng = random.Random(seed)
    types = rng.choices(EVENT_TYPES, weights=WEIGHTS, k=rows)
    days = [f"{FIRST_DAY + timedelta(days=offset):%Y-%m-%d}" for offset in range(DAYS)]
    with path.open("w", encoding="utf-8", newline="") as out:
        out.write("user_id,event_type,timestamp\n")
        lines = []
        for index in range(rows):
            stamp = _timestamp(days[rng.randrange(DAYS)], rng.randrange(86_400), rng.randrange(10), rng.randrange(1000))
            lines.append(f"user{rng.randrange(USERS):06d},{types[index]},{stamp}\n")
            if len(lines) == 50_000:
                out.write("".join(lines))
                lines.clear()
        out.write("".join(lines))


def events_file(directory: Path, rows: int) -> Path:
    """The CSV of ``rows`` rows under ``directory``, written once and reused while the generator is unchanged."""
    directory.mkdir(parents=True, exist_ok=True)
    path = directory / f"events-{rows}-s{SEED}-v{GENERATOR_VERSION}.csv"
    if not path.exists():
        partial = path.with_suffix(".partial")
        write_events(partial, rows)
        partial.replace(path)
    return path


def tiny_csv(index: int) -> bytes:
    """A distinct one-row file (its own day and event type), for queue latency and throughput runs."""
    day = datetime(2024, 1, 1, tzinfo=UTC) + timedelta(days=index % 300)
    return f"user_id,event_type,timestamp\nbench{index},q{index},{day:%Y-%m-%d}T12:00:00Z\n".encode()


def sha256_of(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as file:
        while block := file.read(1 << 20):
            digest.update(block)
    return digest.hexdigest()
