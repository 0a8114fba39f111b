"""Counts of events per (UTC day, event type), as partial aggregates that merge."""

from __future__ import annotations

from collections.abc import Iterable, Mapping

DailyCounts = dict[str, dict[str, int]]
"""``{"YYYY-MM-DD": {event_type: count}}``."""


def merge_counts(target: DailyCounts, other: Mapping[str, Mapping[str, int]]) -> DailyCounts:
    """Add ``other`` into ``target`` in place and return it."""
    for day, per_type in other.items():
        bucket = target.setdefault(day, {})
        for event_type, count in per_type.items():
            bucket[event_type] = bucket.get(event_type, 0) + count
    return target


def sum_type_counts(parts: Iterable[Mapping[str, int]]) -> dict[str, int]:
    """Totals per event type of several partial counts for one day."""
    totals: dict[str, int] = {}
    for part in parts:
        for event_type, count in part.items():
            totals[event_type] = totals.get(event_type, 0) + count
    return totals
