"""The query parameters that name a UTC day (``date``, ``from``, ``to``), read the same way by every route."""

from __future__ import annotations

from datetime import date

from litestar.exceptions import ValidationException
from litestar.params import QueryParameter

from event_service.domain import calendar_day


def day_parameter(name: str, description: str) -> QueryParameter:
    # Parsed by parse_day for clearer 400s than Litestar's, and published as what it is: a date, not a nullable string.
    return QueryParameter(
        name=name, description=description, schema_extra={"oneOf": None, "type": "string", "format": "date"}
    )


def parse_day(value: str | None, name: str = "date") -> date:
    """The day named by ``value``; a 400 that says what is expected otherwise (Litestar's own is less clear)."""
    if not value:
        raise ValidationException(f"query parameter '{name}' is required, as YYYY-MM-DD")
    parsed = calendar_day(value)
    if parsed is None:
        raise ValidationException(f"query parameter '{name}' must be a calendar day as YYYY-MM-DD, got {value!r}")
    return parsed
