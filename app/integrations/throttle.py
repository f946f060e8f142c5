"""Client-side vendor limits shared by every process (pyrate-limiter buckets), so we stay under them instead of
collecting 429s.

A `ThrottleKey` names one limit and its scope (a realm, a channel, a method). `try_acquire(key)` never blocks:
it returns 0.0 when a slot was taken, else the seconds until one frees up, so a worker lane can reschedule.
`acquire(*keys, max_wait=...)` is the short blocking form for calls made inline; past `max_wait` it raises
ThrottleFull (a RateLimited: nothing was sent). Where the buckets live (one process or PostgreSQL) is the
`BucketSource`'s business: see throttle_buckets.py.
"""
from __future__ import annotations

import threading
import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Protocol

from pyrate_limiter import AbstractBucket, Duration, Rate, RateItem

from app.errors import ThrottleFull

CONTENDED_WAIT = 0.01  # another process held the bucket's lock: try again very soon
CONTENDED_RETRIES = 20  # acquire() retries a contended bucket this often before counting against max_wait
LEAK_EVERY = 10.0  # seconds between deletions of entries older than every window, per bucket


@dataclass(frozen=True)
class Limit:
    name: str
    vendor: str
    rates: tuple[Rate, ...]


# The vendors' documented limits, each a little lower: our clock and the vendor's see a request at slightly
# different moments, and a request admitted at the edge of a window must not land in the vendor's next one.
# QuickBooks' per-second window is also counted over 1.2 s, not 1 s: we stamp a request when it takes its slot,
# Intuit when it arrives, and the delay between the two varies (a GIL, a busy machine, a slow connect). Two
# bursts admitted one window apart would otherwise reach Intuit in one window whenever the first was delayed a
# few milliseconds more than the second (one 429 seen with two workers on a loaded machine). A margin of M ms
# absorbs any such difference up to M; it costs nothing in bursts and ~8% of the sustained single-call rate
# (9 per 1.2 s is 450 a minute, so the 490 a minute never binds); batches are bound by their own limit.
QUICKBOOKS_CLOCK_MARGIN_MS = 200
QUICKBOOKS_SECOND = Duration.SECOND + QUICKBOOKS_CLOCK_MARGIN_MS
QUICKBOOKS_PER_SECOND, QUICKBOOKS_PER_MINUTE = 9, 490


def _quickbooks_realm_rates(per_second: int, per_minute: int) -> tuple[Rate, ...]:
    """A minute above what the (wider) second allows never binds, and pyrate-limiter refuses such a rate list."""
    minute = min(per_minute, per_second * Duration.MINUTE // QUICKBOOKS_SECOND)
    return Rate(per_second, QUICKBOOKS_SECOND), Rate(minute, Duration.MINUTE)


QUICKBOOKS_REALM = Limit("quickbooks_realm", "quickbooks",  # Intuit: 10/s, 500/min
                         _quickbooks_realm_rates(QUICKBOOKS_PER_SECOND, QUICKBOOKS_PER_MINUTE))
QUICKBOOKS_BATCH = Limit("quickbooks_batch", "quickbooks", (Rate(38, Duration.MINUTE),))  # Intuit: 40/min
SLACK_CHANNEL = Limit("slack_channel", "slack", (Rate(1, Duration.SECOND),))  # chat.postMessage ~1/s/channel
SLACK_TIER_2 = Limit("slack_tier2", "slack", (Rate(19, Duration.MINUTE),))  # Slack: 20+/min
SLACK_TIER_3 = Limit("slack_tier3", "slack", (Rate(48, Duration.MINUTE),))  # Slack: 50+/min
SLACK_TIER_4 = Limit("slack_tier4", "slack", (Rate(95, Duration.MINUTE),))  # Slack: 100+/min
DEFAULT_LIMITS: Mapping[str, Limit] = {limit.name: limit for limit in (
    QUICKBOOKS_REALM, QUICKBOOKS_BATCH, SLACK_CHANNEL, SLACK_TIER_2, SLACK_TIER_3, SLACK_TIER_4)}

# Slack's tier of each Web API method the app calls (contracts §1.5); chat.postMessage is limited per channel.
SLACK_METHOD_TIERS: Mapping[str, Limit] = {
    "usergroups.users.list": SLACK_TIER_2,
    "users.lookupByEmail": SLACK_TIER_3, "chat.update": SLACK_TIER_3, "conversations.open": SLACK_TIER_3,
    "chat.postEphemeral": SLACK_TIER_4, "views.open": SLACK_TIER_4, "views.update": SLACK_TIER_4,
    "views.push": SLACK_TIER_4, "views.publish": SLACK_TIER_4, "users.info": SLACK_TIER_4,
    "users.conversations": SLACK_TIER_3, "conversations.info": SLACK_TIER_3,
}


def with_quickbooks_pace(*, per_second: int | None = None, per_minute: int | None = None,
                         batches_per_minute: int | None = None,
                         limits: Mapping[str, Limit] = DEFAULT_LIMITS) -> dict[str, Limit]:
    """`limits` with our QuickBooks pace changed where given (the QBO_LIMIT_* settings; None keeps ours)."""
    realm = Limit(QUICKBOOKS_REALM.name, "quickbooks", _quickbooks_realm_rates(
        per_second or QUICKBOOKS_PER_SECOND, per_minute or QUICKBOOKS_PER_MINUTE))
    batch = Limit(QUICKBOOKS_BATCH.name, "quickbooks",
                  (Rate(batches_per_minute or QUICKBOOKS_BATCH.rates[0].limit, Duration.MINUTE),))
    return {**limits, realm.name: realm, batch.name: batch}


@dataclass(frozen=True)
class ThrottleKey:
    limit: str  # a name in the throttle's limits table
    scope: str  # what the limit is counted per: a realm id, a channel id, a method name

    @property
    def name(self) -> str:
        return f"{self.limit}:{self.scope}"


def quickbooks_realm(realm_id: str) -> ThrottleKey:
    """Every QuickBooks API request for a company (batch requests included)."""
    return ThrottleKey(QUICKBOOKS_REALM.name, realm_id)


def quickbooks_batch(realm_id: str) -> ThrottleKey:
    """A POST /batch for a company; take it together with quickbooks_realm."""
    return ThrottleKey(QUICKBOOKS_BATCH.name, realm_id)


def slack_channel(channel: str) -> ThrottleKey:
    """chat.postMessage into one channel."""
    return ThrottleKey(SLACK_CHANNEL.name, channel)


def slack_method(method: str) -> ThrottleKey | None:
    """A Slack Web API method's tier (per workspace); None for methods without a tier limit we track."""
    tier = SLACK_METHOD_TIERS.get(method)
    return ThrottleKey(tier.name, method) if tier else None


class BucketSource(Protocol):
    """Makes the bucket counting one key (its `now()` is the clock the bucket compares against)."""

    def bucket(self, name: str, rates: Sequence[Rate]) -> AbstractBucket: ...

    def close(self) -> None: ...


@dataclass
class _Slot:
    bucket: AbstractBucket
    lock: threading.Lock
    leaked_at: float


class Throttle:
    def __init__(self, buckets: BucketSource, *, limits: Mapping[str, Limit] = DEFAULT_LIMITS,
                 sleep: Callable[[float], None] = time.sleep,
                 monotonic: Callable[[], float] = time.monotonic) -> None:
        self._source, self._limits = buckets, dict(limits)
        self._sleep, self._monotonic = sleep, monotonic
        self._slots: dict[str, _Slot] = {}
        self._lock = threading.Lock()

    def try_acquire(self, key: ThrottleKey) -> float:
        """Take a slot now (0.0) or say how many seconds until one frees up (nothing taken)."""
        wait = self._attempt(key)
        return CONTENDED_WAIT if wait is None else wait

    def acquire(self, *keys: ThrottleKey, max_wait: float) -> float:
        """Take a slot of every key, waiting at most `max_wait` seconds in all; returns the seconds waited.

        Keys are taken in the order given and a slot already taken is kept while waiting for the next, so put
        the scarcest first (a QuickBooks batch: quickbooks_batch, then quickbooks_realm). A bucket another
        process is updating right now is retried a few times at once, even with max_wait=0.
        """
        started, waited = self._monotonic(), 0.0
        for key in keys:
            contended = 0
            while (wait := self._attempt(key)) != 0.0:
                if wait is None and contended < CONTENDED_RETRIES:
                    contended += 1
                    self._sleep(CONTENDED_WAIT)
                    continue
                wait = CONTENDED_WAIT if wait is None else wait
                if waited + wait > max_wait:
                    limit = self._limits[key.limit]
                    raise ThrottleFull(f"{limit.vendor} client-side limit {key.name} is full for {wait:.2f} s",
                                       vendor=limit.vendor, retry_after=wait, key=key.name)
                self._sleep(wait)
                waited = self._monotonic() - started
        return waited

    def close(self) -> None:
        self._source.close()

    def _slot(self, key: ThrottleKey) -> _Slot:
        with self._lock:
            slot = self._slots.get(key.name)
            if slot is None:
                rates = self._limits[key.limit].rates  # KeyError: a key for a limit this throttle lacks
                slot = _Slot(self._source.bucket(key.name, rates), threading.Lock(), leaked_at=self._monotonic())
                self._slots[key.name] = slot
            return slot

    def _attempt(self, key: ThrottleKey) -> float | None:
        """0.0: a slot was taken; seconds until one frees up; None: another process held the bucket's lock."""
        slot = self._slot(key)
        with slot.lock:  # put() and waiting() share the bucket's last verdict
            item = RateItem(key.name, _now_ms(slot.bucket))
            if slot.bucket.put(item):
                self._leak_now_and_then(slot, item.timestamp)
                return 0.0
            wait_ms = slot.bucket.waiting(item)
        if not isinstance(wait_ms, int):
            raise TypeError("the throttle needs a synchronous bucket")
        # A put refused for a lock held elsewhere has no real wait: the figure is 0 or from a stale entry.
        return wait_ms / 1000 if wait_ms > 0 else None

    def _leak_now_and_then(self, slot: _Slot, now_ms: int) -> None:
        if self._monotonic() - slot.leaked_at >= LEAK_EVERY:
            slot.leaked_at = self._monotonic()
            slot.bucket.leak(now_ms)


def _now_ms(bucket: AbstractBucket) -> int:
    now = bucket.now()
    if not isinstance(now, int):
        raise TypeError("the throttle needs a synchronous bucket clock")
    return now
