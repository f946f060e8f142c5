"""Header checks shared by every signed inbound request (Slack, Salesforce notify); pure and strict.

Headers come from anyone: a timestamp must be plain ASCII digits of sane length, and a signature is
compared only when it is ASCII (hmac.compare_digest refuses other str values with a TypeError).
"""
from __future__ import annotations

import hashlib
import hmac
import re

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
