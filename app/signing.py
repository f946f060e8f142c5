"""Checks shared by every signed inbound request (Slack, Salesforce notify): strict and small.

Headers come from anyone: a timestamp must be plain ASCII digits of sane length, and a signature is
compared only when it is ASCII (hmac.compare_digest refuses other str values with a TypeError).
Slack's own v0 signature is checked by slack_sdk's SignatureVerifier (app/slack/endpoint.py); the
Salesforce notify signature is ours (app/intake/notify.py).

The body is read with a size cap before any signature is computed over it: Starlette's
`request.body()` reads whatever it is sent. The bytes read are handed on in a fresh Request that
replays them, so later readers (bolt) see the same bytes.
"""
from __future__ import annotations

import hmac
import re
from typing import TypeGuard

from starlette.requests import Request
from starlette.types import Message

_UNIX_SECONDS = re.compile(r"[0-9]{1,12}")


def fresh_timestamp(raw: str | None, *, now: float, max_skew: float) -> int | None:
    """The timestamp in unix seconds if it is well formed and within `max_skew` of now, else None."""
    if raw is None or not _UNIX_SECONDS.fullmatch(raw):
        return None
    stamp = int(raw)
    return stamp if abs(now - stamp) <= max_skew else None


def ascii_header(value: str | None) -> TypeGuard[str]:
    """A non-empty, ASCII-only header value: the only kind worth comparing to a signature."""
    return value is not None and value != "" and value.isascii()


def same_signature(expected: str, given: str | None) -> bool:
    return ascii_header(given) and hmac.compare_digest(expected, given)


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
