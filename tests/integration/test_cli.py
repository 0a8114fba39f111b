"""The ``event-service`` command: offline summaries, and refusing configurations that cannot work."""

from __future__ import annotations

import gzip
import json
from pathlib import Path

import pytest

from event_service.entrypoints.cli import main
from tests.integration.helpers import SEED_CSV

BAD_ROWS = b"u1,signup,not-a-time\n,signup,2025-11-13T00:00:00Z\nu2,purchase,2025-11-14T00:00:00+01:00\n"


@pytest.mark.parametrize("workers", ["1", "2"])
def test_summarize_prints_exact_counts(tmp_path: Path, capsys: pytest.CaptureFixture[str], workers: str) -> None:
    path = tmp_path / "events.csv.gz"
    path.write_bytes(gzip.compress(SEED_CSV + BAD_ROWS))
    assert main(["summarize", str(path), "--workers", workers]) == 0
    assert json.loads(capsys.readouterr().out) == {
        "rows_total": 153,
        "rows_accepted": 151,
        "rows_rejected": 2,
        "metrics": {"2025-11-13": {"signup": 120, "purchase": 31}},
    }


def test_summarize_explains_files_it_cannot_read(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    headerless = tmp_path / "headerless.csv"
    headerless.write_bytes(b"user_id,timestamp\nu1,2025-11-13T00:00:00Z\n")
    assert main(["summarize", str(tmp_path / "missing.csv")]) == 2
    assert main(["summarize", str(headerless)]) == 1
    errors = capsys.readouterr().err
    assert "no such file" in errors
    assert "event_type" in errors


@pytest.mark.parametrize(
    ("command", "environment", "fragment"),
    [
        ("api", {}, "needs a REDIS_URL"),
        ("api", {"MONGODB_URL": "mongodb://db:27017"}, "needs a REDIS_URL"),
        ("worker", {}, "needs REDIS_URL"),
        ("serve", {"PORT": "99999"}, "PORT"),
        ("serve", {"REDIS_URL": "http://x"}, "REDIS_URL"),
    ],
)
def test_configurations_that_cannot_work_are_refused_with_a_reason(
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
    command: str,
    environment: dict[str, str],
    fragment: str,
) -> None:
    for name in ("REDIS_URL", "MONGODB_URL", "PORT", "ADMIN_TOKEN"):
        monkeypatch.delenv(name, raising=False)
    for name, value in environment.items():
        monkeypatch.setenv(name, value)
    monkeypatch.chdir(Path(__file__).parent)  # no .env file here
    assert main([command]) == 2
    assert fragment in capsys.readouterr().err
