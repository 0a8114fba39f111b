"""POST /uploads: a CSV (or gzip CSV) file in the multipart field ``file``."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Annotated

from litestar import Request, Response, post
from litestar.datastructures import UploadFile
from litestar.enums import RequestEncodingType
from litestar.exceptions import ClientException, HTTPException
from litestar.params import Body, FromQuery, HeaderParameter
from litestar.status_codes import HTTP_200_OK, HTTP_201_CREATED, HTTP_400_BAD_REQUEST

from event_service.application.errors import UnsupportedFile
from event_service.application.ingest_upload import Upload
from event_service.entrypoints.http.dependencies import ContainerDependency
from event_service.entrypoints.http.errors import http_error
from event_service.entrypoints.http.form_parts import FormParts
from event_service.entrypoints.http.schemas import ErrorBody, UploadBody

_CSV_TYPES = {
    "",
    "text/csv",
    "application/csv",
    "text/plain",
    "application/vnd.ms-excel",
    "application/octet-stream",
    "application/gzip",
    "application/x-gzip",
}
_CSV_SUFFIXES = (".csv", ".csv.gz", ".gz", ".txt")


@dataclass
class UploadForm:
    file: UploadFile


def _check_media_type(file: UploadFile) -> None:
    declared = (file.content_type or "").split(";")[0].strip().lower()
    if declared not in _CSV_TYPES and not (file.filename or "").lower().endswith(_CSV_SUFFIXES):
        raise UnsupportedFile(
            f"the file part is {declared!r}; send text/csv or application/gzip (a .csv or .csv.gz file)"
        )


def _about_parameters(exc: HTTPException) -> bool:
    """A bad query parameter or header, whose own message already says what is wrong."""
    problems = exc.extra if isinstance(exc.extra, list) else []
    return any(isinstance(item, dict) and item.get("source") in ("query", "header") for item in problems)


def _form_error(request: Request, exc: HTTPException) -> Response[ErrorBody]:
    """Say what the route expects: Litestar's own message names only what failed."""
    if exc.status_code != HTTP_400_BAD_REQUEST or _about_parameters(exc):
        return http_error(request, exc)
    return http_error(
        request,
        ClientException(f"expected multipart/form-data with the CSV file in the field 'file' ({exc.detail})"),
    )


@post(
    "/uploads",
    exception_handlers={ClientException: _form_error},
    middleware=[FormParts(allowed=frozenset({"file"}))],
    status_code=HTTP_201_CREATED,
    summary="Upload a CSV file of events",
    description=(
        "Validates every row. 201 with the counts and the first 100 row errors; 200 with `duplicate: true` "
        "when the same bytes (or the same Idempotency-Key) were uploaded before. With `strict=true`, any bad "
        "row rejects the whole file with 422 and nothing is stored."
    ),
)
async def upload(
    container: ContainerDependency,
    data: Annotated[UploadForm, Body(media_type=RequestEncodingType.MULTI_PART)],
    strict: FromQuery[bool] = False,
    idempotency_key: Annotated[str | None, HeaderParameter(name="Idempotency-Key", max_length=256)] = None,
) -> Response[UploadBody]:
    try:
        _check_media_type(data.file)
        outcome = await container.ingest_upload(
            Upload(data.file.file, data.file.filename, strict=strict, idempotency_key=idempotency_key)
        )
    finally:
        await data.file.close()
    return Response(
        UploadBody.of(outcome.batch, outcome.duplicate),
        status_code=HTTP_200_OK if outcome.duplicate else HTTP_201_CREATED,
        headers={"Location": f"/batches/{outcome.batch.id}"},
    )
