"""Domain values for what went wrong, and the exceptions the domain raises."""

from __future__ import annotations

import msgspec


class RowError(msgspec.Struct, frozen=True):
    """One reason a CSV record was rejected. ``column`` is None for record-level faults."""

    row: int
    column: str | None
    message: str


class DomainError(Exception):
    """Base class of the domain's exceptions: each carries a human message."""


class InvalidHeader(DomainError):
    """The header record lacks a required column or cannot be read."""


class NoDataRows(DomainError):
    """The file holds a header but no data record."""
