"""Refuse unexpected multipart form parts as they stream in, before Litestar buffers them.

Litestar's form parser keeps every part without a filename in memory, up to the whole request body limit (about
MAX_UPLOAD_BYTES), and accepts any part name. This middleware runs the same parser (python-multipart's push
parser, about 1.5 GB/s) alongside it and stops the request at the header of a part the route does not take, a
second copy of a part, or a plain field over a few bytes. Malformed framing is left for Litestar to report.
"""

from __future__ import annotations

from litestar import Request
from litestar.enums import ScopeType
from litestar.exceptions import ClientException, HTTPException
from litestar.middleware import ASGIMiddleware
from litestar.status_codes import HTTP_413_REQUEST_ENTITY_TOO_LARGE
from litestar.types import ASGIApp, Receive, ReceiveMessage, Scope, Send
from multipart import MultipartSegment, ParserError, ParserLimitReached, PushMultipartParser

FIELD_BYTES = 1024
"""Most bytes of a form part that is not a file: no field of this API needs more."""


class FormParts(ASGIMiddleware):
    scopes = (ScopeType.HTTP,)

    def __init__(self, allowed: frozenset[str], field_bytes: int = FIELD_BYTES) -> None:
        self.allowed = allowed
        self.field_bytes = field_bytes

    async def handle(self, scope: Scope, receive: Receive, send: Send, next_app: ASGIApp) -> None:
        media_type, options = Request(scope).content_type
        boundary = options.get("boundary")
        if media_type != "multipart/form-data" or not boundary:
            await next_app(scope, receive, send)
            return
        await next_app(scope, _Watch(self, PushMultipartParser(boundary)).receive(receive), send)


class _Watch:
    def __init__(self, rules: FormParts, parser: PushMultipartParser) -> None:
        self.rules = rules
        self.parser: PushMultipartParser | None = parser
        self.seen: set[str] = set()
        self.field: str | None = None
        """The name of the plain (non-file) part being read, if any."""
        self.field_size = 0

    def receive(self, receive: Receive) -> Receive:
        async def watched() -> ReceiveMessage:
            message = await receive()
            if message["type"] == "http.request" and self.parser is not None:
                self.check(message.get("body", b""))
            return message

        return watched

    def check(self, body: bytes) -> None:
        assert self.parser is not None
        try:
            for part in self.parser.parse(body):
                if isinstance(part, MultipartSegment):
                    self.begin(part)
                elif part is not None and self.field is not None:
                    self.field_size += len(part)
                    if self.field_size > self.rules.field_bytes:
                        raise HTTPException(
                            status_code=HTTP_413_REQUEST_ENTITY_TOO_LARGE,
                            detail=f"the form field {self.field!r} is over {self.rules.field_bytes} bytes",
                        )
        except (ParserError, ParserLimitReached):
            # Litestar's own parser reports malformed framing with its usual 400.
            self.parser = None

    def begin(self, segment: MultipartSegment) -> None:
        expected = ", ".join(repr(name) for name in sorted(self.rules.allowed))
        if segment.name not in self.rules.allowed:
            raise ClientException(f"unexpected form part {segment.name!r}; the form takes only {expected}")
        if segment.name in self.seen:
            raise ClientException(f"the form part {segment.name!r} is sent more than once")
        self.seen.add(segment.name)
        self.field = None if segment.filename is not None else segment.name
        self.field_size = 0
