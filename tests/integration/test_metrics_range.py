"""GET /metrics over a range of days through HTTP, with the worker in-process: every day listed, exact counts, and
a 400 in words for every malformed question; ``?date=`` keeps its contract."""

from __future__ import annotations

import pytest
from litestar.testing import AsyncTestClient

from tests.integration.helpers import SEED_CSV, eventually

NEXT_DAY = b"u1,refund,2025-11-14T10:00:00Z\nu2,refund,2025-11-14T11:00:00Z\nu3,signup,2025-11-14T12:00:00Z\n"


async def _processed(client: AsyncTestClient, content: bytes) -> None:
    batch_id = (await client.post("/uploads", files={"file": ("e.csv", content, "text/csv")})).json()["batch_id"]
    assert (await client.post(f"/batches/{batch_id}/process")).status_code == 202
    await eventually(lambda: client.get(f"/batches/{batch_id}"), lambda r: r.json()["status"] == "processed")


async def test_a_range_lists_every_day_in_order_with_its_counts(client: AsyncTestClient) -> None:
    await _processed(client, SEED_CSV + NEXT_DAY)
    response = await client.get("/metrics", params={"from": "2025-11-12", "to": "2025-11-15"})
    assert response.status_code == 200
    assert response.json() == {
        "from": "2025-11-12",
        "to": "2025-11-15",
        "days": [
            {"date": "2025-11-12", "metrics": {}},
            {"date": "2025-11-13", "metrics": {"signup": 120, "purchase": 30}},
            {"date": "2025-11-14", "metrics": {"refund": 2, "signup": 1}},
            {"date": "2025-11-15", "metrics": {}},
        ],
    }
    # The single day keeps its own shape.
    single = await client.get("/metrics", params={"date": "2025-11-14"})
    assert single.json() == {"date": "2025-11-14", "metrics": {"refund": 2, "signup": 1}}


async def test_a_range_of_one_day_and_of_the_longest_span(client: AsyncTestClient) -> None:
    one = (await client.get("/metrics?from=2024-02-29&to=2024-02-29")).json()
    assert one == {"from": "2024-02-29", "to": "2024-02-29", "days": [{"date": "2024-02-29", "metrics": {}}]}
    year = (await client.get("/metrics?from=2024-01-01&to=2024-12-31")).json()
    assert len(year["days"]) == 366
    assert (year["days"][0]["date"], year["days"][-1]["date"]) == ("2024-01-01", "2024-12-31")


@pytest.mark.parametrize(
    ("query", "message"),
    [
        ("", "query parameter 'date' is required, as YYYY-MM-DD (or 'from' and 'to' for a range)"),
        ("?date=2025-11-13&from=2025-11-13&to=2025-11-14", "give either 'date' or 'from' and 'to', not both"),
        ("?date=2025-11-13&to=2025-11-14", "give either 'date' or 'from' and 'to', not both"),
        ("?from=2025-11-13", "a range needs both 'from' and 'to', as YYYY-MM-DD"),
        ("?to=2025-11-13", "a range needs both 'from' and 'to', as YYYY-MM-DD"),
        ("?from=2025-11-14&to=2025-11-13", "'from' (2025-11-14) is after 'to' (2025-11-13)"),
        ("?from=2024-01-01&to=2025-01-01", "the range spans 367 days; at most 366 may be asked at once"),
        (
            "?from=2025-02-30&to=2025-03-01",
            "query parameter 'from' must be a calendar day as YYYY-MM-DD, got '2025-02-30'",
        ),
        ("?from=2025-11-01&to=20251102", "query parameter 'to' must be a calendar day as YYYY-MM-DD, got '20251102'"),
    ],
)
async def test_malformed_ranges_are_400_in_words(client: AsyncTestClient, query: str, message: str) -> None:
    response = await client.get(f"/metrics{query}")
    assert response.status_code == 400
    assert response.json() == {"status_code": 400, "message": message}


async def test_the_openapi_documents_both_forms(client: AsyncTestClient) -> None:
    schema = (await client.get("/schema/openapi.json")).json()
    operation = schema["paths"]["/metrics"]["get"]
    parameters = {p["name"]: p for p in operation["parameters"] if "$ref" not in p}
    assert set(parameters) == {"date", "from", "to"}
    for parameter in parameters.values():
        assert (parameter["required"], parameter["schema"]["type"], parameter["schema"]["format"]) == (
            False,
            "string",
            "date",
        )
        assert parameter["description"]
    answers = operation["responses"]["200"]["content"]["application/json"]["schema"]["oneOf"]
    assert {a["$ref"].rsplit("/", 1)[1] for a in answers} == {"MetricsBody", "MetricsRangeBody"}
    assert set(schema["components"]["schemas"]["MetricsRangeBody"]["properties"]) == {"from", "to", "days"}
    examples = operation["responses"]["400"]["content"]["application/json"]["examples"]
    assert {"invalid-date", "no-day", "both-forms", "half-range", "reversed-range", "range-too-long"} == set(examples)
