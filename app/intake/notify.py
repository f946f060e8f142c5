"""The push path: a Salesforce Flow HTTP callout tells us which opportunities changed.

Wire format (documented in README): POST /salesforce/notify with JSON `{"opportunity_ids": ["006..."]}`,
header `X-Ledgerbridge-Timestamp: <unix seconds>` and
`X-Ledgerbridge-Signature: v1=<hex HMAC-SHA256(SALESFORCE_NOTIFY_SECRET, "<timestamp>.<raw body>")>`.
"""
from __future__ import annotations

import hashlib
import hmac
import json
import re
from dataclasses import dataclass

from app.signing import fresh_timestamp, same_signature

MAX_CLOCK_SKEW_SECONDS = 300
MAX_IDS_PER_NOTIFY = 200
MAX_NOTIFY_BYTES = 64_000           # 200 ids fit in 5 kB
_SALESFORCE_ID = re.compile(r"[a-zA-Z0-9]{15}(?:[a-zA-Z0-9]{3})?")     # fullmatch: "$" would let "\n" through


class NotifyRejected(ValueError):
    """The notification is unsigned, stale, forged or malformed; the message says which."""


@dataclass(frozen=True)
class Notification:
    opportunity_ids: tuple[str, ...]


def sign_notify(secret: str, timestamp: int, body: bytes) -> str:
    digest = hmac.new(secret.encode(), f"{timestamp}.".encode() + body, hashlib.sha256).hexdigest()
    return f"v1={digest}"


def verify_notify(
    *, secret: str, timestamp: str | None, signature: str | None, body: bytes, now: float
) -> None:
    """Raise NotifyRejected unless the signature matches and the timestamp is fresh."""
    if not timestamp or not signature:
        raise NotifyRejected("missing X-Ledgerbridge-Timestamp or X-Ledgerbridge-Signature header")
    stamp = fresh_timestamp(timestamp, now=now, max_skew=MAX_CLOCK_SKEW_SECONDS)
    if stamp is None:
        raise NotifyRejected("X-Ledgerbridge-Timestamp must be unix seconds within 5 minutes of now")
    if not same_signature(sign_notify(secret, stamp, body), signature):
        raise NotifyRejected("signature does not match")


def parse_notification(body: bytes) -> Notification:
    """Validate the JSON body: a non-empty list of Salesforce opportunity ids, de-duplicated in order."""
    try:
        data = json.loads(body)
    except (UnicodeDecodeError, json.JSONDecodeError) as error:
        raise NotifyRejected(f"body is not JSON: {error}") from None
    except RecursionError:
        raise NotifyRejected("body is nested too deeply") from None
    ids = data.get("opportunity_ids") if isinstance(data, dict) else None
    if not isinstance(ids, list) or not ids:
        raise NotifyRejected('body must be {"opportunity_ids": ["006..."]} with at least one id')
    if len(ids) > MAX_IDS_PER_NOTIFY:
        raise NotifyRejected(f"at most {MAX_IDS_PER_NOTIFY} ids per notification")
    bad = [i for i in ids if not isinstance(i, str) or not _SALESFORCE_ID.fullmatch(i)]
    if bad:
        raise NotifyRejected(f"not Salesforce ids: {', '.join(_quoted(i) for i in bad[:3])}")
    return Notification(opportunity_ids=tuple(dict.fromkeys(ids)))


def _quoted(value: object) -> str:
    """A refused value, short enough for a reply and a log line (the body is the sender's)."""
    text = json.dumps(value) if not isinstance(value, str) else repr(value)
    return text if len(text) <= 24 else text[:21] + "..."
