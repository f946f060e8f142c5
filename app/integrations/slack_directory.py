"""User-group members and e-mail look-ups remembered briefly: every approval click and every /exceptions asks who
is in the finance groups, and Slack allows those methods only 20 and 50 calls a minute.

A throttled or unreachable Slack is not an answer: then a remembered value up to `stale_limit` old is used, and
without one the RateLimited / VendorUnavailable propagates so the caller can retry later; it is never read as
"nobody is a member".
"""
from __future__ import annotations

import logging
from collections.abc import Callable, Hashable
from dataclasses import dataclass
from datetime import timedelta
from typing import Generic, TypeVar

from app.clock import Clock
from app.errors import RateLimited, VendorUnavailable
from app.integrations.timed_cache import TimedCache

log = logging.getLogger(__name__)
V = TypeVar("V")
DIRECTORY_TTL = timedelta(seconds=120)
DIRECTORY_STALE_LIMIT = timedelta(minutes=15)


@dataclass(frozen=True)
class _Known(Generic[V]):
    value: V  # wrapped, so that a remembered "no such user" (None) is told apart from "not remembered"


class DirectoryCache:
    def __init__(self, *, clock: Clock | None = None, ttl: timedelta = DIRECTORY_TTL,
                 stale_limit: timedelta = DIRECTORY_STALE_LIMIT) -> None:
        if stale_limit < ttl:
            raise ValueError("stale_limit must be at least ttl")
        self.ttl, self.stale_limit = ttl, stale_limit
        self._entries: TimedCache[Hashable, _Known] = TimedCache(clock=clock)

    def read(self, key: Hashable, fetch: Callable[[], V]) -> V:
        """The remembered value if fresh; else `fetch()` (remembered); a stale value when Slack is throttling us
        or unreachable."""
        fresh = self._entries.get(key, max_age=self.ttl)
        if fresh is not None:
            return fresh.value
        try:
            value = fetch()
        except (RateLimited, VendorUnavailable) as error:
            stale = self._entries.get(key, max_age=self.stale_limit)
            if stale is None:
                raise
            log.info("Slack directory %s: using the value remembered earlier (%s)", key, error)
            return stale.value
        self._entries.put(key, _Known(value))
        return value

    def forget(self, key: Hashable) -> None:
        self._entries.discard(key)

    def clear(self) -> None:
        self._entries.clear()
