"""Write the app's OpenAPI document to docs/openapi.json.

Run ``uv run python -m event_service.entrypoints.http.openapi_dump`` after changing a route or a response body.

The committed file is what readers and client generators use without running the service; a test fails when it
differs from what the app serves.
"""

from __future__ import annotations

import json
import sys
import tempfile
from pathlib import Path
from typing import Any

from litestar.serialization import encode_json

from event_service.adapters.compute import InlinePool
from event_service.adapters.settings import load_settings
from event_service.entrypoints.bootstrap import bootstrap
from event_service.entrypoints.http.app import create_app
from event_service.entrypoints.logging import configure_logging

DOCUMENT = Path(__file__).resolve().parents[4] / "docs" / "openapi.json"
"""docs/openapi.json in the source tree (this module sits at src/event_service/entrypoints/http/)."""


def render(schema: dict[str, Any]) -> str:
    """Stable text for a schema: sorted keys and two-space indents, so a diff shows only what changed."""
    return json.dumps(schema, indent=2, sort_keys=True, ensure_ascii=False) + "\n"


def app_schema() -> dict[str, Any]:
    """The document the app serves at /schema/openapi.json, built without connecting to anything."""
    configure_logging(level="WARNING")
    # Any Redis address will do: the app is built, never started, so no connection is made. A throwaway data
    # directory keeps the embedded store from leaving a database wherever this runs.
    with tempfile.TemporaryDirectory() as data_dir:
        settings = load_settings(
            redis_url="redis://127.0.0.1:6379/0", mongodb_url=None, admin_token="unused", data_dir=data_dir
        )
        app = create_app(bootstrap(settings, compute=InlinePool()))
        return json.loads(encode_json(app.openapi_schema.to_schema()))


def main() -> None:
    DOCUMENT.write_text(render(app_schema()), encoding="utf-8")
    print(f"wrote {DOCUMENT}", file=sys.stderr)


if __name__ == "__main__":
    main()
