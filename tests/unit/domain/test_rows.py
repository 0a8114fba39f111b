"""Row rules over whole files: encoding, line endings, blank lines, quoting, field checks and row numbers."""

from __future__ import annotations

import pytest

from event_service.domain import Event, RowError, parse_chunk, parse_header, utc_day
from event_service.domain.events import MAX_EVENT_TYPE_LENGTH, MAX_USER_ID_LENGTH
from tests.unit.domain.support import BOUNDS, HEADER_LINE, ingest, ms

T1 = "2024-03-10T12:00:00Z"
T1_MS = ms(2024, 3, 10, 12)


def event(
    user_id: str,
    event_type: str,
    timestamp_ms: int = T1_MS,
    *,
    event_id: str | None = None,
    properties: dict[str, str] | None = None,
) -> Event:
    return Event(user_id, event_type, timestamp_ms, utc_day(timestamp_ms), event_id, properties)


def test_limits() -> None:
    assert MAX_USER_ID_LENGTH == 256
    assert MAX_EVENT_TYPE_LENGTH == 128


# --- encoding and line endings ---------------------------------------------------------------------------------

LF_FILE = b"user_id,event_type,timestamp\nu1,click,2024-03-10T12:00:00Z\nu2,view,1710072000\n"
EXPECTED_LF_EVENTS = [event("u1", "click"), event("u2", "view")]


@pytest.mark.parametrize(
    "data",
    [
        LF_FILE,
        LF_FILE.replace(b"\n", b"\r\n"),
        b"\xef\xbb\xbf" + LF_FILE,
        b"\xef\xbb\xbf" + LF_FILE.replace(b"\n", b"\r\n"),
        LF_FILE.rstrip(b"\n"),
        LF_FILE.replace(b"\n", b"\r\n").rstrip(b"\r\n"),
        # line endings mixed within one file
        b"user_id,event_type,timestamp\r\nu1,click,2024-03-10T12:00:00Z\nu2,view,1710072000\r\n",
    ],
)
def test_bom_crlf_and_lf_give_the_same_events(data: bytes) -> None:
    outcome = ingest(data)
    assert outcome.events == EXPECTED_LF_EVENTS
    assert outcome.errors == []
    assert (outcome.report.rows_total, outcome.report.rows_accepted, outcome.report.rows_rejected) == (2, 2, 0)
    assert outcome.report.counts == {"2024-03-10": {"click": 1, "view": 1}}


def test_bom_with_small_chunks_and_blocks() -> None:
    data = b"\xef\xbb\xbf" + LF_FILE.replace(b"\n", b"\r\n")
    outcome = ingest(data, chunk_bytes=1, block_size=1)
    assert outcome.events == EXPECTED_LF_EVENTS
    assert outcome.chunks[0] == b"\xef\xbb\xbfuser_id,event_type,timestamp\r\n"


def test_invalid_utf8_rejects_only_its_row_and_names_the_column() -> None:
    data = (
        HEADER_LINE
        + b"u1,click,2024-03-10T12:00:00Z\n"
        + b"caf\xe9,click,2024-03-10T12:00:00Z\n"
        + b"u3,cl\xff\xfeck,2024-03-10T12:00:00Z\n"
        + b"u4,click,2024-03-10T12:00:00Z\xc3\n"
        + b"\xe2\x82,click,x,y\n"
        + b"u\xc3\xa9,click,2024-03-10T12:00:00Z\n"
    )
    outcome = ingest(data)
    assert outcome.errors == [
        RowError(3, "user_id", "user_id: is not valid UTF-8"),
        RowError(4, "event_type", "event_type: is not valid UTF-8"),
        RowError(5, "timestamp", "timestamp: is not valid UTF-8"),
        RowError(6, None, "record has 4 fields; the header has 3"),
    ]
    assert outcome.events == [event("u1", "click"), event("u\u00e9", "click")]
    assert (outcome.report.rows_total, outcome.report.rows_accepted, outcome.report.rows_rejected) == (6, 2, 4)


def test_invalid_utf8_in_an_extra_column_names_that_column() -> None:
    data = b"user_id,event_type,timestamp, Country \nu1,click,1710072000,D\xfcsseldorf\n"
    assert ingest(data).errors == [RowError(2, "Country", "Country: is not valid UTF-8")]


def test_valid_multibyte_text_is_kept() -> None:
    data = "user_id,event_type,timestamp\n\u00fcser,\u65e5\u672c,1710072000\n".encode()
    assert ingest(data).events == [event("\u00fcser", "\u65e5\u672c")]


# --- blank lines and row numbers --------------------------------------------------------------------------------


def test_blank_lines_are_skipped_but_keep_their_row_numbers() -> None:
    data = (
        HEADER_LINE  # row 1
        + b"u1,click,2024-03-10T12:00:00Z\n"  # row 2
        + b"\n"  # row 3: blank
        + b"\r\n"  # row 4: blank
        + b"   \n"  # row 5: only spaces, blank
        + b"u2,,2024-03-10T12:00:00Z\n"  # row 6: rejected
        + b"\n"  # row 7: blank
        + b"u3,view,2024-03-10T12:00:00Z\n"  # row 8
        + b"\n\n"  # rows 9, 10: blank at the end
    )
    for chunk_bytes in (1, 7, 1 << 20):
        outcome = ingest(data, chunk_bytes=chunk_bytes)
        assert outcome.errors == [RowError(6, "event_type", "event_type: is empty")]
        assert (outcome.report.rows_total, outcome.report.rows_accepted, outcome.report.rows_rejected) == (3, 2, 1)
        assert outcome.report.records_seen == 10
        assert outcome.events == [event("u1", "click"), event("u3", "view")]


def test_first_data_row_is_row_2() -> None:
    outcome = ingest(HEADER_LINE + b"u1,,2024-03-10T12:00:00Z\n")
    assert outcome.errors == [RowError(2, "event_type", "event_type: is empty")]


def test_a_blank_line_between_header_and_data_counts() -> None:
    outcome = ingest(HEADER_LINE + b"\n,click,2024-03-10T12:00:00Z\n")
    assert outcome.errors == [RowError(3, "user_id", "user_id: is empty")]


def test_a_row_of_empty_fields_is_not_blank() -> None:
    outcome = ingest(HEADER_LINE + b" , , \n")
    assert outcome.errors == [
        RowError(2, "user_id", "user_id: is empty"),
        RowError(2, "event_type", "event_type: is empty"),
        RowError(2, "timestamp", "timestamp: is empty; expected an ISO 8601 date-time or a Unix epoch number"),
    ]
    report = outcome.report
    assert (report.rows_total, report.rows_accepted, report.rows_rejected, report.errors_total) == (1, 0, 1, 3)


def test_row_numbers_count_records_not_lines() -> None:
    data = (
        b"user_id,event_type,timestamp,note\n"  # row 1
        + b'u1,click,2024-03-10T12:00:00Z,"multi\nline\nnote"\n'  # row 2, three lines
        + b"u2,click,soon,\n"  # row 3
    )
    outcome = ingest(data)
    assert outcome.events == [event("u1", "click", properties={"note": "multi\nline\nnote"})]
    assert outcome.errors == [
        RowError(
            3,
            "timestamp",
            'timestamp: "soon" is not an ISO 8601 date-time (e.g. 2025-11-13T09:30:00Z) or a Unix epoch number',
        )
    ]


# --- quoting ----------------------------------------------------------------------------------------------------


def test_quoted_commas_quotes_and_newlines() -> None:
    data = (
        b"user_id,event_type,timestamp,note\r\n"
        b'"doe, jane","say ""hi""",2024-03-10T12:00:00Z,"line one\r\nline two"\r\n'
        b'"""quoted""",",",2024-03-10T12:00:00Z,""\r\n'
        b'u3,click,"2024-03-10T12:00:00Z","a\nb,c""d"\r\n'
    )
    outcome = ingest(data)
    assert outcome.errors == []
    assert outcome.events == [
        event("doe, jane", 'say "hi"', properties={"note": "line one\r\nline two"}),
        event('"quoted"', ",", properties={"note": ""}),
        event("u3", "click", properties={"note": 'a\nb,c"d'}),
    ]
    assert outcome.report.counts == {"2024-03-10": {'say "hi"': 1, ",": 1, "click": 1}}


def test_quoted_newlines_survive_any_chunk_size() -> None:
    data = b"user_id,event_type,timestamp,note\n" + b"".join(
        b'"u%d with, comma ""and"" quotes","type %d",2024-03-10T12:00:00Z,"line\n%d\r\n"\n' % (i, i, i)
        for i in range(5)
    )
    expected = [
        event(f'u{i} with, comma "and" quotes', f"type {i}", properties={"note": f"line\n{i}"}) for i in range(5)
    ]
    for chunk_bytes in range(1, len(data) + 2):
        for block_size in (1, 3, 17, None):
            outcome = ingest(data, chunk_bytes=chunk_bytes, block_size=block_size)
            assert outcome.events == expected, (chunk_bytes, block_size)
            assert outcome.errors == []


# --- field count ------------------------------------------------------------------------------------------------


def test_field_count_must_match_the_header() -> None:
    data = (
        HEADER_LINE
        + b"u1,click\n"  # row 2: too few
        + b"u2,click,2024-03-10T12:00:00Z,extra\n"  # row 3: too many
        + b"u3,click,2024-03-10T12:00:00Z,\n"  # row 4: a trailing comma is a fourth field
        + b",\n"  # row 5: two empty fields, not a blank line
        + b"u4,click,2024-03-10T12:00:00Z\n"  # row 6: fine
    )
    outcome = ingest(data)
    assert outcome.errors == [
        RowError(2, None, "record has 2 fields; the header has 3"),
        RowError(3, None, "record has 4 fields; the header has 3"),
        RowError(4, None, "record has 4 fields; the header has 3"),
        RowError(5, None, "record has 2 fields; the header has 3"),
    ]
    assert outcome.events == [event("u4", "click")]
    assert (outcome.report.rows_total, outcome.report.rows_accepted, outcome.report.rows_rejected) == (5, 1, 4)


def test_a_field_over_the_csv_limit_is_that_rows_error() -> None:
    data = HEADER_LINE + b"u1," + b"x" * 140_000 + b",2024-03-10T12:00:00Z\nu2,click,2024-03-10T12:00:00Z\n"
    outcome = ingest(data)
    assert outcome.errors == [RowError(2, None, "record is not valid CSV: field larger than field limit (131072)")]
    assert outcome.events == [event("u2", "click")]
    assert (outcome.report.rows_total, outcome.report.rows_rejected) == (2, 1)


# --- user_id and event_type -------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("user_id", "expected"),
    [
        (b"u", "u"),
        (b"  padded  ", "padded"),
        (b"\tx\t", "x"),
        (b"a" * 256, "a" * 256),
        (b"  " + b"a" * 256 + b"  ", "a" * 256),
        ("\u00e9".encode() * 256, "\u00e9" * 256),  # characters, not bytes
    ],
)
def test_user_id_accepted(user_id: bytes, expected: str) -> None:
    outcome = ingest(HEADER_LINE + user_id + b",click,2024-03-10T12:00:00Z\n")
    assert outcome.errors == []
    assert outcome.events == [event(expected, "click")]


@pytest.mark.parametrize(
    ("user_id", "message"),
    [
        (b"", "user_id: is empty"),
        (b"   ", "user_id: is empty"),
        (b'"  "', "user_id: is empty"),
        (b"a" * 257, "user_id: is 257 characters long; at most 256 are allowed"),
        (b"a" * 1000, "user_id: is 1000 characters long; at most 256 are allowed"),
        ("\u00e9".encode() * 257, "user_id: is 257 characters long; at most 256 are allowed"),
    ],
)
def test_user_id_rejected(user_id: bytes, message: str) -> None:
    outcome = ingest(HEADER_LINE + b"u0,click,2024-03-10T12:00:00Z\n" + user_id + b",click,2024-03-10T12:00:00Z\n")
    assert outcome.errors == [RowError(3, "user_id", message)]
    assert outcome.events == [event("u0", "click")]


@pytest.mark.parametrize(
    ("event_type", "expected"),
    [(b"click", "click"), (b" Click ", "Click"), (b"t" * 128, "t" * 128), (b" " + b"t" * 128 + b" ", "t" * 128)],
)
def test_event_type_accepted(event_type: bytes, expected: str) -> None:
    outcome = ingest(HEADER_LINE + b"u1," + event_type + b",2024-03-10T12:00:00Z\n")
    assert outcome.errors == []
    assert outcome.events == [event("u1", expected)]
    assert outcome.report.counts == {"2024-03-10": {expected: 1}}


@pytest.mark.parametrize(
    ("event_type", "message"),
    [
        (b"", "event_type: is empty"),
        (b" \t ", "event_type: is empty"),
        (b"t" * 129, "event_type: is 129 characters long; at most 128 are allowed"),
    ],
)
def test_event_type_rejected(event_type: bytes, message: str) -> None:
    outcome = ingest(HEADER_LINE + b"u1," + event_type + b",2024-03-10T12:00:00Z\n")
    assert outcome.errors == [RowError(2, "event_type", message)]
    assert outcome.events == []
    assert outcome.report.counts == {}


def test_event_type_is_case_sensitive_in_counts() -> None:
    data = HEADER_LINE + b"u1,Click,1710072000\nu2,click,1710072000\nu3, click ,1710072000\n"
    assert ingest(data).report.counts == {"2024-03-10": {"Click": 1, "click": 2}}


def test_a_timestamp_of_thousands_of_digits_is_that_rows_error() -> None:
    outcome = ingest(HEADER_LINE + b"u1,click," + b"9" * 5000 + b"\nu2,click,1710072000\n")
    assert [(error.row, error.column) for error in outcome.errors] == [(2, "timestamp")]
    assert outcome.events == [event("u2", "click")]


# --- timestamps in rows -----------------------------------------------------------------------------------------


def test_timestamp_values_in_rows() -> None:
    data = (
        HEADER_LINE
        + b"u1,click, 2024-03-10T12:00:00Z \n"  # row 2: trimmed
        + b"u2,click,2024-03-10T14:00:00+02:00\n"  # row 3
        + b"u3,click,2024-03-10 06:30:00-05:30\n"  # row 4
        + b"u4,click,2024-03-10T12:00:00\n"  # row 5: naive = UTC
        + b"u5,click,1710072000\n"  # row 6: epoch seconds
        + b"u6,click,1710072000000\n"  # row 7: epoch milliseconds
        + b"u7,click,2024-03-10T12:00:00.5Z\n"  # row 8
        + b"u8,click,2024-02-30T12:00:00Z\n"  # row 9: no such day
        + b"u9,click,garbage\n"  # row 10
        + b"u10,click,1970-06-01T00:00:00Z\n"  # row 11: too early
        + b"u11,click,2025-06-02T00:00:01Z\n"  # row 12: too far ahead
        + b"u12,click,\n"  # row 13: empty
    )
    outcome = ingest(data)
    assert [(e.user_id, e.timestamp_ms) for e in outcome.events] == [
        ("u1", T1_MS),
        ("u2", T1_MS),
        ("u3", T1_MS),
        ("u4", T1_MS),
        ("u5", T1_MS),
        ("u6", T1_MS),
        ("u7", T1_MS + 500),
    ]
    assert outcome.errors == [
        RowError(9, "timestamp", 'timestamp: "2024-02-30T12:00:00Z" is not a valid date'),
        RowError(
            10,
            "timestamp",
            'timestamp: "garbage" is not an ISO 8601 date-time (e.g. 2025-11-13T09:30:00Z) or a Unix epoch number',
        ),
        RowError(
            11,
            "timestamp",
            'timestamp: "1970-06-01T00:00:00Z" is before the earliest accepted instant 1971-01-01T00:00:00Z',
        ),
        RowError(
            12,
            "timestamp",
            'timestamp: "2025-06-02T00:00:01Z" is after the latest accepted instant 2025-06-02T00:00:00Z',
        ),
        RowError(13, "timestamp", "timestamp: is empty; expected an ISO 8601 date-time or a Unix epoch number"),
    ]
    assert (outcome.report.rows_total, outcome.report.rows_accepted, outcome.report.rows_rejected) == (12, 7, 5)


def test_offsets_crossing_midnight_count_on_the_utc_day() -> None:
    data = (
        HEADER_LINE
        + b"u1,click,2024-03-01T01:00:00+02:00\n"  # 2024-02-29T23:00Z
        + b"u2,click,2024-02-29T20:00:00-05:30\n"  # 2024-03-01T01:30Z
        + b"u3,click,2024-02-29T23:59:59.999Z\n"
        + b"u4,view,2024-03-01T00:00:00Z\n"
        + b"u5,view,2024-03-01T05:00:00+05:00\n"  # 2024-03-01T00:00Z
        + b"u6,view,2024-03-01T04:59:59+05:00\n"  # 2024-02-29T23:59:59Z
    )
    outcome = ingest(data)
    assert [e.day for e in outcome.events] == [
        "2024-02-29",
        "2024-03-01",
        "2024-02-29",
        "2024-03-01",
        "2024-03-01",
        "2024-02-29",
    ]
    assert outcome.report.counts == {
        "2024-02-29": {"click": 2, "view": 1},
        "2024-03-01": {"click": 1, "view": 2},
    }


def test_a_row_can_fail_several_rules_and_counts_once() -> None:
    outcome = ingest(HEADER_LINE + b"," + b"t" * 129 + b",yesterday\n")
    assert [(e.row, e.column) for e in outcome.errors] == [(2, "user_id"), (2, "event_type"), (2, "timestamp")]
    report = outcome.report
    assert (report.rows_total, report.rows_accepted, report.rows_rejected, report.errors_total) == (1, 0, 1, 3)


# --- event_id and extra columns ---------------------------------------------------------------------------------


def test_event_id_is_optional_and_trimmed() -> None:
    data = (
        b"event_id,user_id,event_type,timestamp\n e-1 ,u1,click,1710072000\n,u2,click,1710072000\n  ,u3,x,1710072000\n"
    )
    assert ingest(data).events == [
        event("u1", "click", event_id="e-1"),
        event("u2", "click"),
        event("u3", "x"),
    ]


def test_without_event_id_column_events_have_none() -> None:
    assert ingest(HEADER_LINE + b"u1,click,1710072000\n").events == [event("u1", "click", event_id=None)]


def test_extra_columns_become_trimmed_string_properties() -> None:
    data = b"Country ,timestamp,EVENT_TYPE,User_Id, plan,amount\nDE, 1710072000 ,click,u1,  pro ,12.50\n"
    outcome = ingest(data)
    assert outcome.events == [event("u1", "click", properties={"Country": "DE", "plan": "pro", "amount": "12.50"})]


def test_values_of_known_columns_follow_the_header_order() -> None:
    data = b"timestamp,event_type,user_id\n1710072000,click,u1\n,view,u2\n"
    outcome = ingest(data)
    assert outcome.events == [event("u1", "click")]
    assert outcome.errors == [
        RowError(3, "timestamp", "timestamp: is empty; expected an ISO 8601 date-time or a Unix epoch number")
    ]


# --- parse_chunk directly ---------------------------------------------------------------------------------------


def test_parse_chunk_numbers_rows_from_its_first_record() -> None:
    header = parse_header(HEADER_LINE)
    parsed = parse_chunk(b"\nu1,click,1710072000\nu2,,1710072000\n\n", header, BOUNDS)
    assert (parsed.records, parsed.rows, parsed.rejected) == (4, 2, 1)
    assert parsed.errors == [RowError(3, "event_type", "event_type: is empty")]
    assert parsed.events == [event("u1", "click")]
    assert parsed.counts == {"2024-03-10": {"click": 1}}


def test_parse_chunk_of_nothing() -> None:
    parsed = parse_chunk(b"", parse_header(HEADER_LINE), BOUNDS)
    assert (parsed.records, parsed.rows, parsed.rejected, parsed.errors, parsed.events, parsed.counts) == (
        0,
        0,
        0,
        [],
        [],
        {},
    )


def test_parse_chunk_without_keeping_events_counts_the_same() -> None:
    header = parse_header(b"user_id,event_type,timestamp,event_id,plan\n")
    data = b"u1,click,1710072000,e1,pro\nu2,,1710072000,e2,free\n\nu3,view,2024-03-11T00:00:00Z,,\n"
    kept = parse_chunk(data, header, BOUNDS)
    counted = parse_chunk(data, header, BOUNDS, keep_events=False)
    assert counted.events == []
    assert kept.events == [
        event("u1", "click", event_id="e1", properties={"plan": "pro"}),
        event("u3", "view", ms(2024, 3, 11), properties={"plan": ""}),
    ]
    for parsed in (kept, counted):
        assert (parsed.records, parsed.rows, parsed.rejected) == (4, 3, 1)
        assert parsed.errors == [RowError(2, "event_type", "event_type: is empty")]
        assert parsed.counts == {"2024-03-10": {"click": 1}, "2024-03-11": {"view": 1}}
