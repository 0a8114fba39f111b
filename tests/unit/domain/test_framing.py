"""Framing: chunks end on record boundaries (never inside a quoted field) and the header record is split off."""

from __future__ import annotations

import csv
import io

import pytest

from event_service.domain import framing, iter_record_chunks, split_first_record
from event_service.domain.framing import DEFAULT_CHUNK_BYTES, UTF8_BOM
from tests.unit.domain.support import blocks_of, ingest

QUOTED = (
    b"user_id,event_type,timestamp,note\r\n"
    b'u1,click,1710072000,"a, b"\r\n'
    b'u2,click,1710072000,"line one\nline two\r\nline three"\r\n'
    b'u3,"say ""hi""",1710072000,"""\n"""\r\n'
    b'"u\n4",view,1710072000,""\n'
    b"u5,view,1710072000,plain"
)


def records_of(data: bytes) -> list[list[str]]:
    return list(csv.reader(io.StringIO(data.decode(), newline="")))


def test_defaults() -> None:
    assert UTF8_BOM == b"\xef\xbb\xbf"
    assert DEFAULT_CHUNK_BYTES == 1 << 20


def test_empty_input_gives_no_chunks() -> None:
    assert list(iter_record_chunks([])) == []
    assert list(iter_record_chunks([b"", b""])) == []


def test_large_chunk_size_gives_one_chunk() -> None:
    assert list(iter_record_chunks(blocks_of(QUOTED, 5))) == [QUOTED]


def test_tiny_chunks_are_exactly_the_records() -> None:
    data = b"h1,h2\na,b\r\n\nc,d\n"
    assert list(iter_record_chunks(blocks_of(data, 1), chunk_bytes=1)) == [b"h1,h2\n", b"a,b\r\n", b"\n", b"c,d\n"]


def test_tiny_chunks_keep_quoted_records_whole() -> None:
    chunks = list(iter_record_chunks(blocks_of(QUOTED, 1), chunk_bytes=1))
    assert chunks == [
        b"user_id,event_type,timestamp,note\r\n",
        b'u1,click,1710072000,"a, b"\r\n',
        b'u2,click,1710072000,"line one\nline two\r\nline three"\r\n',
        b'u3,"say ""hi""",1710072000,"""\n"""\r\n',
        b'"u\n4",view,1710072000,""\n',
        b"u5,view,1710072000,plain",
    ]


@pytest.mark.parametrize("block_size", [1, 2, 3, 7, 16, 64, None])
def test_no_chunk_size_cuts_inside_a_quoted_field(block_size: int | None) -> None:
    expected = records_of(QUOTED)
    assert len(expected) == 6
    for chunk_bytes in range(1, len(QUOTED) + 2):
        chunks = list(iter_record_chunks(blocks_of(QUOTED, block_size), chunk_bytes))
        assert b"".join(chunks) == QUOTED
        for chunk in chunks[:-1]:
            assert chunk.endswith(b"\n")
            assert chunk.count(b'"') % 2 == 0
        assert [record for chunk in chunks for record in records_of(chunk)] == expected, (chunk_bytes, block_size)


def test_last_line_break_inside_quotes_cuts_at_the_record_before() -> None:
    # The buffer's last LF is inside a quoted field: the cut is at the end of the last whole record.
    blocks = [b'h\nr1\n"open\nstill open', b' "" here",x\nr3\n']
    assert list(iter_record_chunks(blocks, chunk_bytes=1)) == [b"h\nr1\n", b'"open\nstill open "" here",x\nr3\n']


def test_no_line_break_outside_quotes_waits_for_more() -> None:
    blocks = [b'"a\n', b"b\n", b'c",d\n', b"e\n"]
    assert list(iter_record_chunks(blocks, chunk_bytes=1)) == [b'"a\nb\nc",d\n', b"e\n"]


def test_chunks_are_about_chunk_bytes() -> None:
    data = b"".join(b"row%03d,x,y\n" % i for i in range(100))  # 11 bytes a row
    chunks = list(iter_record_chunks(blocks_of(data, 4), chunk_bytes=100))
    assert b"".join(chunks) == data
    # Once 100 bytes are pending, the cut is at the last whole record: 9 rows of 11 bytes.
    assert [len(chunk) for chunk in chunks] == [99] * 11 + [11]


def test_a_block_is_cut_at_most_once() -> None:
    data = b"".join(b"row%03d,x,y\n" % i for i in range(100))
    assert list(iter_record_chunks([data], chunk_bytes=100)) == [data]
    assert list(iter_record_chunks([data[:500], data[500:]], chunk_bytes=100)) == [data[:495], data[495:]]


def test_multibyte_characters_are_never_split() -> None:
    data = "h\n\u00e9\u00e9\n\u65e5\u672c\u8a9e\n\U0001f600\n".encode()
    chunks = list(iter_record_chunks(blocks_of(data, 1), chunk_bytes=1))
    assert [chunk.decode() for chunk in chunks] == ["h\n", "\u00e9\u00e9\n", "\u65e5\u672c\u8a9e\n", "\U0001f600\n"]


# --- split_first_record -----------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("chunk", "first", "rest"),
    [
        (b"h1,h2\nr1\nr2\n", b"h1,h2\n", b"r1\nr2\n"),
        (b"\xef\xbb\xbfh1,h2\nr1\n", b"h1,h2\n", b"r1\n"),
        (b"\xef\xbb\xbfh1,h2\r\nr1\r\n", b"h1,h2\r\n", b"r1\r\n"),
        (b'"h\n1","h""2"\nr1\n', b'"h\n1","h""2"\n', b"r1\n"),
        (b"\xef\xbb\xbfh1,h2", b"h1,h2", b""),
        (b"h1,h2\n", b"h1,h2\n", b""),
        (b"\n\nh\n", b"\n", b"\nh\n"),
        (b"", b"", b""),
        (b"\xef\xbb\xbf", b"", b""),
        (b"h\n\xef\xbb\xbfr1\n", b"h\n", b"\xef\xbb\xbfr1\n"),  # only a leading BOM is dropped
        (b"\xef\xbb\xbf\xef\xbb\xbfh\n", b"\xef\xbb\xbfh\n", b""),  # and only one
    ],
)
def test_split_first_record(chunk: bytes, first: bytes, rest: bytes) -> None:
    assert split_first_record(chunk) == (first, rest)


def test_split_first_record_of_an_unterminated_quote_takes_everything() -> None:
    assert split_first_record(b'"h\nr1\nr2\n') == (b'"h\nr1\nr2\n', b"")


# --- exact framing: what csv.reader over the whole file reads, whatever the quoting and line endings ---------------

STRAY_QUOTE = (
    b"user_id,event_type,timestamp,note\n"
    b"u1,click,1710072000,5'10\"\n"  # a quote inside an unquoted field: csv reads it literally
    b'u2,click,1710072000,"two\nlines"\n'
    b"u3,click,1710072000,ok\n"
)


def test_stray_quote_file_read_whole() -> None:
    outcome = ingest(STRAY_QUOTE)
    assert outcome.errors == []
    assert [(e.user_id, e.properties) for e in outcome.events] == [
        ("u1", {"note": "5'10\""}),
        ("u2", {"note": "two\nlines"}),
        ("u3", {"note": "ok"}),
    ]


@pytest.mark.parametrize("chunk_bytes", [1, 2, 40, 60, 80, 1 << 20])
def test_stray_quote_file_read_in_small_chunks_gives_the_same_result(chunk_bytes: int) -> None:
    # Quote parity says the later quoted field closes the stray quote; the reader's check re-frames the chunk.
    outcome = ingest(STRAY_QUOTE, chunk_bytes=chunk_bytes, block_size=7)
    assert outcome.errors == []
    assert (outcome.report.rows_total, outcome.report.rows_accepted) == (3, 3)
    assert [e.properties for e in outcome.events] == [{"note": "5'10\""}, {"note": "two\nlines"}, {"note": "ok"}]


def test_a_lone_cr_ends_a_record() -> None:
    data = b'h1,h2\ra,b\r\rc,"d\re"\rf,g'
    chunks = list(iter_record_chunks(blocks_of(data, 1), chunk_bytes=1))
    assert chunks == [b"h1,h2\r", b"a,b\r", b"\r", b'c,"d\re"\r', b"f,g"]


def test_a_crlf_split_across_blocks_is_never_cut_between_its_cr_and_lf() -> None:
    # A cut after the CR would make the LF a blank record of its own and shift every later row number.
    assert list(iter_record_chunks([b"h\r", b"\na\r", b"\nb\r"], chunk_bytes=1)) == [b"h\r\n", b"a\r\n", b"b\r"]


def test_a_leading_bom_is_not_part_of_the_first_field() -> None:
    # After the BOM the header's first field is quoted: its line break is inside it.
    data = UTF8_BOM + b'"user\nid",b\nc,d\n'
    assert list(iter_record_chunks(blocks_of(data, 1), chunk_bytes=1)) == [UTF8_BOM + b'"user\nid",b\n', b"c,d\n"]
    assert split_first_record(data) == (b'"user\nid",b\n', b"c,d\n")


def test_a_field_over_the_csv_limit_is_framed_as_the_reader_reads_it() -> None:
    # The reader fails at the limit and carries on at the next line: the quote there opens nothing.
    field = b'"' + b"x" * (csv.field_size_limit() + 1)
    blocks = [b"h\n" + field, b"\n", b'b"\n', b'"c\n', b'd"\n']
    chunks = list(iter_record_chunks(blocks, chunk_bytes=1))
    assert chunks == [b"h\n", field + b"\n", b'b"\n', b'"c\nd"\n']
    assert records_of(chunks[2]) + records_of(chunks[3]) == [['b"'], ["c\nd"]]


@pytest.mark.parametrize("newline", [b"\n", b"\r\n", b"\r"])
def test_split_first_record_at_every_line_ending(newline: bytes) -> None:
    assert split_first_record(b"h1,h2" + newline + b"r1" + newline) == (b"h1,h2" + newline, b"r1" + newline)


def test_quotes_after_a_field_over_the_limit_are_read_as_the_reader_reads_them() -> None:
    # Quote parity, and RFC 4180 with no length limit, see one quoted field "p\na," closed before "b": the reader
    # drops the rest of the line after the oversized field, so its quote on the next line opens a field instead.
    data = b"h\n" + b"x" * (csv.field_size_limit() + 1) + b',"p\na,"\nb\n'
    chunks = list(iter_record_chunks([data[:-2], data[-2:]], chunk_bytes=1))
    assert chunks == [data[: data.index(b"a,")], b'a,"\nb\n']


def test_a_last_line_break_inside_a_quoted_field_costs_no_csv_pass(monkeypatch: pytest.MonkeyPatch) -> None:
    # RFC 4180 records with line breaks inside quotes: the regular expression finds the last whole record.
    def refuse(*args: object) -> None:
        raise AssertionError("the csv reader was not needed")

    monkeypatch.setattr(framing, "_ends_outside_fields", refuse)
    monkeypatch.setattr(framing, "record_ends", refuse)
    rows = [b'u%d,"line one\nline two",x\n' % i for i in range(10)]
    blocks = [b"".join(rows[:9]) + rows[9][:10], rows[9][10:]]
    assert list(iter_record_chunks(blocks, chunk_bytes=1)) == [b"".join(rows[:9]), rows[9]]


def test_a_bom_is_never_a_chunk_of_its_own() -> None:
    data = UTF8_BOM + b'"h\n1",h2\nu,"5\'10""\n'
    chunks = list(iter_record_chunks(blocks_of(data, 1), chunk_bytes=1))
    assert chunks[0].startswith(UTF8_BOM + b'"h\n1"')
    assert b"".join(chunks) == data
