"""Cut a CSV byte stream into chunks that end on record boundaries, quoted newlines included.

Works on bytes: in UTF-8 the quote and LF bytes never occur inside a multi-byte character, so a cut at an LF
outside quotes is always a cut between whole characters and whole records.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator

UTF8_BOM = b"\xef\xbb\xbf"
DEFAULT_CHUNK_BYTES = 1 << 20
MAX_RECORD_BYTES = 1 << 20
"""A record still open after this many bytes past a chunk (an unterminated quote) is cut anyway: memory stays
bounded, and the parser reports the oversized field as a row error (the csv module refuses fields longer than
its ``field_size_limit``, 131072 characters unless the host program changed it)."""


def _end_of_last_record(buffer: bytes | bytearray) -> int:
    """Index just past the last LF that is outside quotes, or 0 if there is none.

    The buffer starts outside quotes. A quote count that is even before an LF means that LF ends a record
    (an escaped quote ``""`` adds two, so it keeps the parity).
    """
    last = buffer.rfind(b"\n")
    if last < 0:
        return 0
    if buffer.count(b'"', 0, last) % 2 == 0:
        return last + 1
    # Rare: the last line break is inside a quoted field; walk forward through the lines.
    end = 0
    inside = False
    start = 0
    while (newline := buffer.find(b"\n", start)) >= 0:
        if buffer.count(b'"', start, newline) % 2:
            inside = not inside
        if not inside:
            end = newline + 1
        start = newline + 1
    return end


def iter_record_chunks(blocks: Iterable[bytes], chunk_bytes: int = DEFAULT_CHUNK_BYTES) -> Iterator[bytes]:
    """Re-cut ``blocks`` into chunks of about ``chunk_bytes`` that each hold whole records."""
    pending = bytearray()
    for block in blocks:
        pending += block
        if len(pending) < chunk_bytes:
            continue
        cut = _end_of_last_record(pending)
        if not cut and len(pending) > chunk_bytes + MAX_RECORD_BYTES:
            cut = pending.rfind(b"\n") + 1 or len(pending)
        if cut:
            yield bytes(pending[:cut])
            del pending[:cut]
    if pending:
        yield bytes(pending)


def split_first_record(chunk: bytes) -> tuple[bytes, bytes]:
    """The first record (a BOM dropped) and the rest of the chunk."""
    if chunk.startswith(UTF8_BOM):
        chunk = chunk[len(UTF8_BOM) :]
    start = 0
    inside = False
    while (newline := chunk.find(b"\n", start)) >= 0:
        if chunk.count(b'"', start, newline) % 2:
            inside = not inside
        if not inside:
            return chunk[: newline + 1], chunk[newline + 1 :]
        start = newline + 1
    return chunk, b""
