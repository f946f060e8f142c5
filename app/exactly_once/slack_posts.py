"""Slack messages posted at most once per key, then kept up to date in place.

The owner's pre-flight DM, the exceptions thread of a deal, a burst summary, the owner's invoice DM and the
weekly review each have a key. Its row is written in the transaction that decides the message is needed; the
worker then claims it (a short lease, so two workers never post the same key together), posts it with the key
in the message's metadata, and stores the ts. A retry after a lost answer looks the key up in the channel first
(`conversations.history`), so a message is never posted twice. Later changes bump `version`: the worker
re-renders the newest and calls chat.update only when what it shows changed (`shown_hash`).
"""
from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import update
from sqlalchemy.exc import IntegrityError
from sqlmodel import Field, Session, SQLModel, col, select

from app.clock import Clock
from app.db import UTCDateTime, require

POST_EVENT_TYPE = "ledgerbridge_post"
"""The metadata event_type of every keyed message; its event_payload carries the key."""
CLAIM_LEASE = timedelta(seconds=60)


class SlackPost(SQLModel, table=True):
    """One keyed Slack message: where it is (channel, ts), what it last showed, and the newest version wanted."""

    __tablename__ = "slack_post"

    id: int | None = Field(default=None, primary_key=True)
    key: str = Field(max_length=200, unique=True)
    kind: str = Field(max_length=32, index=True)
    deal_id: int | None = Field(default=None, foreign_key="deal.id", index=True)
    version: int = 0
    channel: str | None = Field(default=None, max_length=32)
    slack_ts: str | None = Field(default=None, max_length=32)
    first_tried_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
    claimed_until: datetime | None = Field(default=None, sa_type=UTCDateTime)
    shown_hash: str | None = Field(default=None, max_length=64)
    created_at: datetime = Field(sa_type=UTCDateTime)
    updated_at: datetime = Field(sa_type=UTCDateTime)


class PostBusy(Exception):
    """Another worker is posting this message right now: try again after its lease."""


@dataclass(frozen=True)
class PostAttempt:
    """What the worker does with one keyed message: post it (ts None) or update it."""

    post_id: int
    key: str
    channel: str | None
    ts: str | None
    shown_hash: str | None
    first_tried_at: datetime | None
    retried: bool
    """An earlier attempt may have reached Slack: look for its message before posting."""


def content_hash(text: str, blocks: list[dict[str, Any]]) -> str:
    return hashlib.sha256(json.dumps([text, blocks], sort_keys=True).encode()).hexdigest()


def find_post(session: Session, key: str) -> SlackPost | None:
    return session.exec(select(SlackPost).where(SlackPost.key == key)).first()


def ensure_post(session: Session, *, key: str, kind: str, clock: Clock, deal_id: int | None = None) -> SlackPost:
    """The row for `key`, created if needed; concurrent creators end up with the same row."""
    existing = find_post(session, key)
    if existing is not None:
        return existing
    now = clock.now()
    post = SlackPost(key=key, kind=kind, deal_id=deal_id, created_at=now, updated_at=now)
    try:
        with session.begin_nested():
            session.add(post)
    except IntegrityError:
        theirs = find_post(session, key)
        if theirs is None:
            raise
        return theirs
    return post


def bump(session: Session, *, post_id: int, clock: Clock) -> int:
    """Ask for a new render; returns the new version (one UPDATE: concurrent bumps each get their own)."""
    session.exec(update(SlackPost).where(col(SlackPost.id) == post_id)
                 .values(version=SlackPost.version + 1, updated_at=clock.now()))
    session.flush()
    post = require(session, SlackPost, post_id)
    session.refresh(post)
    return post.version


def posts_of_deal(session: Session, *, deal_id: int, kind: str) -> list[SlackPost]:
    statement = select(SlackPost).where(SlackPost.deal_id == deal_id, SlackPost.kind == kind)
    return list(session.exec(statement.order_by(col(SlackPost.id))).all())


def begin_attempt(session: Session, *, post_id: int, clock: Clock, lease: timedelta = CLAIM_LEASE) -> PostAttempt:
    """A posted message is simply updated. An unposted one is claimed for `lease` (PostBusy while another
    worker holds it) and its first try stamped; commit before calling Slack."""
    post = require(session, SlackPost, post_id)
    now = clock.now()
    if post.slack_ts is None:
        if post.claimed_until is not None and post.claimed_until > now:
            raise PostBusy(f"Slack message {post.key} is being posted by another worker")
        post.claimed_until = now + lease
    retried = post.slack_ts is None and post.first_tried_at is not None
    if post.slack_ts is None:
        post.first_tried_at = post.first_tried_at or now
    session.add(post)
    session.flush()
    return PostAttempt(post_id=post_id, key=post.key, channel=post.channel, ts=post.slack_ts,
                       shown_hash=post.shown_hash, first_tried_at=post.first_tried_at, retried=retried)


def set_channel(session: Session, *, post_id: int, channel: str) -> None:
    post = require(session, SlackPost, post_id)
    post.channel = channel
    session.add(post)


def record_shown(session: Session, *, post_id: int, channel: str, ts: str, shown_hash: str, clock: Clock) -> None:
    """Slack accepted the post or the update: remember where it is and what it shows."""
    post = require(session, SlackPost, post_id)
    post.channel, post.slack_ts, post.shown_hash = channel, ts, shown_hash
    post.claimed_until, post.updated_at = None, clock.now()
    session.add(post)
