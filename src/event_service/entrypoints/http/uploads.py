"""POST /uploads: a CSV (or gzip CSV) file in the multipart field ``file``."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Annotated, BinaryIO, cast

from litestar import Request, Response, post
from litestar.datastructures import UploadFile
from litestar.enums import RequestEncodingType
from litestar.exceptions import ClientException, HTTPException
from litestar.openapi.datastructures import ResponseSpec
from litestar.openapi.spec import Example
from litestar.params import Body, HeaderParameter, QueryParameter
from litestar.status_codes import HTTP_200_OK, HTTP_201_CREATED, HTTP_400_BAD_REQUEST, HTTP_422_UNPROCESSABLE_ENTITY

from event_service.application.errors import UnsupportedFile
from event_service.application.ingest_upload import Upload
from event_service.entrypoints import telemetry
from event_service.entrypoints.http.dependencies import UseCasesDependency
from event_service.entrypoints.http.errors import http_error
from event_service.entrypoints.http.form_parts import FormParts
from event_service.entrypoints.http.openapi import RATE_LIMITED, UNAVAILABLE, Failure, UploadOperation, failures
from event_service.entrypoints.http.schemas import ErrorBody, UploadBody, UploadRejected

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
_EXAMPLE_CSV = (
    "user_id,event_type,timestamp\n"
    "u1,signup,2025-11-13T08:00:00Z\n"
    "u2,purchase,2025-11-13 09:30:00.250\n"
    "u3,signup,1763026200\n"
)


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


def _undecodable_form(request: Request, _: UnicodeDecodeError) -> Response[ErrorBody]:
    """Litestar reads a part sent without a filename as a text field, and fails on bytes that are not UTF-8."""
    return _form_error(request, ClientException("a form part without a filename is not UTF-8 text"))


_FAILURES = failures(
    Failure(
        400,
        "no-file-part",
        "the body is not multipart/form-data with a file in the field `file`",
        "expected multipart/form-data with the CSV file in the field 'file' (Missing required field: file)",
    ),
    Failure(
        400,
        "invalid-parameter",
        "`strict` is not a boolean, or `Idempotency-Key` is over 256 characters",
        "Validation failed for POST /uploads?strict=maybe: strict: Expected `bool`, got `str`",
    ),
    Failure(
        413,
        "too-large",
        "the file, once decompressed, is over MAX_UPLOAD_BYTES",
        "the file is larger than 104857600 bytes once decompressed",
    ),
    Failure(
        415,
        "not-csv",
        "the file part is neither CSV text nor gzip CSV, or the body's Content-Encoding is not gzip",
        "the file part is 'image/png'; send text/csv or application/gzip (a .csv or .csv.gz file)",
    ),
    Failure(
        422,
        "missing-column",
        "the header lacks a required column",
        'header lacks required column timestamp; found "user_id", "event_type"',
    ),
    Failure(422, "no-data-rows", "the file has no data rows", "the file has a header but no data rows"),
    Failure(
        422,
        "corrupt-gzip",
        "the gzip file cannot be decompressed",
        "the gzip stream is corrupt: Not a gzipped file (b'us')",
    ),
    Failure(
        422,
        "strict-rejected",
        "`strict=true` and some rows are invalid: nothing is stored, and the body names the rows",
        "strict mode: 2 of 150 rows are invalid; nothing was stored",
    ),
    Failure(
        422,
        "idempotency-key-reused",
        "the Idempotency-Key was used before for a different file",
        "Idempotency-Key 'k1' was used for a different file (batch 0b7c5e0e)",
    ),
    RATE_LIMITED,
    UNAVAILABLE,
    Failure(
        503,
        "claim-swept",
        "the upload took longer than INGEST_TIMEOUT and its batch was swept: nothing was kept; upload again",
        "batch 0b7c5e0e took longer than the ingest timeout and was swept; upload the file again",
    ),
    bodies={HTTP_422_UNPROCESSABLE_ENTITY: UploadRejected},
)


@post(
    "/uploads",
    exception_handlers={ClientException: _form_error, UnicodeDecodeError: _undecodable_form},
    middleware=[FormParts(allowed=frozenset({"file"}))],
    status_code=HTTP_201_CREATED,
    operation_id="uploadFile",
    operation_class=UploadOperation,
    tags=["uploads"],
    summary="Upload a CSV file of events",
    description=(
        "Validates every row. 201 with the counts and the first 100 row errors; 200 with `duplicate: true` "
        "when the same bytes (or the same Idempotency-Key) were uploaded before. With `strict=true`, any bad "
        "row rejects the whole file with 422 and nothing is stored. The body may be sent with "
        "`Content-Encoding: gzip`, and the file itself may be gzip CSV."
    ),
    response_description="The batch was stored; Location says where it is.",
    responses={
        HTTP_200_OK: ResponseSpec(
            UploadBody,
            description="The same file (same bytes, or the same Idempotency-Key) was uploaded before: that batch, "
            "with `duplicate: true`; nothing was stored again.",
            generate_examples=False,
        ),
        **_FAILURES,
    },
)
async def upload(
    use_cases: UseCasesDependency,
    data: Annotated[
        UploadForm,
        Body(
            media_type=RequestEncodingType.MULTI_PART,
            description="The CSV file (or gzip CSV) in the field `file`: a header naming `user_id`, `event_type` and "
            "`timestamp` (optional `event_id`; other columns are kept as properties), then one event per row.",
            examples=[Example(summary="a small CSV file", value={"file": _EXAMPLE_CSV})],
        ),
    ],
    strict: Annotated[
        bool, QueryParameter(description="reject the whole file (422, nothing stored) if any row is invalid")
    ] = False,
    idempotency_key: Annotated[
        str | None,
        HeaderParameter(
            name="Idempotency-Key",
            max_length=256,
            description="A key of the client's choosing: a retry with the same key answers the first upload's "
            "batch (200, `duplicate: true`) instead of storing the file again.",
        ),
    ] = None,
) -> Response[UploadBody]:
    try:
        _check_media_type(data.file)
        outcome = await use_cases.ingest_upload(
            Upload(cast(BinaryIO, data.file.file), data.file.filename, strict=strict, idempotency_key=idempotency_key)
        )
    finally:
        await data.file.close()
    telemetry.record_upload(outcome.batch, outcome.duplicate)
    return Response(
        UploadBody.of(outcome.batch, outcome.duplicate),
        status_code=HTTP_200_OK if outcome.duplicate else HTTP_201_CREATED,
        headers={"Location": f"/batches/{outcome.batch.id}"},
    )
