"""The csv-free fast path splits records exactly as the csv module would, or declines."""

from __future__ import annotations

import csv
import io

from hypothesis import given, settings
from hypothesis import strategies as st

from event_service.domain.events import _plain_records

PIECES = st.sampled_from(["a", "é", ",", " ", "\n", "\r", "\r\n", '"', "\x00"])
TEXT = st.lists(PIECES, max_size=40).map("".join)


@settings(max_examples=400, database=None)
@given(TEXT)
def test_the_fast_path_agrees_with_the_csv_module_whenever_it_is_taken(text: str) -> None:
    records = _plain_records(text)
    if records is not None:
        # An empty line is [] to the csv module and [""] here: the parser skips both as blank.
        assert [fields if fields != [""] else [] for fields in records] == list(
            csv.reader(io.StringIO(text, newline=""))
        )


def test_the_fast_path_is_taken_for_files_without_quotes_whatever_their_line_endings() -> None:
    assert list(_plain_records("a,b\r\nc,d\r\n") or []) == [["a", "b"], ["c", "d"]]
    assert list(_plain_records("a\rb\n\r\r\nc") or []) == [["a"], ["b"], [""], [""], ["c"]]
    assert list(_plain_records("a,b\n\nc") or []) == [["a", "b"], [""], ["c"]]
    assert _plain_records('a,"b"\n') is None
    assert _plain_records("a\x00b\n") is None
    assert _plain_records("x" * (csv.field_size_limit() + 1)) is None
