from datetime import UTC, datetime, timedelta

import pytest

from app.clock import FixedClock
from app.errors import RateLimited
from app.integrations.slack_directory import DirectoryCache
from app.integrations.timed_cache import TimedCache


def test_readers_choose_how_old_an_entry_may_be_and_the_least_recently_used_go_first() -> None:
    clock = FixedClock(datetime(2024, 5, 1, tzinfo=UTC))
    cache: TimedCache[str, int] = TimedCache(clock=clock, max_entries=2)
    cache.put("a", 1)
    cache.put("b", 2)
    clock.advance(timedelta(seconds=30))
    assert cache.get("a", max_age=timedelta(seconds=29)) is None
    assert cache.get("a", max_age=timedelta(seconds=30)) == 1  # and "a" is now the most recently used
    cache.put("c", 3)
    assert cache.get("b", max_age=timedelta(days=1)) is None and len(cache) == 2
    cache.clear()
    assert len(cache) == 0


def test_a_remembered_none_is_an_answer_and_stale_values_only_stand_in_for_a_throttled_vendor() -> None:
    clock = FixedClock(datetime(2024, 5, 1, tzinfo=UTC))
    directory = DirectoryCache(clock=clock, ttl=timedelta(seconds=120), stale_limit=timedelta(minutes=15))
    assert directory.read("nobody", lambda: None) is None
    assert directory.read("nobody", lambda: "asked again") is None

    def throttled() -> str:
        raise RateLimited("slow down", vendor="slack", retry_after=30)

    directory.read("group", lambda: "members")
    clock.advance(timedelta(minutes=3))
    assert directory.read("group", throttled) == "members"
    assert directory.read("group", lambda: "new members") == "new members"  # not throttled: asked, not stale
    with pytest.raises(ValueError):
        DirectoryCache(ttl=timedelta(minutes=5), stale_limit=timedelta(minutes=1))
