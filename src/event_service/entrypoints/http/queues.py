"""Admin routes over the job queues and their dead letters (Bearer token)."""

from __future__ import annotations

from typing import Annotated

from litestar import Controller, delete, get, post
from litestar.params import FromPath, QueryParameter
from litestar.status_codes import HTTP_202_ACCEPTED, HTTP_204_NO_CONTENT

from event_service.application.ports import DeadLetter
from event_service.entrypoints.http.dependencies import ContainerDependency
from event_service.entrypoints.http.guards import admin_guard
from event_service.entrypoints.http.paging import Offset
from event_service.entrypoints.http.schemas import DeadLettersBody, PurgedBody, QueuesBody, RetriedBody


class QueueController(Controller):
    path = "/queues"
    guards = [admin_guard]
    tags = ["admin"]
    security = [{"BearerToken": []}]

    @get(summary="Every queue with its queued, active, scheduled, failed and dead-letter counts")
    async def queues(self, container: ContainerDependency) -> QueuesBody:
        return QueuesBody(queues=await container.list_queues())

    @get("/{name:str}/dlq", summary="Jobs that exhausted their retries or failed permanently, newest first")
    async def dead_letters(
        self,
        container: ContainerDependency,
        name: FromPath[str],
        offset: Offset = 0,
        limit: Annotated[int, QueryParameter(ge=1, le=500)] = 50,
    ) -> DeadLettersBody:
        entries, total = await container.list_dead_letters(name, offset, limit)
        return DeadLettersBody(queue=name, total=total, offset=offset, limit=limit, failed_jobs=entries)

    @get("/{name:str}/dlq/{entry_id:str}", summary="One dead letter, with the tail of its traceback")
    async def dead_letter(
        self, container: ContainerDependency, name: FromPath[str], entry_id: FromPath[str]
    ) -> DeadLetter:
        return await container.get_dead_letter(name, entry_id)

    @post(
        "/{name:str}/dlq/{entry_id:str}/retry",
        status_code=HTTP_202_ACCEPTED,
        summary="Run the dead letter's job again, with fresh attempts",
        description="The entry leaves the dead-letter queue only once the job is enqueued: if the queue cannot be "
        "reached the answer is 503 and the entry stays.",
    )
    async def retry(self, container: ContainerDependency, name: FromPath[str], entry_id: FromPath[str]) -> RetriedBody:
        retried = await container.retry_dead_letter(name, entry_id)
        job = retried.job
        return RetriedBody(
            queue=name, dead_letter_id=entry_id, job_key=job.key, job_status=job.status, created=job.created
        )

    @delete("/{name:str}/dlq/{entry_id:str}", status_code=HTTP_204_NO_CONTENT, summary="Drop one dead letter")
    async def delete_dead_letter(
        self, container: ContainerDependency, name: FromPath[str], entry_id: FromPath[str]
    ) -> None:
        await container.delete_dead_letter(name, entry_id)

    @delete(
        "/{name:str}/dlq",
        status_code=200,
        summary="Drop every dead letter of the queue",
    )
    async def purge(self, container: ContainerDependency, name: FromPath[str]) -> PurgedBody:
        return PurgedBody(queue=name, purged=await container.purge_dead_letters(name))
