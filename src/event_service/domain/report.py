"""The validation report of a whole file, built from its chunks in file order."""

from __future__ import annotations

from collections.abc import Iterable

import msgspec

from event_service.domain.aggregation import DailyCounts, merge_counts
from event_service.domain.errors import RowError
from event_service.domain.events import Event, ParsedChunk

FIRST_ERRORS = 100


class IngestReport(msgspec.Struct):
    """Counts, the first errors and the daily counts of a file. Add chunks in file order.

    ``rows_total == rows_accepted + rows_rejected + rows_duplicate``; ``counts`` covers the accepted rows only.
    """

    rows_total: int = 0
    rows_accepted: int = 0
    rows_rejected: int = 0
    rows_duplicate: int = 0
    """Valid rows not stored because their ``event_id`` already was (in this file or an earlier one)."""
    errors_total: int = 0
    first_errors: list[RowError] = msgspec.field(default_factory=list)
    counts: DailyCounts = msgspec.field(default_factory=dict)
    records_seen: int = 1
    """CSV records read so far, the header's included: the row number before the next chunk's first record."""

    def add(self, chunk: ParsedChunk) -> list[RowError]:
        """Fold ``chunk`` in and return its errors numbered as rows of the whole file."""
        offset = self.records_seen
        errors = [RowError(error.row + offset, error.column, error.message) for error in chunk.errors]
        self.records_seen += chunk.records
        self.rows_total += chunk.rows
        self.rows_rejected += chunk.rejected
        self.rows_accepted += chunk.rows - chunk.rejected
        self.errors_total += len(errors)
        room = FIRST_ERRORS - len(self.first_errors)
        if room > 0:
            self.first_errors.extend(errors[:room])
        merge_counts(self.counts, chunk.counts)
        return errors

    def drop_duplicates(self, duplicates: Iterable[Event]) -> None:
        """Move valid events that were already stored from the accepted rows and the counts to ``rows_duplicate``."""
        for event in duplicates:
            per_type = self.counts[event.day]
            per_type[event.event_type] -= 1
            if not per_type[event.event_type]:
                del per_type[event.event_type]
                if not per_type:
                    del self.counts[event.day]
            self.rows_accepted -= 1
            self.rows_duplicate += 1
