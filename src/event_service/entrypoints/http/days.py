"""The ``date`` query parameter shared by the routes that take a UTC day."""

from __future__ import annotations

from datetime import date
from typing import Annotated

from litestar.exceptions import ValidationException
from litestar.params import QueryParameter

from event_service.domain import calendar_day

DayParameter = Annotated[
    str | None,
    # Parsed by parse_day for a clearer 400 than Litestar's, and published as what it is: a date, not a nullable string.
    QueryParameter(
        name="date",
        description="a UTC calendar day, YYYY-MM-DD",
        schema_extra={"oneOf": None, "type": "string", "format": "date"},
    ),
]


def parse_day(value: str | None) -> date:
    """The day named by ``value``; a 400 that says what is expected otherwise (Litestar's own is less clear)."""
    if not value:
        raise ValidationException("query parameter 'date' is required, as YYYY-MM-DD")
    parsed = calendar_day(value)
    if parsed is None:
        raise ValidationException(f"query parameter 'date' must be a calendar day as YYYY-MM-DD, got {value!r}")
    return parsed
