"""The parts of the benchmark harness (bench/) whose mistakes would silently skew every figure it reports."""

from __future__ import annotations

import threading
import time
from collections import Counter
from datetime import UTC, datetime
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

from bench import framing_runs
from bench.data import EVENT_TYPES, events_file, sha256_of, tiny_csv, write_events
from bench.framing_runs import frame_and_parse, variants
from bench.health_probe import probe
from bench.memory_runs import first_rows, growth_figures, growth_ratio, ingest_file
from bench.profiles import EVENT_ROWS, PARSING, SQLITE_WRITES, read_raw, summarise, upload_categories
from bench.stats import percentile
from bench.store_runs import raw_executemany, with_event_ids
from bench.summarize_runs import DEFAULT, contender_commands
from bench.worker_scaling_runs import DAYS as SCALING_DAYS
from bench.worker_scaling_runs import ROWS_PER_BATCH, scaling_batch

from event_service.domain import TimestampBounds, parse_timestamp, utc_day


def test_the_data_is_deterministic_and_sized(tmp_path: Path) -> None:
    first, second = tmp_path / "a.csv", tmp_path / "b.csv"
    write_events(first, 2_000)
    write_events(second, 2_000)
    assert first.read_bytes() == second.read_bytes()
    lines = first.read_text().splitlines()
    assert lines[0] == "user_id,event_type,timestamp"
    assert len(lines) == 2_001
    assert 38 <= first.stat().st_size / 2_000 <= 44  # ~40 MB per million rows
    path = events_file(tmp_path / "cache", 500)
    assert events_file(tmp_path / "cache", 500) == path
    assert sha256_of(path) == sha256_of(path)


def test_every_generated_row_is_valid_and_its_day_is_the_first_ten_characters(tmp_path: Path) -> None:
    """The polars and DuckDB baselines take the day as ``timestamp[:10]`` and validate nothing."""
    path = tmp_path / "e.csv"
    write_events(path, 5_000)
    bounds = TimestampBounds.around(datetime.now(UTC))
    shapes = set()
    for line in path.read_text().splitlines()[1:]:
        user_id, event_type, timestamp = line.split(",")
        assert user_id.startswith("user")
        assert event_type in EVENT_TYPES
        assert utc_day(parse_timestamp(timestamp, bounds)) == timestamp[:10]
        shapes.add(("T" in timestamp, timestamp.endswith("Z"), "." in timestamp, "+" in timestamp))
    assert len(shapes) == 4


def test_tiny_batches_are_distinct() -> None:
    assert len({tiny_csv(i) for i in range(500)}) == 500


def test_profiles_are_summarised_by_frame_package_and_category(tmp_path: Path) -> None:
    raw = tmp_path / "raw.txt"
    raw.write_text(
        "main (/x/.venv/bin/event-service:8);parse_chunk (/w/src/event_service/domain/events.py:90) 3\n"
        "main (/x/.venv/bin/event-service:8);get (/v/lib/python3.11/site-packages/redis/asyncio/client.py:5) 1\n"
    )
    summary = summarise(read_raw(raw), [("parse", lambda frames: any(f == "parse_chunk" for f, _ in frames))])
    assert summary["samples"] == 4
    assert summary["self"][0] == {"frame": "parse_chunk (event_service/domain/events.py)", "share": 0.75}
    assert summary["self_by_package"] == [
        {"frame": "event_service.domain", "share": 0.75},
        {"frame": "redis", "share": 0.25},
    ]
    assert summary["inclusive"] == [{"frame": "parse_chunk (event_service/domain/events.py)", "share": 0.75}]
    assert summary["split"] == {"parse": 0.75, "other": 0.25}


def test_an_uploads_samples_in_the_sqlite_adapter_are_split_into_row_building_and_the_rest(tmp_path: Path) -> None:
    repositories = "/w/src/event_service/adapters/sqlite/repositories.py"
    writer = "run (/usr/lib/python3.11/threading.py:975);SqliteDatabase._transaction (/w/src/event_service/"
    writer += "adapters/sqlite/database.py:99);SqliteEventRepository.add_many.<locals>.<lambda> "
    writer += f"({repositories}:209);SqliteEventRepository._insert ({repositories}:217)"
    raw = tmp_path / "raw.txt"
    raw.write_text(
        f"{writer};SqliteEventRepository._insert.<locals>.<genexpr> ({repositories}:220) 3\n"
        f"{writer} 2\n"
        "handle (/w/src/event_service/application/ingest_upload.py:120);"
        "parse_chunk (/w/src/event_service/domain/events.py:90) 5\n"
    )
    assert summarise(read_raw(raw), upload_categories())["split"] == {EVENT_ROWS: 0.3, SQLITE_WRITES: 0.2, PARSING: 0.5}


def test_summarize_is_measured_with_default_options_beside_each_worker_setting(tmp_path: Path) -> None:
    path = tmp_path / "e.csv"
    runs = contender_commands(path)
    assert runs[DEFAULT][1:] == ["summarize", str(path)]
    assert runs["summarize --workers 1"][1:] == ["summarize", str(path), "--workers", "1"]
    assert runs["summarize --workers 2"][1:] == ["summarize", str(path), "--workers", "2"]


def test_percentiles_are_nearest_rank() -> None:
    values = [float(v) for v in range(1, 101)]
    assert (percentile(values, 0.5), percentile(values, 0.99), percentile(values, 1.0)) == (50.0, 99.0, 100.0)
    assert percentile([7.0], 0.99) == 7.0


def test_the_small_file_is_the_header_and_the_first_rows_byte_for_byte(tmp_path: Path) -> None:
    source = tmp_path / "e.csv"
    write_events(source, 1_000)
    small = first_rows(source, tmp_path / "small.csv", 100)
    assert source.read_bytes().startswith(small.read_bytes())
    assert len(small.read_text().splitlines()) == 101
    assert first_rows(source, tmp_path / "all.csv", 5_000).read_bytes() == source.read_bytes()


def test_memory_growth_is_per_run_and_the_ratio_a_median_of_rounds() -> None:
    figures = growth_figures([30 * 1024, 31 * 1024, 30 * 1024], [50 * 1024, 52 * 1024, 60 * 1024])
    assert figures["growth_runs_mib"] == [20.0, 21.0, 30.0]
    assert (figures["baseline_mib"], figures["peak_mib"], figures["growth_mib"]) == (30.0, 52.0, 21.0)
    assert growth_ratio([20.0, 20.0, 10.0], [22.0, 30.0, 40.0]) == 1.5
    assert growth_ratio([0.0], [3.0]) == 3.0  # a growth under 1 MiB counts as 1 MiB


def test_the_memory_child_ingests_every_row(tmp_path: Path) -> None:
    path = tmp_path / "e.csv"
    write_events(path, 3_000)
    measured = ingest_file(path)
    assert measured["rows_total"] == measured["rows_accepted"] == 3_000
    assert 0 < measured["baseline_kib"] <= measured["peak_kib"]


def test_the_store_run_adds_distinct_event_ids_and_its_baseline_inserts_every_row(tmp_path: Path) -> None:
    path = tmp_path / "e.csv"
    write_events(path, 1_000)
    data = with_event_ids(path, 400)
    lines = data.decode().splitlines()
    assert lines[0] == "event_id,user_id,event_type,timestamp"
    assert len(lines) == 401
    assert len({line.split(",")[0] for line in lines[1:]}) == 400
    assert [line.split(",", 1)[1] for line in lines[1:]] == path.read_text().splitlines()[1:401]
    assert raw_executemany(data) > 0


def test_the_framing_variants_hold_the_same_rows_and_frame_and_parse_alike(tmp_path: Path) -> None:
    paths = variants(tmp_path, 2_000)
    assert list(paths) == ["LF, unquoted", "LF, every field quoted", "lone CR, unquoted"]
    assert paths["lone CR, unquoted"].read_bytes() == paths["LF, unquoted"].read_bytes().replace(b"\n", b"\r")
    assert [frame_and_parse(path) for path in paths.values()] == [2_000] * 3
    results = framing_runs.run(paths, 1, lambda line: None)
    assert {name: result["rows"] for name, result in results.items()} == dict.fromkeys(paths, 2_000)
    assert all(0 < result["framing_share"] < 1 for result in results.values())


def test_scaling_batches_are_distinct_valid_and_counted_on_two_shared_days() -> None:
    bounds = TimestampBounds.around(datetime.now(UTC))
    files = [scaling_batch(index) for index in range(50)]
    assert len({data for data, _ in files}) == 50
    for data, counts in files:
        lines = data.decode().splitlines()
        assert lines[0] == "user_id,event_type,timestamp"
        seen: Counter[tuple[str, str]] = Counter()
        for line in lines[1:]:
            _, event_type, timestamp = line.split(",")
            seen[(utc_day(parse_timestamp(timestamp, bounds)), event_type)] += 1
        assert seen == counts
        assert sum(counts.values()) == ROWS_PER_BATCH
        assert len({day for day, _ in counts}) == 2
        assert {day for day, _ in counts} <= set(SCALING_DAYS)


def test_the_health_prober_times_every_probe_until_stopped() -> None:
    stop = threading.Event()
    answered = 0

    class Health(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"  # keep-alive, as the prober's one connection expects

        def do_GET(self) -> None:
            nonlocal answered
            self.send_response(200 if self.path == "/health" else 404)
            self.send_header("Content-Length", "2")
            self.end_headers()
            self.wfile.write(b"ok")
            answered += 1
            if answered == 5:
                stop.set()  # stopped by what it has seen, not by a timer

        def log_message(self, *_: object) -> None:
            """Quiet."""

    server = ThreadingHTTPServer(("127.0.0.1", 0), Health)
    serving = threading.Thread(target=server.serve_forever, daemon=True)
    serving.start()
    try:
        url = f"http://127.0.0.1:{server.server_address[1]}/health"
        began = time.time()
        result = probe(url, 0.01, stop)
    finally:
        server.shutdown()
        server.server_close()
    # Five at least: the server may answer a sixth before the prober sees the stop.
    assert len(result["latencies_ms"]) == len(result["sent_at"]) == answered >= 5
    assert all(latency > 0 for latency in result["latencies_ms"])
    assert result["sent_at"] == sorted(result["sent_at"])
    assert began <= result["sent_at"][0] <= result["sent_at"][-1] <= time.time()
