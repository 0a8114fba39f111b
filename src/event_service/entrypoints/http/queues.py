"""Admin routes over the job queues (Bearer token)."""

from __future__ import annotations

from typing import Annotated

from litestar import Controller, get
from litestar.params import FromPath, QueryParameter

from event_service.entrypoints.http.dependencies import ContainerDependency
from event_service.entrypoints.http.guards import admin_guard
from event_service.entrypoints.http.schemas import DeadLettersBody


class QueueController(Controller):
    path = "/queues/{name:str}"
    guards = [admin_guard]
    tags = ["admin"]
    security = [{"BearerToken": []}]

    @get("/dlq", summary="Jobs that exhausted their retries or failed permanently, newest first")
    async def dead_letters(
        self,
        container: ContainerDependency,
        name: FromPath[str],
        offset: Annotated[int, QueryParameter(ge=0)] = 0,
        limit: Annotated[int, QueryParameter(ge=1, le=500)] = 50,
    ) -> DeadLettersBody:
        entries, total = await container.list_dead_letters(name, offset, limit)
        return DeadLettersBody(queue=name, total=total, offset=offset, limit=limit, failed_jobs=entries)
