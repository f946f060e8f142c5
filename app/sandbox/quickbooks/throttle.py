"""Sliding-window request counting for the documented QBO throttles (per realm, per realm+app, batch), and
counters a benchmark reads back (what was admitted per second and per minute, the busiest windows, 429s sent)."""
from __future__ import annotations

from collections import deque
from dataclasses import dataclass, field
from datetime import datetime, timedelta

SECOND, MINUTE = timedelta(seconds=1), timedelta(minutes=1)


@dataclass(frozen=True)
class ThrottleLimits:
    """Defaults are Intuit's documented limits; tests lower them to stay fast."""

    per_realm_per_minute: int = 500
    per_app_per_second: int = 10
    batch_per_minute: int = 40


@dataclass
class _Window:
    span: timedelta
    stamps: deque[datetime] = field(default_factory=deque)
    peak: int = 0

    def count(self, now: datetime) -> int:
        while self.stamps and self.stamps[0] <= now - self.span:
            self.stamps.popleft()
        return len(self.stamps)

    def add(self, now: datetime) -> None:
        self.stamps.append(now)
        self.peak = max(self.peak, self.count(now))


@dataclass
class RealmCounters:
    """Admitted requests of one realm (every app), and the 429s it was sent."""

    per_second: _Window = field(default_factory=lambda: _Window(SECOND))
    per_minute: _Window = field(default_factory=lambda: _Window(MINUTE))
    batch_per_minute: _Window = field(default_factory=lambda: _Window(MINUTE))
    admitted: int = 0
    batches: int = 0
    throttled: int = 0

    def snapshot(self, now: datetime) -> dict[str, int]:
        return {"admitted": self.admitted, "batches": self.batches, "throttled_429": self.throttled,
                "last_second": self.per_second.count(now), "last_minute": self.per_minute.count(now),
                "batch_last_minute": self.batch_per_minute.count(now), "peak_per_second": self.per_second.peak,
                "peak_per_minute": self.per_minute.peak, "peak_batch_per_minute": self.batch_per_minute.peak}


@dataclass
class Throttle:
    limits: ThrottleLimits = field(default_factory=ThrottleLimits)
    _seen: dict[tuple[str, ...], deque[datetime]] = field(default_factory=dict)
    counters: dict[str, RealmCounters] = field(default_factory=dict)

    def admit(self, *, realm_id: str, client_id: str, is_batch: bool, now: datetime) -> bool:
        """Count this request in every window it belongs to; False when any window is full."""
        checks = [(("realm", realm_id), self.limits.per_realm_per_minute, MINUTE),
                  (("app", realm_id, client_id), self.limits.per_app_per_second, SECOND)]
        if is_batch:
            checks.append((("batch", realm_id, client_id), self.limits.batch_per_minute, MINUTE))
        if not all(self._room(key, limit, span, now) for key, limit, span in checks):
            return False
        for key, _, _ in checks:
            self._seen.setdefault(key, deque()).append(now)
        self._count_admitted(realm_id, is_batch, now)
        return True

    def count_throttled(self, realm_id: str) -> None:
        """A 429 was sent to this realm (its throttle, or one injected by a test)."""
        self.counters.setdefault(realm_id, RealmCounters()).throttled += 1

    def stats(self, now: datetime) -> dict[str, dict[str, int]]:
        return {realm: counters.snapshot(now) for realm, counters in sorted(self.counters.items())}

    def _count_admitted(self, realm_id: str, is_batch: bool, now: datetime) -> None:
        counters = self.counters.setdefault(realm_id, RealmCounters())
        counters.admitted += 1
        counters.per_second.add(now)
        counters.per_minute.add(now)
        if is_batch:
            counters.batches += 1
            counters.batch_per_minute.add(now)

    def _room(self, key: tuple[str, ...], limit: int, span: timedelta, now: datetime) -> bool:
        seen = self._seen.setdefault(key, deque())
        while seen and seen[0] <= now - span:
            seen.popleft()
        return len(seen) < limit

    def reset(self) -> None:
        self._seen.clear()
        self.counters.clear()
