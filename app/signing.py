"""Checks shared by every signed inbound request (Slack, Salesforce notify): strict and small.

Headers come from anyone: a timestamp must be plain ASCII digits of sane length, and a signature is
compared only when it is ASCII (hmac.compare_digest refuses other str values with a TypeError).
The body is read with a size cap before any signature is computed over it: Starlette's
`request.body()` reads whatever it is sent. The bytes read are handed on in a fresh Request that
replays them, so later readers (bolt) see the same bytes.
"""
from __future__ import annotations

import hashlib
import hmac
import re

from starlette.requests import Request
from starlette.types import Message

_UNIX_SECONDS = re.compile(r"[0-9]{1,12}")


def fresh_timestamp(raw: str | None, *, now: float, max_skew: float) -> int | None:
    """The timestamp in unix seconds if it is well formed and within `max_skew` of now, else None."""
    if raw is None or not _UNIX_SECONDS.fullmatch(raw):
        return None
    stamp = int(raw)
    return stamp if abs(now - stamp) <= max_skew else None


def same_signature(expected: str, given: str | None) -> bool:
    return bool(given) and given.isascii() and hmac.compare_digest(expected, given)


def slack_signature(secret: str, timestamp: int, body: bytes) -> str:
    """Slack's v0 signature over the exact bytes received (https://api.slack.com/docs/verifying-requests-from-slack)."""
    base = b"v0:" + str(timestamp).encode() + b":" + body
    return "v0=" + hmac.new(secret.encode(), base, hashlib.sha256).hexdigest()


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
