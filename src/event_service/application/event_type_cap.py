"""The service-wide cap on distinct event types (MAX_EVENT_TYPES), applied to an upload's chunks in file order.

Every per-type structure (a batch's counts, its contributions, a day's totals, a metrics answer) grows with the
number of types; the cap bounds them all. Chunks are parsed in parallel without it; only a chunk that brings types
past the cap is parsed again, in order, with the types known so far, so the first types of the file are the ones
admitted and the errors keep their row order.
"""

from __future__ import annotations

import asyncio
import functools

from event_service.domain import Header, ParsedChunk, TimestampBounds, parse_chunk


class EventTypeCap:
    def __init__(self, known: set[str], max_types: int) -> None:
        self._known = set(known)
        """The types in the store when the upload started, plus those this upload admitted so far."""
        self._max = max_types

    async def apply(
        self, parsed: ParsedChunk, data: bytes, header: Header, bounds: TimestampBounds, keep_events: bool
    ) -> ParsedChunk:
        """``parsed`` (the chunk ``data`` gave) with the rows of types past the cap moved to the rejected."""
        new = {event_type for per_type in parsed.counts.values() for event_type in per_type} - self._known
        if len(self._known) + len(new) > self._max:
            parse = functools.partial(
                parse_chunk,
                header=header,
                bounds=bounds,
                keep_events=keep_events,
                known_types=frozenset(self._known),
                max_types=self._max,
            )
            parsed = await asyncio.to_thread(parse, data)
            new = {event_type for per_type in parsed.counts.values() for event_type in per_type} - self._known
        self._known |= new
        return parsed
