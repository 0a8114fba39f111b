"""Text rules of the identifying fields: NFC normalization, and control characters refused with the column named."""

from __future__ import annotations

import pytest

from event_service.domain import RowError, parse_chunk, parse_header
from event_service.domain.events import _has_controls_but_line_breaks
from tests.unit.domain.support import BOUNDS, ingest

HEADER = b"event_id,user_id,event_type,timestamp,note\n"
NFC_CAFE = "caf\u00e9"
NFD_CAFE = "cafe\u0301"
STAMP = "2024-03-10T12:00:00Z"


def test_composed_and_decomposed_text_is_one_user_one_type_and_one_id() -> None:
    data = (
        HEADER
        + f"{NFC_CAFE},{NFC_CAFE},{NFC_CAFE},{STAMP},{NFD_CAFE}\n{NFD_CAFE},{NFD_CAFE},{NFD_CAFE},{STAMP},x\n".encode()
    )
    outcome = ingest(data)
    assert outcome.errors == []
    assert [(e.event_id, e.user_id, e.event_type) for e in outcome.events] == [(NFC_CAFE, NFC_CAFE, NFC_CAFE)] * 2
    assert outcome.report.counts == {"2024-03-10": {NFC_CAFE: 2}}
    # Other columns are kept as they were written.
    assert [e.properties for e in outcome.events] == [{"note": NFD_CAFE}, {"note": "x"}]


def test_length_limits_count_normalized_characters() -> None:
    # 128 decomposed é are 256 code points, but 128 characters once composed: within the event_type limit.
    decomposed = "e\u0301" * 128
    data = HEADER + f"e1,u1,{decomposed},{STAMP},\n".encode()
    outcome = ingest(data)
    assert outcome.errors == []
    assert outcome.events[0].event_type == "\u00e9" * 128


@pytest.mark.parametrize(
    ("row", "column", "code"),
    [
        ('e1,"u\x071",click,T,', "user_id", "0007"),
        ('e1,"u\t1",click,T,', "user_id", "0009"),
        ('e1,"multi\nline",click,T,', "user_id", "000A"),
        ('e1,"u\r1",click,T,', "user_id", "000D"),
        ('e1,u1,"cl\x00ick",T,', "event_type", "0000"),
        ('e1,u1,"cl\x7fick",T,', "event_type", "007F"),
        ('"e\x851",u1,click,T,', "event_id", "0085"),  # C1 (NEL) inside: strip() only trims it at the ends
        ('"e\x9f1",u1,click,T,', "event_id", "009F"),
    ],
)
def test_control_characters_are_refused_naming_the_column(row: str, column: str, code: str) -> None:
    outcome = ingest(HEADER + row.replace("T", STAMP, 1).encode() + b"\n")
    message = f"{column}: contains the control character U+{code}; control characters are not allowed"
    assert outcome.errors == [RowError(2, column, message)]
    assert (outcome.report.rows_total, outcome.report.rows_rejected, outcome.events) == (1, 1, [])


def test_every_reason_of_a_row_is_listed_in_column_order() -> None:
    outcome = ingest(HEADER + b'"e\x01",,"t\x02",soon,\n')
    assert [(error.column, error.message.split(":")[0]) for error in outcome.errors] == [
        ("user_id", "user_id"),
        ("event_type", "event_type"),
        ("timestamp", "timestamp"),
        ("event_id", "event_id"),
    ]
    assert outcome.errors[0].message == "user_id: is empty"


@pytest.mark.parametrize("value", ["a\u00a0b", "\U0001f468\u200d\U0001f469", "a\u2028b", "tab\tin the note"])
def test_other_unprintable_characters_are_accepted(value: str) -> None:
    # Only category Cc is refused: no-break spaces, joiners and separators are text; the note takes anything.
    user = value if "note" not in value else "u1"
    outcome = ingest(HEADER + f'e1,"{user}",click,{STAMP},"{value}"\n'.encode())
    assert outcome.errors == []
    assert outcome.events[0].user_id == user


def test_counting_without_events_applies_the_same_rules() -> None:
    rows = f'"e\x01",u1,click,{STAMP},\n{NFD_CAFE},u2,{NFD_CAFE},{STAMP},\n'.encode()
    header = parse_header(HEADER)
    counted = parse_chunk(rows, header, BOUNDS, keep_events=False)
    kept = parse_chunk(rows, header, BOUNDS)
    assert (counted.rows, counted.rejected, counted.errors, counted.counts) == (
        kept.rows,
        kept.rejected,
        kept.errors,
        kept.counts,
    )
    assert counted.counts == {"2024-03-10": {NFC_CAFE: 1}}


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("plain,ascii\r\nrows\n", False),
        ("caf\u00e9 \u00a3 \u00b0 \u65e5\n", False),  # £ and ° start with 0xC2 too: the exact check decides
        ("bell\x07\n", True),
        ("del\x7f\n", True),
        ("tab\t\n", True),
        ("nel\x85\n", True),
        ("csi\x9b\n", True),
    ],
)
def test_the_chunk_check_for_control_characters_is_exact(text: str, expected: bool) -> None:
    assert _has_controls_but_line_breaks(text.encode(), text) is expected
    assert _has_controls_but_line_breaks(b"\xc2\xff" + text.encode(), "\udcc2\udcff" + text) is expected
