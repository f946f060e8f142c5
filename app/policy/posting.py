"""Policy keys for what Ledgerbridge posts on its own: exceptions as they happen, and the weekly metric review."""
from __future__ import annotations

from enum import StrEnum

from pydantic import BaseModel, ConfigDict, Field

from app.policy.fields import SlackChannelId, Weekdays
from app.policy.vocabulary import Weekday


class FeedMode(StrEnum):
    LIVE = "live"
    """Each new exception is posted in channels.exceptions as it opens (one threaded message per deal)."""
    DIGEST_ONLY = "digest_only"
    """Exceptions appear only in the daily digest and `/exceptions`."""


class ExceptionFeed(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    mode: FeedMode = FeedMode.LIVE
    burst_limit: int = Field(default=10, ge=1, le=40)
    """More deals with new exceptions than this at once (one poll): one summary message instead of one each."""


class WeeklyReview(BaseModel):
    """When the weekly metric review is posted: `days` at hour:minute in the policy's time zone."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    enabled: bool = True
    days: Weekdays = (Weekday.MON,)
    hour: int = Field(default=9, ge=0, le=23)
    minute: int = Field(default=0, ge=0, le=59)
    channel: SlackChannelId | None = None
    """Where it is posted; channels.digest when not given."""
