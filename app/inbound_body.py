"""Read an inbound request's body with a size cap, before any signature is computed over it.

Starlette's `request.body()` reads everything it is sent; a signed endpoint must not hash (or hold) a
body of any size. The bytes read are handed on in a fresh Request, so later readers (bolt) see them.
"""
from __future__ import annotations

from starlette.requests import Request
from starlette.types import Message


class BodyTooLarge(ValueError):
    """The body is over the endpoint's cap; answered 413 without reading the rest."""


async def read_capped(request: Request, *, limit: int) -> tuple[bytes, Request]:
    """(body, a Request that replays it) or BodyTooLarge. The declared Content-Length is trusted only to refuse."""
    declared = request.headers.get("content-length", "")
    if declared.isascii() and declared.isdigit() and (len(declared) > 18 or int(declared) > limit):
        raise BodyTooLarge(f"the body is larger than {limit} bytes")
    chunks, size = [], 0
    async for chunk in request.stream():
        size += len(chunk)
        if size > limit:
            raise BodyTooLarge(f"the body is larger than {limit} bytes")
        chunks.append(chunk)
    body = b"".join(chunks)

    async def replay() -> Message:
        return {"type": "http.request", "body": body, "more_body": False}
    return body, Request(request.scope, replay)
