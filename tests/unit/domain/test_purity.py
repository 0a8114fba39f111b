"""The domain imports without web, queue or database packages, and exports what it names."""

from __future__ import annotations

import json
import subprocess
import sys

import event_service.domain as domain

FORBIDDEN = ("litestar", "saq", "redis", "motor", "beanie", "pymongo", "pydantic", "structlog")

_PROBE = """
import json, sys
import event_service.domain
print(json.dumps(sorted(name for name in sys.modules if name.split(".")[0] in {forbidden!r}
                        or name.startswith(("event_service.application", "event_service.adapters",
                                            "event_service.entrypoints")))))
"""


def test_importing_the_domain_loads_no_framework_queue_or_database_package() -> None:
    probe = _PROBE.format(forbidden=set(FORBIDDEN))
    result = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True, check=False, timeout=60)
    assert result.returncode == 0, result.stderr
    assert json.loads(result.stdout) == []


def test_every_exported_name_exists() -> None:
    assert len(set(domain.__all__)) == len(domain.__all__)
    missing = [name for name in domain.__all__ if not hasattr(domain, name)]
    assert missing == []


def test_the_documented_entry_points_are_exported() -> None:
    assert {
        "IngestReport",
        "TimestampBounds",
        "iter_record_chunks",
        "parse_chunk",
        "parse_header",
        "split_first_record",
        "merge_counts",
        "sum_type_counts",
        "RowError",
        "InvalidHeader",
        "NoDataRows",
        "FIRST_ERRORS",
    } <= set(domain.__all__)
