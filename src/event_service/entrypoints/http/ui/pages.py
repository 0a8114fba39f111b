"""The pages of the web UI: one HTML shell for every page (its script draws the page from the API), the redirect
from ``/``, and a batch's row errors as a CSV download."""

from __future__ import annotations

import csv
import io
from collections.abc import AsyncIterator
from pathlib import Path

from litestar import MediaType, Response, get
from litestar.params import FromPath
from litestar.response import Redirect, Stream

from event_service.entrypoints.bootstrap import UseCases
from event_service.entrypoints.http.dependencies import UseCasesDependency

STATIC = Path(__file__).parent / "static"
_SHELL = (Path(__file__).parent / "shell.html").read_bytes()
_ERRORS_PAGE = 1000

# Everything from this service and nothing else: the UI works offline, and an injected script could not load.
_HEADERS = {
    "Content-Security-Policy": "default-src 'self'; img-src 'self' data:; object-src 'none'; base-uri 'none'; "
    "form-action 'self'; frame-ancestors 'none'",
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "same-origin",
}


@get("/", include_in_schema=False)
async def root() -> Redirect:
    return Redirect("/ui/")


@get(
    ["/ui", "/ui/", "/ui/upload", "/ui/batches", "/ui/batches/{batch_id:str}", "/ui/metrics", "/ui/admin"],
    include_in_schema=False,
    media_type=MediaType.HTML,
    cache=False,
)
async def page() -> Response[bytes]:
    return Response(_SHELL, media_type=MediaType.HTML, headers=_HEADERS)


async def _error_lines(use_cases: UseCases, batch_id: str) -> AsyncIterator[str]:
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\n")
    writer.writerow(["row", "column", "message"])
    offset = 0
    while True:
        errors = (await use_cases.get_batch.errors(batch_id, offset, _ERRORS_PAGE)).errors
        for error in errors:
            writer.writerow([error.row, error.column or "", error.message])
        yield buffer.getvalue()
        buffer.seek(0)
        buffer.truncate()
        if len(errors) < _ERRORS_PAGE:
            return
        offset += len(errors)


@get(
    "/ui/batches/{batch_id:str}/errors.csv",
    summary="Every stored row error of a batch, as a CSV download (row, column, message)",
    include_in_schema=False,
)
async def errors_csv(use_cases: UseCasesDependency, batch_id: FromPath[str]) -> Stream:
    await use_cases.get_batch(batch_id)  # 404 before the download starts
    return Stream(
        _error_lines(use_cases, batch_id),
        media_type="text/csv; charset=utf-8",
        headers={"Content-Disposition": f'attachment; filename="batch-{batch_id}-errors.csv"'},
    )


__all__ = ["STATIC", "errors_csv", "page", "root"]
