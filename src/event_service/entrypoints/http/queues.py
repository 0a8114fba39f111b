"""Admin routes over the job queues and their dead letters (Bearer token)."""

from __future__ import annotations

from typing import Annotated

from litestar import Controller, delete, get, post
from litestar.params import FromPath, QueryParameter
from litestar.status_codes import HTTP_202_ACCEPTED, HTTP_204_NO_CONTENT

from event_service.adapters.redis import DeadLetterRecord
from event_service.entrypoints.http.dependencies import UseCasesDependency
from event_service.entrypoints.http.guards import admin_guard
from event_service.entrypoints.http.openapi import (
    ADMIN_DISABLED,
    ADMIN_SECURITY,
    CSRF_REFUSED,
    DEAD_LETTER_NOT_FOUND,
    INVALID_PAGE,
    QUEUE_NOT_FOUND,
    UNAUTHORIZED,
    UNAVAILABLE,
    DocumentedOperation,
    failures,
)
from event_service.entrypoints.http.paging import Offset
from event_service.entrypoints.http.schemas import DeadLettersBody, PurgedBody, QueuesBody, RetriedBody


class QueueController(Controller):
    path = "/queues"
    guards = [admin_guard]
    tags = ["admin"]
    security = ADMIN_SECURITY

    @get(
        operation_id="listQueues",
        operation_class=DocumentedOperation,
        responses=failures(UNAUTHORIZED, ADMIN_DISABLED, UNAVAILABLE),
        summary="Every queue with its queued, active, scheduled, failed and dead-letter counts",
    )
    async def queues(self, use_cases: UseCasesDependency) -> QueuesBody:
        return QueuesBody(queues=await use_cases.list_queues())

    @get(
        "/{name:str}/dlq",
        operation_id="listDeadLetters",
        operation_class=DocumentedOperation,
        responses=failures(INVALID_PAGE, UNAUTHORIZED, QUEUE_NOT_FOUND, ADMIN_DISABLED, UNAVAILABLE),
        summary="Jobs that exhausted their retries or failed permanently, newest first",
    )
    async def dead_letters(
        self,
        use_cases: UseCasesDependency,
        name: FromPath[str],
        offset: Offset = 0,
        limit: Annotated[int, QueryParameter(ge=1, le=500)] = 50,
    ) -> DeadLettersBody:
        entries, total = await use_cases.dead_letters.list(name, offset, limit)
        return DeadLettersBody(
            queue=name,
            total=total,
            offset=offset,
            limit=limit,
            failed_jobs=[DeadLetterRecord.of(entry) for entry in entries],
        )

    @get(
        "/{name:str}/dlq/{entry_id:str}",
        operation_id="getDeadLetter",
        operation_class=DocumentedOperation,
        responses=failures(UNAUTHORIZED, QUEUE_NOT_FOUND, DEAD_LETTER_NOT_FOUND, ADMIN_DISABLED, UNAVAILABLE),
        summary="One dead letter, with the tail of its traceback",
    )
    async def dead_letter(
        self, use_cases: UseCasesDependency, name: FromPath[str], entry_id: FromPath[str]
    ) -> DeadLetterRecord:
        return DeadLetterRecord.of(await use_cases.dead_letters.get(name, entry_id))

    @post(
        "/{name:str}/dlq/{entry_id:str}/retry",
        status_code=HTTP_202_ACCEPTED,
        operation_id="retryDeadLetter",
        operation_class=DocumentedOperation,
        responses=failures(
            UNAUTHORIZED, CSRF_REFUSED, QUEUE_NOT_FOUND, DEAD_LETTER_NOT_FOUND, ADMIN_DISABLED, UNAVAILABLE
        ),
        summary="Run the dead letter's job again, with fresh attempts",
        description="The entry leaves the dead-letter queue only once the job is enqueued: if the queue cannot be "
        "reached the answer is 503 and the entry stays.",
    )
    async def retry(self, use_cases: UseCasesDependency, name: FromPath[str], entry_id: FromPath[str]) -> RetriedBody:
        retried = await use_cases.dead_letters.retry(name, entry_id)
        job = retried.job
        return RetriedBody(
            queue=name, dead_letter_id=entry_id, job_key=job.key, job_status=job.status, created=job.created
        )

    @delete(
        "/{name:str}/dlq/{entry_id:str}",
        status_code=HTTP_204_NO_CONTENT,
        operation_id="deleteDeadLetter",
        operation_class=DocumentedOperation,
        responses=failures(
            UNAUTHORIZED, CSRF_REFUSED, QUEUE_NOT_FOUND, DEAD_LETTER_NOT_FOUND, ADMIN_DISABLED, UNAVAILABLE
        ),
        summary="Drop one dead letter",
    )
    async def delete_dead_letter(
        self, use_cases: UseCasesDependency, name: FromPath[str], entry_id: FromPath[str]
    ) -> None:
        await use_cases.dead_letters.delete(name, entry_id)

    @delete(
        "/{name:str}/dlq",
        status_code=200,
        operation_id="purgeDeadLetters",
        operation_class=DocumentedOperation,
        responses=failures(UNAUTHORIZED, CSRF_REFUSED, QUEUE_NOT_FOUND, ADMIN_DISABLED, UNAVAILABLE),
        summary="Drop every dead letter of the queue",
    )
    async def purge(self, use_cases: UseCasesDependency, name: FromPath[str]) -> PurgedBody:
        return PurgedBody(queue=name, purged=await use_cases.dead_letters.purge(name))
