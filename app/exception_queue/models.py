"""Exceptions that need a human: SLA, owner, root cause, retries and reminders."""
from __future__ import annotations

from datetime import datetime
from enum import StrEnum

from sqlalchemy import Column, Integer, Text, UniqueConstraint
from sqlmodel import Field, SQLModel

from app.db import UTCDateTime

OPEN = 1
"""The value of `open_marker` while an item is open; it becomes NULL when the item is closed."""


class ExceptionStatus(StrEnum):
    OPEN = "open"
    RESOLVED = "resolved"
    DISMISSED = "dismissed"


class ExceptionItem(SQLModel, table=True):
    """A problem is open at most once per dedupe_key: UNIQUE(dedupe_key, open_marker) ignores NULL markers,
    so closed items never collide and the same problem can reopen after resolution."""

    __tablename__ = "exception_item"
    __table_args__ = (UniqueConstraint("dedupe_key", "open_marker"),)

    id: int | None = Field(default=None, primary_key=True)
    kind: str = Field(max_length=40)
    dedupe_key: str = Field(max_length=200)
    # A plain column with no SQL default: the ORM omits None from INSERTs, so a column default of 1
    # would silently turn an explicitly closed item (None) back into an open one.
    open_marker: int | None = Field(default=OPEN, sa_column=Column(Integer, nullable=True))
    deal_id: int | None = Field(default=None, foreign_key="deal.id", index=True)
    account_id: int | None = Field(default=None, foreign_key="account.id")
    sf_record_url: str | None = Field(default=None, max_length=500)
    reason: str = Field(sa_type=Text)
    fix: str = Field(default="", sa_type=Text)
    root_cause: str | None = Field(default=None, max_length=80)
    suggested_root_cause: str | None = Field(default=None, max_length=80)
    sla_due_at: datetime = Field(sa_type=UTCDateTime)
    owner_slack_id: str | None = Field(default=None, max_length=32)
    status: str = Field(default=ExceptionStatus.OPEN, max_length=16, index=True)
    resolved_by: str | None = Field(default=None, max_length=32)
    resolution: str | None = Field(default=None, sa_type=Text)
    created_at: datetime = Field(sa_type=UTCDateTime)
    resolved_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
    last_retry_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
    retry_count: int = 0
    last_retry_by: str | None = Field(default=None, max_length=32)
    last_retry_result: str | None = Field(default=None, sa_type=Text)
    """What the last Retry found ("succeeded", "still failing — why"); the reason itself is never overwritten."""
    reminded_before_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
    breach_posted_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
    escalated_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
    slack_channel: str | None = Field(default=None, max_length=32)
    slack_ts: str | None = Field(default=None, max_length=32)
    slack_posted_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
    """When the digest message at slack_channel/slack_ts was generated: it is re-rendered as of then."""
    work_item_id: int | None = Field(default=None)
    """The queued work whose final failure opened this exception: Retry runs that step again."""


class SlaPingStatus(StrEnum):
    DUE = "due"
    SENT = "sent"
    CANCELLED = "cancelled"
    """The item closed before the ping went out: nobody needs it any more."""
    FAILED = "failed"
    """Slack refused it for good (no such channel, ...): logged, never retried."""


class SlaPing(SQLModel, table=True):
    """One SLA ping to one recipient. Recorded as due in the transaction that decides it, sent by the work
    queue, marked sent only on Slack's ok. Its dedupe_key also travels in the Slack message's metadata, so
    a retry after a lost answer finds the message already posted instead of posting a second one."""

    __tablename__ = "sla_ping"

    id: int | None = Field(default=None, primary_key=True)
    exception_id: int = Field(foreign_key="exception_item.id", index=True)
    kind: str = Field(max_length=16)
    recipient: str = Field(max_length=32)
    """A user id (the message goes to their DM) or a channel id."""
    channel: str | None = Field(default=None, max_length=32)
    """The conversation posted in (a DM's own id for a user), known from the first attempt on."""
    status: str = Field(default=SlaPingStatus.DUE, max_length=16, index=True)
    dedupe_key: str = Field(max_length=200, unique=True)
    slack_ts: str | None = Field(default=None, max_length=32)
    due_at: datetime = Field(sa_type=UTCDateTime)
    first_tried_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
    sent_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
