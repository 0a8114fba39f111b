"""schemathesis drives every operation of the app from its own OpenAPI document: no 5xx, and every answer (status,
headers, body) is one the document lists.

The document is the committed docs/openapi.json, which test_openapi_document proves equal to what the app serves;
loading it from the file gives one test per operation at collection time, before any app exists.
"""

from __future__ import annotations

from collections.abc import Iterator

import pytest
import schemathesis
from hypothesis import HealthCheck, settings
from litestar import Litestar
from litestar.types import Receive, Scope, Send
from schemathesis.auths import AuthContext
from schemathesis.python.asgi import HOST, shutdown_lifespans
from schemathesis.specs.openapi.checks import allow_header_conformance, positive_data_acceptance

from event_service.entrypoints.bootstrap import Service
from event_service.entrypoints.http.app import create_app
from event_service.entrypoints.http.openapi_dump import DOCUMENT
from tests.integration.conftest import ADMIN_TOKEN


class CurrentApp:
    """The app under test, behind one ASGI callable that exists before any test: the schema's operations, made at
    collection, keep the app they were made with, and each test builds its own app on its own Redis database."""

    def __init__(self) -> None:
        self.app: Litestar | None = None

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        assert self.app is not None, "only the app fixture's tests send requests"
        await self.app(scope, receive, send)


current = CurrentApp()
schema = schemathesis.openapi.from_path(DOCUMENT)
schema.app = current
schema.config.update(base_url=f"http://{HOST}")
# The same examples on every run, and no query parameters the document does not name (the routes ignore those).
schema.config.generation.update(deterministic=True, allow_extra_parameters=False)

NOT_CHECKED = [
    # Litestar's automatic OPTIONS answer lists the methods of the first handler registered on a path only
    # (GET /queues/{name}/dlq says `Allow: GET, OPTIONS` though DELETE is served too): not this service's schema.
    allow_header_conformance,
]
NOT_CHECKED_ON = {
    # The schema can say "a file" but not "a CSV file": schema-valid random bytes are rightly refused (415, 422).
    "/uploads": [positive_data_acceptance],
    # `date`, or `from` and `to`: OpenAPI cannot say that one of two sets of query parameters is required, so `date`
    # is optional in the document and a request with neither is schema-valid, and rightly refused (400).
    "/metrics": [positive_data_acceptance],
}


@schema.auth(retry_on=[])
class AdminToken:
    """The admin token on every request, as an auth provider: the checks' probes without it then say whether the
    admin routes refuse such requests."""

    def get(self, case: schemathesis.Case, ctx: AuthContext) -> str:
        return ADMIN_TOKEN

    def set(self, case: schemathesis.Case, data: str, ctx: AuthContext) -> None:
        case.headers = {**(case.headers or {}), "Authorization": f"Bearer {data}"}


@pytest.fixture
def app(service: Service) -> Iterator[Litestar]:
    current.app = create_app(service)
    yield current.app
    current.app = None
    # schemathesis keeps a started app running until the process exits; its in-process worker would then take
    # the jobs of later tests that share this Redis database.
    shutdown_lifespans()


@schema.parametrize()
@settings(max_examples=25, deadline=None, suppress_health_check=list(HealthCheck))
def test_every_operation_conforms_to_the_document(case: schemathesis.Case, app: Litestar) -> None:
    excluded = NOT_CHECKED + NOT_CHECKED_ON.get(case.operation.path, [])
    case.call_and_validate(excluded_checks=excluded)
