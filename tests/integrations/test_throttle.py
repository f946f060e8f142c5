"""The throttle's contract on in-process buckets with a test clock: non-blocking try_acquire, short acquire."""
from __future__ import annotations

import pytest
from pyrate_limiter import Duration, Rate

from app.errors import RateLimited, ThrottleFull
from app.integrations.throttle import (
    CONTENDED_WAIT,
    DEFAULT_LIMITS,
    Limit,
    Throttle,
    ThrottleKey,
    quickbooks_batch,
    quickbooks_realm,
    slack_channel,
    slack_method,
)
from app.integrations.throttle_buckets import MemoryBuckets, bucket_table, table_stem, throttle_for_database


class FakeTime:
    def __init__(self) -> None:
        self.now = 100.0
        self.slept: list[float] = []

    def monotonic(self) -> float:
        return self.now

    def ms(self) -> int:
        return round(self.now * 1000)

    def sleep(self, seconds: float) -> None:
        self.slept.append(seconds)
        self.now += seconds


def _throttle(time: FakeTime, *rates: Rate, limits: dict[str, Limit] | None = None) -> Throttle:
    table = limits or {"test": Limit("test", "quickbooks", rates)}
    return Throttle(MemoryBuckets(time.ms), limits=table, sleep=time.sleep, monotonic=time.monotonic)


KEY = ThrottleKey("test", "realm-1")


def test_calls_within_the_limit_go_at_once() -> None:
    time = FakeTime()
    throttle = _throttle(time, Rate(3, Duration.SECOND))
    assert [throttle.try_acquire(KEY) for _ in range(3)] == [0.0, 0.0, 0.0]
    assert throttle.acquire(KEY, max_wait=5) == pytest.approx(1.001) and time.slept == [pytest.approx(1.001)]


def test_a_full_window_says_how_long_until_a_slot_and_takes_nothing() -> None:
    time = FakeTime()
    throttle = _throttle(time, Rate(3, Duration.SECOND))
    for _ in range(3):
        assert throttle.try_acquire(KEY) == 0.0
        time.now += 0.1
    assert throttle.try_acquire(KEY) == pytest.approx(0.701)  # the first slot leaves the window at 101.0
    assert throttle.try_acquire(KEY) == pytest.approx(0.701)  # asking again took nothing
    time.now += 0.701
    assert throttle.try_acquire(KEY) == 0.0


def test_the_tightest_of_several_windows_wins() -> None:
    time = FakeTime()
    throttle = _throttle(time, Rate(3, Duration.SECOND), Rate(5, Duration.MINUTE))
    assert [throttle.try_acquire(KEY) for _ in range(4)] == [0.0, 0.0, 0.0, pytest.approx(1.001)]  # per second
    for _ in range(2):
        time.now += 1.001
        assert throttle.try_acquire(KEY) == 0.0
    assert throttle.try_acquire(KEY) == pytest.approx(57.999)  # per minute: the first slot leaves at 160.0


def test_acquire_past_max_wait_raises_throttle_full_without_sleeping() -> None:
    time = FakeTime()
    throttle = _throttle(time, Rate(1, Duration.MINUTE))
    throttle.acquire(KEY, max_wait=0)
    with pytest.raises(ThrottleFull) as caught:
        throttle.acquire(KEY, max_wait=2.0)
    error = caught.value
    assert isinstance(error, RateLimited) and error.retryable and error.vendor == "quickbooks"
    assert error.retry_after == pytest.approx(60.001) and error.key == "test:realm-1" and time.slept == []


def test_acquire_keeps_the_first_slot_while_it_waits_for_the_second() -> None:
    time = FakeTime()
    limits = {"scarce": Limit("scarce", "quickbooks", (Rate(5, Duration.MINUTE),)),
              "tight": Limit("tight", "quickbooks", (Rate(1, Duration.SECOND),))}
    throttle = _throttle(time, limits=limits)
    scarce, tight = ThrottleKey("scarce", "r"), ThrottleKey("tight", "r")
    throttle.acquire(tight, max_wait=0)
    assert throttle.acquire(scarce, tight, max_wait=5) == pytest.approx(1.001)
    assert [throttle.try_acquire(scarce) for _ in range(5)] == [0.0] * 4 + [pytest.approx(59.0)]  # 1 kept + 4


def test_keys_count_separately() -> None:
    time = FakeTime()
    throttle = Throttle(MemoryBuckets(time.ms), sleep=time.sleep, monotonic=time.monotonic)
    assert throttle.try_acquire(slack_channel("C1")) == 0.0
    assert throttle.try_acquire(slack_channel("C1")) == pytest.approx(1.001)
    assert throttle.try_acquire(slack_channel("C2")) == 0.0


def test_named_limits_and_slack_tiers() -> None:
    assert quickbooks_realm("9130").name == "quickbooks_realm:9130"
    assert [(r.limit, r.interval) for r in DEFAULT_LIMITS["quickbooks_realm"].rates] == [(9, 1200), (450, 60000)]
    assert [(r.limit, r.interval) for r in DEFAULT_LIMITS[quickbooks_batch("1").limit].rates] == [(38, 60000)]
    assert slack_method("usergroups.users.list") == ThrottleKey("slack_tier2", "usergroups.users.list")
    assert slack_method("users.lookupByEmail").limit == "slack_tier3"
    assert slack_method("views.publish").limit == "slack_tier4"
    assert slack_method("chat.postMessage") is None and slack_method("auth.test") is None


def test_contention_is_a_short_wait_not_zero() -> None:
    assert 0 < CONTENDED_WAIT < 0.1


def test_table_names_are_valid_identifiers_and_tell_ids_apart() -> None:
    assert table_stem("slack_channel:C0BILLING") != table_stem("slack_channel:c0billing")
    long_name = bucket_table("slack_tier2:" + "x" * 200)
    assert len(long_name) <= 63 and len("timestampindex_" + table_stem("x" * 200)) <= 63
    assert table_stem("quickbooks_realm:9130").startswith("quickbooks_realm_9130_")


def test_sqlite_and_no_database_use_buckets_in_this_process(sqlite_url: str) -> None:
    throttle = throttle_for_database(sqlite_url)
    try:
        assert throttle.try_acquire(quickbooks_realm("1")) == 0.0
    finally:
        throttle.close()


def test_our_quickbooks_pace_can_be_lowered_and_a_minute_never_exceeds_sixty_seconds_worth():
    from app.integrations.throttle import QUICKBOOKS_SECOND, with_quickbooks_pace

    def rates(limits: dict[str, Limit], name: str) -> list[tuple[int, int]]:
        return [(rate.limit, rate.interval) for rate in limits[name].rates]

    default = with_quickbooks_pace()
    assert {name: rates(default, name) for name in default} == \
        {name: rates(dict(DEFAULT_LIMITS), name) for name in DEFAULT_LIMITS}
    lowered = with_quickbooks_pace(per_second=2, batches_per_minute=3)
    assert rates(lowered, quickbooks_realm("r").limit) == [(2, QUICKBOOKS_SECOND), (100, Duration.MINUTE)]
    assert rates(lowered, quickbooks_batch("r").limit) == [(3, Duration.MINUTE)]    # 490/min cannot bind at 2/s
    assert lowered["slack_channel"] is DEFAULT_LIMITS["slack_channel"]
    time = FakeTime()
    throttle = _throttle(time, limits=lowered)
    assert [throttle.try_acquire(quickbooks_realm("r")) for _ in range(3)][:2] == [0.0, 0.0]
    assert throttle.try_acquire(quickbooks_realm("r")) > 0


def _arrivals_refused(limits: dict[str, Limit], *, vendor_per_second: int, seconds: int = 6) -> int:
    """Every millisecond a thread asks for a slot (so a burst at each window edge); an admitted request reaches
    the vendor 199 ms later in even seconds, at once in odd ones (a busy machine, then an idle one). Returns
    the 429s Intuit's sliding window (the emulator's counting) would send."""
    from datetime import UTC, datetime, timedelta

    from app.sandbox.quickbooks.throttle import Throttle as VendorWindow
    from app.sandbox.quickbooks.throttle import ThrottleLimits

    time = FakeTime()
    ours = _throttle(time, limits=limits)
    stamps = []
    for _ in range(seconds * 1000):
        if ours.try_acquire(quickbooks_realm("r")) == 0.0:
            stamps.append(time.now + (0.199 if int(time.now) % 2 == 0 else 0.0))
        time.now += 0.001
    vendor = VendorWindow(ThrottleLimits(per_app_per_second=vendor_per_second))
    start = datetime(2026, 12, 1, tzinfo=UTC)
    return sum(not vendor.admit(realm_id="r", client_id="app", is_batch=False, now=start + timedelta(seconds=at))
               for at in sorted(stamps))


def test_a_request_delayed_on_its_way_never_lands_in_the_vendors_next_window():
    """Our per-second window is wider than Intuit's by the margin: a burst stamped at one edge and delayed
    reaches Intuit no closer than a window to the next burst (the flaky 429 of two workers on a busy machine)."""
    from app.integrations.throttle import with_quickbooks_pace

    assert _arrivals_refused(with_quickbooks_pace(per_second=3), vendor_per_second=3) == 0
    one_second = {**DEFAULT_LIMITS, "quickbooks_realm": Limit("quickbooks_realm", "quickbooks",
                                                              (Rate(3, Duration.SECOND),))}
    assert _arrivals_refused(one_second, vendor_per_second=3) > 0       # the same pace over exactly 1 s
