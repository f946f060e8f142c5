"""Header checks shared by every signed inbound request (Slack, Salesforce notify); pure and strict.

Headers come from anyone: a timestamp must be plain ASCII digits of sane length, and a signature is
compared only when it is ASCII (hmac.compare_digest refuses other str values with a TypeError).
Slack's own v0 signature is checked by slack_sdk's SignatureVerifier (app/slack/endpoint.py); the
Salesforce notify signature is ours (app/intake/notify.py).
"""
from __future__ import annotations

import hmac
import re
from typing import TypeGuard

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
