"""Request bodies sent with ``Content-Encoding: gzip``, inflated as they stream in.

Litestar does not decode request bodies. Inflating here, in bounded pieces, lets the route read the multipart
form as usual, and Litestar's body size limit then counts the decompressed bytes, so a gzip bomb gets 413.
"""

from __future__ import annotations

import zlib

from litestar.datastructures import MutableScopeHeaders
from litestar.enums import ScopeType
from litestar.exceptions import ClientException, HTTPException
from litestar.middleware import ASGIMiddleware
from litestar.status_codes import HTTP_415_UNSUPPORTED_MEDIA_TYPE
from litestar.types import ASGIApp, Receive, ReceiveMessage, Scope, Send

_GZIP = frozenset({"gzip", "x-gzip"})
_IDENTITY = frozenset({"", "identity"})
_GZIP_WBITS = 16 + zlib.MAX_WBITS
_PIECE_BYTES = 1 << 18
"""Most bytes one decompress step may produce: what bounds memory whatever the compression ratio."""


class GzipRequestBody(ASGIMiddleware):
    scopes = (ScopeType.HTTP,)

    async def handle(self, scope: Scope, receive: Receive, send: Send, next_app: ASGIApp) -> None:
        headers = MutableScopeHeaders(scope)
        encoding = (headers.get("content-encoding") or "").strip().lower()
        if encoding in _IDENTITY:
            await next_app(scope, receive, send)
            return
        if encoding not in _GZIP:
            raise HTTPException(
                status_code=HTTP_415_UNSUPPORTED_MEDIA_TYPE,
                detail=f"Content-Encoding {encoding!r} is not supported; send gzip or no encoding",
            )
        # The route sees a plain body whose length is not the one announced on the wire.
        del headers["content-encoding"]
        if "content-length" in headers:
            del headers["content-length"]
        await next_app(scope, _inflating(receive), send)


def _inflating(receive: Receive) -> Receive:
    inflater = zlib.decompressobj(_GZIP_WBITS)
    pending = b""
    received_all = False

    def inflate(data: bytes) -> bytes:
        nonlocal pending
        try:
            piece = inflater.decompress(data, _PIECE_BYTES)
        except zlib.error as exc:
            raise ClientException(f"the request body is not valid gzip: {exc}") from exc
        pending = inflater.unconsumed_tail
        if inflater.eof and inflater.unused_data.strip(b"\x00"):
            raise ClientException("the request body holds data after the end of its gzip stream")
        return piece

    async def receive_inflated() -> ReceiveMessage:
        nonlocal received_all
        while True:
            if pending and (piece := inflate(pending)):
                return {"type": "http.request", "body": piece, "more_body": True}
            if received_all:
                if not inflater.eof:
                    raise ClientException("the gzip request body ends before its gzip stream does")
                return {"type": "http.request", "body": b"", "more_body": False}
            message = await receive()
            if message["type"] != "http.request":
                return message
            received_all = not message.get("more_body", False)
            if piece := inflate(message.get("body", b"")):
                return {"type": "http.request", "body": piece, "more_body": True}

    return receive_inflated
