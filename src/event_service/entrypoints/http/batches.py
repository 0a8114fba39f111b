"""Batch status, row errors, and the request to process a batch."""

from __future__ import annotations

from typing import Annotated

from litestar import Controller, Response, get, post
from litestar.openapi.datastructures import ResponseSpec
from litestar.params import FromPath, QueryParameter
from litestar.status_codes import HTTP_200_OK, HTTP_202_ACCEPTED

from event_service.entrypoints.http.dependencies import UseCasesDependency
from event_service.entrypoints.http.openapi import (
    BATCH_NOT_FOUND,
    INVALID_PAGE,
    RATE_LIMITED,
    UNAVAILABLE,
    DocumentedOperation,
    Failure,
    failures,
)
from event_service.entrypoints.http.paging import Offset
from event_service.entrypoints.http.schemas import (
    BatchBody,
    BatchesPageBody,
    ErrorsPageBody,
    ProcessBody,
    ProcessedBody,
)


class BatchController(Controller):
    path = "/batches/{batch_id:str}"
    tags = ["batches"]

    @get(
        operation_id="getBatch",
        operation_class=DocumentedOperation,
        summary="A batch's status, counts and timestamps",
        responses=failures(BATCH_NOT_FOUND, UNAVAILABLE),
    )
    async def get_batch(self, use_cases: UseCasesDependency, batch_id: FromPath[str]) -> BatchBody:
        return BatchBody.of(await use_cases.get_batch(batch_id))

    @get(
        "/errors",
        operation_id="listBatchErrors",
        operation_class=DocumentedOperation,
        summary="Page through a batch's row errors, in row order",
        responses=failures(INVALID_PAGE, BATCH_NOT_FOUND, UNAVAILABLE),
    )
    async def list_errors(
        self,
        use_cases: UseCasesDependency,
        batch_id: FromPath[str],
        offset: Offset = 0,
        limit: Annotated[int, QueryParameter(ge=1, le=1000)] = 100,
    ) -> ErrorsPageBody:
        page = await use_cases.get_batch.errors(batch_id, offset, limit)
        return ErrorsPageBody(
            batch_id=batch_id,
            offset=offset,
            limit=limit,
            errors_total=page.batch.errors_total,
            errors_stored=page.stored,
            errors=page.errors,
        )


@get(
    "/batches",
    tags=["batches"],
    operation_id="listBatches",
    operation_class=DocumentedOperation,
    summary="The latest batches first, a page at a time",
    responses=failures(INVALID_PAGE, UNAVAILABLE),
)
async def list_batches(
    use_cases: UseCasesDependency,
    offset: Offset = 0,
    limit: Annotated[int, QueryParameter(ge=1, le=500)] = 50,
) -> BatchesPageBody:
    total, batches = await use_cases.get_batch.recent(offset, limit)
    return BatchesPageBody(total=total, offset=offset, limit=limit, batches=[BatchBody.of(b) for b in batches])


@post(
    "/batches/{batch_id:str}/process",
    status_code=HTTP_202_ACCEPTED,
    tags=["batches"],
    operation_id="processBatch",
    operation_class=DocumentedOperation,
    summary="Process a batch into the daily metrics in the background",
    description="Idempotent: asking again while it is queued or running returns the same job (202, same "
    "`job_key`), and processing twice never counts twice. Once processed the answer is 200 "
    '`{"status": "processed"}` and nothing is enqueued, unless `?force=true`.',
    response_description="The batch's job is queued (or was already queued or running: the same job).",
    responses={
        HTTP_200_OK: ResponseSpec(
            ProcessedBody, description="Already processed; nothing was enqueued", generate_examples=False
        ),
        **failures(
            Failure(
                400,
                "invalid-force",
                "`force` is not a boolean",
                "Validation failed for POST /batches/0b7c5e0e/process?force=maybe: force: Expected `bool`, got `str`",
            ),
            BATCH_NOT_FOUND,
            Failure(
                409,
                "batch-ingesting",
                "the batch's upload is still storing its rows (status `ingesting`)",
                "batch 0b7c5e0e is still being uploaded (status ingesting); process it once it is uploaded",
            ),
            RATE_LIMITED,
            UNAVAILABLE,
        ),
    },
)
async def request_processing(
    use_cases: UseCasesDependency,
    batch_id: FromPath[str],
    force: Annotated[bool, QueryParameter(description="process again even if already processed")] = False,
) -> Response[ProcessBody | ProcessedBody]:
    requested = await use_cases.request_processing(batch_id, force=force)
    if requested.job is None:
        return Response(ProcessedBody(status=requested.status, batch_id=batch_id), status_code=HTTP_200_OK)
    return Response(
        ProcessBody(status=requested.status, batch_id=batch_id, job_key=requested.job.key),
        status_code=HTTP_202_ACCEPTED,
    )
