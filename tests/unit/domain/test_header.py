"""Header rules: trimmed, case-insensitive, any order, extra columns kept, required columns enforced."""

from __future__ import annotations

import pytest

from event_service.domain import DomainError, Header, InvalidHeader, parse_header
from event_service.domain.header import OPTIONAL_COLUMNS, REQUIRED_COLUMNS


def test_required_and_optional_columns() -> None:
    assert REQUIRED_COLUMNS == ("user_id", "event_type", "timestamp")
    assert OPTIONAL_COLUMNS == ("event_id",)


def test_plain_header() -> None:
    assert parse_header(b"user_id,event_type,timestamp\n") == Header(
        width=3, user_id=0, event_type=1, timestamp=2, event_id=None, extras=()
    )


def test_names_are_trimmed_and_case_insensitive() -> None:
    header = parse_header(b"  User_ID ,\tEVENT_TYPE,TimeStamp  \r\n")
    assert header == Header(width=3, user_id=0, event_type=1, timestamp=2, event_id=None, extras=())


def test_columns_in_any_order_with_event_id_and_extras() -> None:
    header = parse_header(b"Country,timestamp, Event_ID ,event_type, Plan ,user_id\n")
    assert header == Header(
        width=6,
        user_id=5,
        event_type=3,
        timestamp=1,
        event_id=2,
        extras=((0, "Country"), (4, "Plan")),
    )


def test_quoted_header_names() -> None:
    header = parse_header(b'"user_id","event_type","time""stamp",timestamp,"a,b"\n')
    assert header.timestamp == 3
    assert header.extras == ((2, 'time"stamp'), (4, "a,b"))


def test_header_without_line_break() -> None:
    assert parse_header(b"user_id,event_type,timestamp").width == 3


def test_duplicate_columns_keep_the_first_and_drop_the_rest_from_extras() -> None:
    header = Header.parse(["user_id", "USER_ID", "event_type", "timestamp", "plan", "Plan", ""])
    assert header == Header(width=7, user_id=0, event_type=2, timestamp=3, event_id=None, extras=((4, "plan"),))


def test_empty_names_are_not_extras() -> None:
    header = Header.parse(["", "user_id", " ", "event_type", "timestamp"])
    assert header.extras == ()
    assert header.width == 5


@pytest.mark.parametrize(
    ("line", "message"),
    [
        (
            b"user_id,event_type\n",
            'header lacks required column timestamp; found "user_id", "event_type"',
        ),
        (
            b"user,event_type,timestamp\n",
            'header lacks required column user_id; found "user", "event_type", "timestamp"',
        ),
        (
            b"USER_ID,  Timestamp \n",
            'header lacks required column event_type; found "user_id", "timestamp"',
        ),
        (
            b"user_id\n",
            'header lacks required columns event_type, timestamp; found "user_id"',
        ),
        (
            b"a,b,c\n",
            'header lacks required columns user_id, event_type, timestamp; found "a", "b", "c"',
        ),
        (
            b"\n",
            "header lacks required columns user_id, event_type, timestamp; found no column names",
        ),
        (
            b" , ,\n",
            "header lacks required columns user_id, event_type, timestamp; found no column names",
        ),
        (
            b"",
            "header lacks required columns user_id, event_type, timestamp; found no column names",
        ),
        (
            b"user_id event_type timestamp\n",
            'header lacks required columns user_id, event_type, timestamp; found "user_id event_type timestamp"',
        ),
        (
            b"user_id;event_type;timestamp\n",
            'header lacks required columns user_id, event_type, timestamp; found "user_id;event_type;timestamp"',
        ),
    ],
)
def test_missing_required_column_names_it(line: bytes, message: str) -> None:
    with pytest.raises(InvalidHeader) as raised:
        parse_header(line)
    assert str(raised.value) == message


def test_a_bom_left_in_the_header_is_not_a_column_name() -> None:
    # parse_header expects the BOM already dropped (split_first_record does it).
    with pytest.raises(InvalidHeader, match="lacks required column user_id;"):
        parse_header(b"\xef\xbb\xbfuser_id,event_type,timestamp\n")


def test_header_that_is_not_utf8() -> None:
    with pytest.raises(InvalidHeader) as raised:
        parse_header(b"user_id,event_type,timestamp,caf\xe9\n")
    assert str(raised.value) == "header is not valid UTF-8"


def test_invalid_header_is_a_domain_error() -> None:
    assert issubclass(InvalidHeader, DomainError)


def test_column_name_of_each_position() -> None:
    header = Header.parse(["Country", "timestamp", "event_id", "event_type", " Plan ", "user_id", "user_id", ""])
    assert [header.column_name(index) for index in range(9)] == [
        "Country",
        "timestamp",
        "event_id",
        "event_type",
        "Plan",
        "user_id",
        "column 7",
        "column 8",
        "column 9",
    ]
