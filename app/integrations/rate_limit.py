"""Client-side pacing so we stay under a vendor's documented limits instead of collecting 429s."""
from __future__ import annotations

import threading
import time
from collections import deque
from collections.abc import Callable


class SlidingWindowLimiter:
    """At most `limit` calls per `window` seconds for every (window, limit) pair; `acquire` waits its turn."""

    def __init__(self, limits: tuple[tuple[float, int], ...], *, monotonic: Callable[[], float] = time.monotonic,
                 sleep: Callable[[float], None] = time.sleep) -> None:
        self._limits = limits
        self._calls: deque[float] = deque()
        self._lock = threading.Lock()
        self._monotonic, self._sleep = monotonic, sleep

    def acquire(self) -> float:
        """Block until a call is allowed; returns how long it waited (seconds)."""
        waited = 0.0
        while True:
            with self._lock:
                now = self._monotonic()
                delay = self._delay(now)
                if delay <= 0:
                    self._calls.append(now)
                    return waited
            self._sleep(delay)
            waited += delay

    def _delay(self, now: float) -> float:
        longest = max(window for window, _ in self._limits)
        while self._calls and self._calls[0] <= now - longest:
            self._calls.popleft()
        delay = 0.0
        for window, limit in self._limits:
            recent = [stamp for stamp in self._calls if stamp > now - window]
            if len(recent) >= limit:
                delay = max(delay, recent[-limit] + window - now)
        return delay


def quickbooks_limiter() -> SlidingWindowLimiter:
    """Intuit: 500 requests/min per realm and 10/s per realm and app; we keep a margin under both."""
    return SlidingWindowLimiter(((1.0, 8), (60.0, 450)))
