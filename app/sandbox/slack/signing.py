"""Slack request signing (contracts.md 1.1): what Slack adds to every request it sends an app."""
from __future__ import annotations

import hashlib
import hmac


def signature(secret: str, body: str, timestamp: int) -> str:
    digest = hmac.new(secret.encode(), f"v0:{timestamp}:{body}".encode(), hashlib.sha256).hexdigest()
    return f"v0={digest}"


def signed_headers(secret: str, body: str, timestamp: int) -> dict[str, str]:
    return {"X-Slack-Request-Timestamp": str(timestamp), "X-Slack-Signature": signature(secret, body, timestamp)}
