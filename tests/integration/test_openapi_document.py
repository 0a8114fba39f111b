"""docs/openapi.json: current, valid OpenAPI, and every operation names itself and documents how it fails."""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from typing import Any

from litestar.testing import AsyncTestClient
from openapi_spec_validator import validate

from event_service.entrypoints.bootstrap import Service
from event_service.entrypoints.http.app import create_app
from event_service.entrypoints.http.openapi_dump import DOCUMENT, render

REGENERATE = "uv run python -m event_service.entrypoints.http.openapi_dump"
HOW = "give its handler operation_class=DocumentedOperation and responses=failures(...) (http/openapi.py)"
ERROR_SCHEMAS = {
    "#/components/schemas/Error",
    "#/components/schemas/UploadRejected",
    "#/components/schemas/NotReadyBody",
}


def _document() -> dict[str, Any]:
    return json.loads(DOCUMENT.read_text(encoding="utf-8"))


def _operations(document: dict[str, Any]) -> Iterator[tuple[str, dict[str, Any]]]:
    for path, item in document["paths"].items():
        for method, operation in item.items():
            yield f"{method.upper()} {path}", operation


def _json_schema(response: dict[str, Any]) -> dict[str, Any]:
    return response.get("content", {}).get("application/json", {}).get("schema", {})


async def test_the_committed_document_is_the_one_the_app_serves(client: AsyncTestClient) -> None:
    served = (await client.get("/schema/openapi.json")).json()
    assert DOCUMENT.read_text(encoding="utf-8") == render(served), f"docs/openapi.json is stale: run `{REGENERATE}`"


def test_the_document_is_valid_openapi() -> None:
    validate(_document())


def test_every_operation_has_a_readable_unique_operation_id() -> None:
    ids = [operation.get("operationId", "") for _, operation in _operations(_document())]
    unreadable = [operation_id for operation_id in ids if not re.fullmatch(r"[a-z]+(?:[A-Z][a-z]+)*", operation_id)]
    assert not unreadable, f"set operation_id='verbNoun' on the handlers of {unreadable}"
    assert len(set(ids)) == len(ids), ids


def test_every_operation_that_takes_input_documents_a_client_error_with_the_error_body() -> None:
    for label, operation in _operations(_document()):
        own_parameters = [p for p in operation.get("parameters", []) if "$ref" not in p]
        if not (own_parameters or "requestBody" in operation or operation.get("security")):
            continue  # nothing a client sends can be wrong: /health
        client_errors = [
            _json_schema(response).get("$ref")
            for status, response in operation["responses"].items()
            if status.startswith("4")
        ]
        assert "#/components/schemas/Error" in client_errors, f"{label} documents no 4xx with the Error schema: {HOW}"


def test_every_error_response_is_the_error_body_the_service_sends() -> None:
    document = _document()
    for label, operation in _operations(document):
        for status, response in operation["responses"].items():
            if status[0] in "45":
                assert _json_schema(response).get("$ref") in ERROR_SCHEMAS, f"{label} {status}: {HOW}"
                assert response["content"]["application/json"].get("examples"), f"{label} {status} has no example"
    schemas = document["components"]["schemas"]
    assert schemas["Error"]["required"] == ["message", "status_code"]
    assert set(schemas["Error"]["properties"]) == {"status_code", "message"}
    # The upload's 422 is an Error with more fields, never fewer.
    assert set(schemas["Error"]["properties"]) <= set(schemas["UploadRejected"]["properties"])
    assert schemas["UploadRejected"]["required"] == ["message", "status_code"]
    # So is /-/ready's 503, which also names each dependency's check.
    assert set(schemas["Error"]["properties"]) <= set(schemas["NotReadyBody"]["properties"])


def _required_headers(document: dict[str, Any], response: dict[str, Any]) -> set[str]:
    shared = document["components"]["headers"]
    headers = {
        name: shared[header["$ref"].rsplit("/", 1)[1]] if "$ref" in header else header
        for name, header in response.get("headers", {}).items()
    }
    return {name.lower() for name, header in headers.items() if header.get("required")}


async def test_a_rate_limited_route_sends_the_headers_its_document_promises(service: Service) -> None:
    """schemathesis never reaches a limit; this sends past one and compares the headers with the document."""
    service.settings.process_rate_limit = 1
    responses = _document()["paths"]["/batches/{batch_id}/process"]["post"]["responses"]
    async with AsyncTestClient(app=create_app(service)) as client:
        answers = [await client.post("/batches/nope/process") for _ in range(2)]
    assert [answer.status_code for answer in answers] == [404, 429]
    promised = [_required_headers(_document(), responses[str(answer.status_code)]) for answer in answers]
    limits = {"ratelimit-limit", "ratelimit-remaining", "ratelimit-reset", "ratelimit-policy", "retry-after"}
    # The limiter's own 429 is answered outside the request-id middleware (see DocumentedOperation).
    assert promised == [limits | {"x-request-id"}, limits]
    for answer, headers in zip(answers, promised, strict=True):
        assert headers <= set(answer.headers), answer.status_code
        assert set(answer.json()) == {"status_code", "message"}
