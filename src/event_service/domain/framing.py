"""Cut a CSV byte stream into chunks that end exactly where ``csv.reader`` over the whole file ends a record.

The reference is ``csv.reader(io.StringIO(text, newline=""))`` over the whole decoded file: records end at LF,
CRLF or a lone CR outside quoted fields. A chunk is cut speculatively after its last line break, then checked
by running ``csv.reader`` over it: the cut stands when the reader ends the chunk outside a quoted field, and only
when it does not (a quote inside an unquoted field such as ``5'10"``, a field over the csv field limit) is the
chunk re-framed at the last record end the reader found. Two cheaper checks come first, each enough on its own:
a chunk without a quote (every line break in it ends a record), and a chunk that is plain RFC 4180 (every quote
opens or closes a whole field, no field over the limit), matched by one regular expression several times faster
than the reader. When the expression matches most of the chunk but not all of it, as when the last line break is
inside a quoted field, the chunk is cut where the match ends.

Works on bytes: in UTF-8 the quote, CR and LF bytes never occur inside a multi-byte character, so a cut after a
line break is a cut between whole characters, and decoding a chunk gives the characters the whole file has there.
"""

from __future__ import annotations

import collections
import csv
import functools
import io
import re
from collections.abc import Iterable, Iterator

UTF8_BOM = b"\xef\xbb\xbf"
DEFAULT_CHUNK_BYTES = 1 << 20
MAX_RECORD_BYTES = 1 << 20
"""A record still open after this many bytes past a chunk is cut anyway, so memory stays bounded. With the csv
module's default ``field_size_limit`` (131072 characters) this never splits a record the reader would read whole
unless the record holds several fields close to that limit: an unterminated quote makes the reader fail at the
limit and start a new record on the next line, and the check above finds that record end."""

_LINE = re.compile(rb"[^\r\n]*(?:\r\n|\r|\n)|[^\r\n]+")
"""One line as ``io.StringIO(newline="")`` hands it to the reader: up to and including LF, CRLF or a lone CR."""
_END = "end"
"""A line after a chunk: the reader returns it as the record ``[_END]`` only if the chunk left no field open."""


@functools.cache
def _plain_rfc4180(field_limit: int) -> re.Pattern[bytes]:
    """Whole records of fields that are either quoted without inner quotes or unquoted without any quote, none
    longer than ``field_limit`` bytes (so none over the reader's limit in characters). The reader reads such text
    as the records it spells, so it ends outside any field where the match ends, also where a match of a prefix
    ends (the match always ends after a record's line break)."""
    field = rb'(?:"[^"]{0,%d}+"|[^",\r\n]{0,%d}+)' % (field_limit, field_limit)
    return re.compile(rb"(?:%s(?:,%s)*+(?:\r\n|\r|\n))*+" % (field, field))


def _decode(data: bytes | bytearray) -> str:
    return data.decode("utf-8", "surrogateescape")


def _last_line_end(buffer: bytes | bytearray) -> int:
    """Index just past the last line break, or 0. A CR as the very last byte does not count yet: the next block
    may start with the LF of a CRLF."""
    return max(buffer.rfind(b"\n"), buffer.rfind(b"\r", 0, len(buffer) - 1)) + 1


def _ends_outside_fields(text: str) -> bool:
    """Whether ``csv.reader`` over ``text`` (whole lines, starting at a record) ends outside any record."""
    try:
        last = collections.deque(csv.reader(io.StringIO(text + _END, newline="")), maxlen=1)
    except csv.Error:
        return False  # the exact walk below places records around the error
    return list(last) == [[_END]]


def record_ends(data: bytes | bytearray) -> Iterator[tuple[int, bool]]:
    """The end of each record ``csv.reader`` reads from ``data`` (which starts at a record), as an index into
    ``data``, and whether the record is closed: False only for a record the data ended inside a quoted field."""
    ends: list[int] = []
    exhausted = False

    def lines() -> Iterator[str]:
        nonlocal exhausted
        for match in _LINE.finditer(data):
            ends.append(match.end())
            yield _decode(match.group())
        exhausted = True

    reader = csv.reader(lines())
    while True:
        try:
            if next(reader, None) is None:
                return
        except csv.Error:
            pass  # the reader drops the rest of the line and starts the next record on the next line
        yield ends[-1], not exhausted


def _last_record_end(buffer: bytes | bytearray, start: int) -> int:
    """Index just past the last record in ``buffer[start:]`` (which starts at a record) that is surely whole, or 0."""
    end = _last_line_end(buffer)
    if end <= start:
        return 0
    if buffer.find(b'"', start, end) < 0:
        return end
    match = _plain_rfc4180(csv.field_size_limit()).match(buffer, start, end)
    plain = start if match is None else match.end()
    if plain == end:
        return end
    if plain > start and plain - start >= (end - start) // 2:
        return plain  # most likely the last line break is inside a quoted field: the records before it are whole
    if _ends_outside_fields(_decode(buffer[start:end])):
        return end
    closed = [index for index, whole in record_ends(buffer[start:end]) if whole]
    return start + closed[-1] if closed else 0


def iter_record_chunks(blocks: Iterable[bytes], chunk_bytes: int = DEFAULT_CHUNK_BYTES) -> Iterator[bytes]:
    """Re-cut ``blocks`` into chunks of about ``chunk_bytes`` that each hold whole records."""
    pending = bytearray()
    # The reader of the whole file never sees a leading BOM (split_first_record drops it): neither does the check.
    skip = -1
    for block in blocks:
        pending += block
        if skip < 0 and len(pending) >= len(UTF8_BOM):
            skip = len(UTF8_BOM) if pending.startswith(UTF8_BOM) else 0
        if len(pending) < chunk_bytes or skip < 0:
            continue
        cut = _last_record_end(pending, skip)
        if not cut and len(pending) > chunk_bytes + MAX_RECORD_BYTES:
            cut = _last_line_end(pending) or len(pending)
        if cut:
            yield bytes(pending[:cut])
            del pending[:cut]
            skip = 0
    if pending:
        yield bytes(pending)


def split_first_record(chunk: bytes) -> tuple[bytes, bytes]:
    """The first record (a BOM dropped) and the rest of the chunk."""
    if chunk.startswith(UTF8_BOM):
        chunk = chunk[len(UTF8_BOM) :]
    for end, _ in record_ends(chunk):
        return chunk[:end], chunk[end:]
    return chunk, b""
