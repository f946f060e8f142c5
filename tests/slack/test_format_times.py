"""Times people read: Slack date tokens in messages (each reader's zone), the viewer's zone named on pages."""
from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone

import pytest

from app.slack.blocks.format import slack_time, utc_text, when_utc, zoned_text

MOMENT = datetime(2026, 11, 26, 14, 5, tzinfo=UTC)


def test_a_slack_date_token_carries_the_instant_and_a_utc_fallback():
    assert slack_time(MOMENT) == "<!date^1795701900^{date_short_pretty} {time}|2026-11-26 14:05 UTC>"
    same_instant = MOMENT.astimezone(timezone(timedelta(hours=-5)))
    assert slack_time(same_instant) == slack_time(MOMENT) == when_utc(MOMENT)
    assert slack_time(MOMENT, style="{date_num}") == "<!date^1795701900^{date_num}|2026-11-26 14:05 UTC>"
    assert utc_text(MOMENT) == "2026-11-26 14:05 UTC"


def test_naive_times_are_refused():
    with pytest.raises(ValueError):
        slack_time(datetime(2026, 11, 26, 14, 5))
    with pytest.raises(ValueError):
        zoned_text(datetime(2026, 11, 26, 14, 5), "Europe/London")


def test_pages_show_the_viewers_zone_named_and_fall_back_for_unknown_zones():
    assert zoned_text(MOMENT, "America/Los_Angeles") == "Thu 26 Nov 2026, 06:05 PST (America/Los_Angeles)"
    assert zoned_text(MOMENT, "Asia/Tokyo") == "Thu 26 Nov 2026, 23:05 JST (Asia/Tokyo)"
    assert zoned_text(MOMENT, "Mars/Olympus") == "Thu 26 Nov 2026, 14:05 UTC (UTC)"
    assert zoned_text(MOMENT, None).endswith("(UTC)")
