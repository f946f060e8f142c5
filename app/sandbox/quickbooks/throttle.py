"""Sliding-window request counting for the documented QBO throttles (per realm, per realm+app, batch)."""
from __future__ import annotations

from collections import deque
from dataclasses import dataclass, field
from datetime import datetime, timedelta


@dataclass(frozen=True)
class ThrottleLimits:
    """Defaults are Intuit's documented limits; tests lower them to stay fast."""

    per_realm_per_minute: int = 500
    per_app_per_second: int = 10
    batch_per_minute: int = 40


@dataclass
class Throttle:
    limits: ThrottleLimits = field(default_factory=ThrottleLimits)
    _seen: dict[tuple[str, ...], deque[datetime]] = field(default_factory=dict)

    def admit(self, *, realm_id: str, client_id: str, is_batch: bool, now: datetime) -> bool:
        """Count this request in every window it belongs to; False when any window is full."""
        checks = [(("realm", realm_id), self.limits.per_realm_per_minute, timedelta(minutes=1)),
                  (("app", realm_id, client_id), self.limits.per_app_per_second, timedelta(seconds=1))]
        if is_batch:
            checks.append((("batch", realm_id, client_id), self.limits.batch_per_minute, timedelta(minutes=1)))
        if not all(self._room(key, limit, span, now) for key, limit, span in checks):
            return False
        for key, _, _ in checks:
            self._seen.setdefault(key, deque()).append(now)
        return True

    def _room(self, key: tuple[str, ...], limit: int, span: timedelta, now: datetime) -> bool:
        seen = self._seen.setdefault(key, deque())
        while seen and seen[0] <= now - span:
            seen.popleft()
        return len(seen) < limit

    def reset(self) -> None:
        self._seen.clear()
