"""Show one keyed Slack message (app/exactly_once/slack_posts.py): post it once, or update it in place.

The worker claims the row and stamps its first try (committed) before calling Slack; the message carries its key
in Slack's message metadata, so a retry after a lost answer finds it in the channel instead of posting again.
An update happens only when what the message shows changed.
"""
from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

from sqlalchemy import update
from sqlmodel import Session, col

from app.db import session_scope
from app.exactly_once.slack_posts import (
    POST_EVENT_TYPE,
    PostAttempt,
    SlackPost,
    begin_attempt,
    content_hash,
    record_shown,
    set_channel,
)
from app.integrations.slack_api import PostedMessage, as_dicts
from app.runtime import Runtime

log = logging.getLogger(__name__)
CLOCK_SKEW = timedelta(minutes=10)
"""The lookup starts this long before our first try: Slack's clock and ours may differ."""


@dataclass(frozen=True)
class Shown:
    """What a keyed message shows: notification text and blocks (dicts or slack_sdk blocks)."""

    text: str
    blocks: list[Any]


Render = Callable[[Session, str], Shown | None]
"""Reads the database (in the given session) and renders the message for the channel it goes to; None: nothing
to show (the subject is gone)."""


def show_post(rt: Runtime, *, post_id: int, render: Render, channel_for: Callable[[], str]) -> PostedMessage | None:
    """Post or update the message; returns where it is (None when there was nothing to show)."""
    with session_scope(rt.engine) as session:
        attempt = begin_attempt(session, post_id=post_id, clock=rt.clock)
    try:
        return _show(rt, attempt, render, channel_for)
    except BaseException:
        _release(rt, attempt)
        raise


def _show(rt: Runtime, attempt: PostAttempt, render: Render, channel_for: Callable[[], str]) -> PostedMessage | None:
    channel = attempt.channel or channel_for()
    if attempt.channel is None:
        with session_scope(rt.engine) as session:
            set_channel(session, post_id=attempt.post_id, channel=channel)
    with session_scope(rt.engine) as session:
        shown = render(session, channel)
    if shown is None:
        _release(rt, attempt)
        return None
    blocks = as_dicts(shown.blocks) or []
    digest = content_hash(shown.text, blocks)
    ts = attempt.ts or _find_earlier(rt, attempt, channel)
    if ts is None:
        posted = rt.slack.post_tagged(channel, text=shown.text, blocks=blocks, event_type=POST_EVENT_TYPE,
                                      key=attempt.key)
        channel, ts = posted.channel, posted.ts
    elif digest != attempt.shown_hash:
        rt.slack.update_message(channel, ts, text=shown.text, blocks=blocks)
    with session_scope(rt.engine) as session:
        record_shown(session, post_id=attempt.post_id, channel=channel, ts=ts, shown_hash=digest, clock=rt.clock)
    return PostedMessage(channel=channel, ts=ts)


def _find_earlier(rt: Runtime, attempt: PostAttempt, channel: str) -> str | None:
    if not attempt.retried or attempt.first_tried_at is None:
        return None
    found = rt.slack.find_tagged(channel, event_type=POST_EVENT_TYPE, key=attempt.key,
                                 since=attempt.first_tried_at - CLOCK_SKEW)
    if found is not None:
        log.info("Slack message %s was posted by an earlier try (%s); updating it instead", attempt.key, found.ts)
    return found.ts if found else None


def _release(rt: Runtime, attempt: PostAttempt) -> None:
    """Let the next try claim the row at once (a crash instead leaves the lease to run out)."""
    if attempt.ts is not None:
        return
    try:
        with session_scope(rt.engine) as session:
            session.exec(update(SlackPost).where(col(SlackPost.id) == attempt.post_id).values(claimed_until=None))
    except Exception:  # the lease runs out on its own; the original failure is what matters
        log.warning("could not release the claim on Slack message %s", attempt.key, exc_info=True)
