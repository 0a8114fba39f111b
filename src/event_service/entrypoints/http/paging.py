"""The ``offset`` query parameter every paged route shares, bounded at the HTTP layer.

Without an upper bound an offset near 2**63 reached the stores: Redis refused ``ZREVRANGE`` with it (500), and
MongoDB and SQLite take at most a signed 64-bit skip. No store holds a billion rows of one page's kind, so an
offset past that is refused with 400 before any store sees it.
"""

from __future__ import annotations

from typing import Annotated

from litestar.params import QueryParameter

MAX_OFFSET = 1_000_000_000

Offset = Annotated[int, QueryParameter(ge=0, le=MAX_OFFSET, description="items to skip, at most 10^9")]
