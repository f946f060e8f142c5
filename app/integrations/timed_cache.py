"""A small thread-safe cache whose readers say how old an entry may be (fresh for normal reads, older when the
vendor is throttling and a stale answer beats none). Time comes from a Clock, so tests move it."""
from __future__ import annotations

import threading
from collections import OrderedDict
from collections.abc import Hashable
from datetime import datetime, timedelta
from typing import Generic, TypeVar

from app.clock import Clock, SystemClock

K = TypeVar("K", bound=Hashable)
V = TypeVar("V")
MAX_ENTRIES = 10_000


class TimedCache(Generic[K, V]):
    def __init__(self, *, clock: Clock | None = None, max_entries: int = MAX_ENTRIES) -> None:
        self._clock = clock or SystemClock()
        self._max_entries = max_entries
        self._entries: OrderedDict[K, tuple[datetime, V]] = OrderedDict()
        self._lock = threading.Lock()

    def get(self, key: K, *, max_age: timedelta) -> V | None:
        """The value stored for `key` if it is at most `max_age` old, else None."""
        with self._lock:
            entry = self._entries.get(key)
            if entry is None or self._clock.now() - entry[0] > max_age:
                return None
            self._entries.move_to_end(key)
            return entry[1]

    def put(self, key: K, value: V) -> None:
        with self._lock:
            self._entries[key] = (self._clock.now(), value)
            self._entries.move_to_end(key)
            while len(self._entries) > self._max_entries:  # the least recently used go first
                self._entries.popitem(last=False)

    def discard(self, key: K) -> None:
        with self._lock:
            self._entries.pop(key, None)

    def clear(self) -> None:
        with self._lock:
            self._entries.clear()

    def __len__(self) -> int:
        with self._lock:
            return len(self._entries)
