"""Token buckets for the emulator's chat.postMessage limit (about 1 message/second/channel, short bursts)."""
from __future__ import annotations

import math
from dataclasses import dataclass, field
from datetime import datetime


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
