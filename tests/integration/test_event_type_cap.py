"""MAX_EVENT_TYPES through HTTP on the SQLite store: the types already stored count towards the cap."""

from __future__ import annotations

from litestar.testing import AsyncTestClient


def _file(types: list[str]) -> dict:
    rows = "".join(f"u{n},{event_type},2025-11-13T10:00:00Z\n" for n, event_type in enumerate(types))
    return {"file": ("types.csv", ("user_id,event_type,timestamp\n" + rows).encode(), "text/csv")}


async def test_a_fresh_store_accepts_1000_types_and_refuses_the_rest(client: AsyncTestClient) -> None:
    first = (await client.post("/uploads", files=_file([f"type{n}" for n in range(1005)]))).json()
    assert (first["rows_accepted"], first["rows_rejected"]) == (1000, 5)
    assert [(error["row"], error["message"]) for error in first["errors"]] == [
        (
            1002 + n,
            f'event_type: "type{1000 + n}" would be event type 1,001; this service accepts at most 1,000 distinct '
            "event types (MAX_EVENT_TYPES)",
        )
        for n in range(5)
    ]
    second = (await client.post("/uploads", files=_file(["type0", "newcomer", "type999"]))).json()
    assert (second["rows_accepted"], second["rows_rejected"]) == (2, 1)
    assert [(error["row"], error["column"]) for error in second["errors"]] == [(3, "event_type")]
