"""The emulator's rate limits: token buckets for chat.postMessage (about 1 message/second/channel, short
bursts), and sliding windows for the tiered directory methods (usergroups.users.list, users.lookupByEmail)."""
from __future__ import annotations

import math
from collections import deque
from dataclasses import dataclass, field
from datetime import datetime, timedelta


@dataclass
class TokenBucket:
    """`rate` tokens per second up to `burst`; `take` answers None (allowed) or seconds until the next token."""

    rate: float
    burst: int
    tokens: float = field(init=False)
    updated: datetime | None = field(default=None, init=False)

    def __post_init__(self) -> None:
        if self.rate <= 0 or self.burst < 1:
            raise ValueError("rate must be > 0 and burst >= 1")
        self.tokens = float(self.burst)

    def take(self, now: datetime) -> float | None:
        if self.updated is not None:
            elapsed = max((now - self.updated).total_seconds(), 0.0)
            self.tokens = min(float(self.burst), self.tokens + elapsed * self.rate)
        self.updated = now
        if self.tokens >= 1.0:
            self.tokens -= 1.0
            return None
        return (1.0 - self.tokens) / self.rate


class KeyedLimiter:
    """One bucket per key (a channel id), all with the same rate and burst."""

    def __init__(self, *, rate: float, burst: int) -> None:
        TokenBucket(rate, burst)  # validates the numbers now, not at the first message
        self.rate, self.burst = rate, burst
        self._buckets: dict[str, TokenBucket] = {}

    def retry_after(self, key: str, now: datetime) -> float | None:
        bucket = self._buckets.setdefault(key, TokenBucket(self.rate, self.burst))
        return bucket.take(now)


def retry_after_header(wait_seconds: float, override: int | None = None) -> str:
    """Slack sends whole seconds, at least 1; tests may override (0 keeps slack_sdk's retry sleep short)."""
    if override is not None:
        return str(override)
    return str(max(1, math.ceil(wait_seconds)))


# Slack's tiers for the directory methods the app reads (per workspace): Tier 2 and Tier 3, in calls a minute.
DEFAULT_METHOD_LIMITS = {"usergroups.users.list": 20, "users.lookupByEmail": 50}
METHOD_WINDOW_SECONDS = 60.0


class MethodLimiter:
    """At most `limits[method]` calls of a method in any `window_seconds`; methods not listed are not limited."""

    def __init__(self, limits: dict[str, int], *, window_seconds: float = METHOD_WINDOW_SECONDS) -> None:
        if window_seconds <= 0 or any(not isinstance(n, int) or n < 1 for n in limits.values()):
            raise ValueError("window_seconds must be > 0 and every limit an integer >= 1")
        self.limits, self.window_seconds = dict(limits), window_seconds
        self._calls: dict[str, deque[datetime]] = {}

    def retry_after(self, method: str, now: datetime) -> float | None:
        """None (the call counts) or the seconds until the oldest call in the window leaves it."""
        limit = self.limits.get(method)
        if limit is None:
            return None
        window = timedelta(seconds=self.window_seconds)
        calls = self._calls.setdefault(method, deque())
        while calls and calls[0] <= now - window:
            calls.popleft()
        if len(calls) >= limit:
            return max((calls[0] + window - now).total_seconds(), 0.001)
        calls.append(now)
        return None
