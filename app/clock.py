"""Time source passed into services and jobs, so tests can control it without patching."""
from __future__ import annotations

from datetime import UTC, datetime, timedelta, tzinfo
from typing import Protocol
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError


class Clock(Protocol):
    def now(self) -> datetime:
        """The current time, timezone-aware UTC."""


class SystemClock:
    def now(self) -> datetime:
        return datetime.now(UTC)


class FixedClock:
    """A clock that only moves when told to (tests, simulations)."""

    def __init__(self, start: datetime) -> None:
        if start.tzinfo is None:
            raise ValueError("FixedClock needs an aware datetime")
        self._now = start.astimezone(UTC)

    def now(self) -> datetime:
        return self._now

    def advance(self, delta: timedelta) -> None:
        self._now += delta

    def set(self, when: datetime) -> None:
        self._now = when.astimezone(UTC)


def zoned_text(moment: datetime, zone: str | None, *, fallback: tzinfo = UTC) -> str:
    """'Tue 24 Nov 2026, 12:00 EST (America/New_York)': a time on a page or in an export, in the viewer's zone (an
    IANA name such as Slack users.info `tz`), the zone named; an unknown or missing zone falls back to `fallback`."""
    if moment.tzinfo is None or moment.utcoffset() is None:
        raise ValueError(f"time must be timezone-aware (UTC in storage), got naive {moment.isoformat()}")
    tz = zone_named(zone) or fallback
    local = moment.astimezone(tz)
    return f"{local:%a %d %b %Y, %H:%M} {local.tzname()} ({getattr(tz, 'key', None) or tz})"


def zone_named(name: str | None) -> ZoneInfo | None:
    """The zone of an IANA name, or None for a missing or unknown one."""
    if not name:
        return None
    try:
        return ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError):
        return None
