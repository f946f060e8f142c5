"""Slack messages that show an exception are refreshed by the worker after the item closes.

The close queues the refresh in its own transaction (never a Slack call inside it); the worker's
handler re-renders the message.
"""
from __future__ import annotations

from sqlmodel import Session

from app.clock import Clock
from app.exception_queue.models import ExceptionItem
from app.work_queue.kinds import WorkKind
from app.work_queue.service import enqueue


def queue_message_refresh(session: Session, *, item: ExceptionItem, clock: Clock) -> bool:
    """Queue a refresh of the message tracked for `item`; False when no message shows it."""
    if not (item.slack_channel and item.slack_ts):
        return False
    kind = WorkKind.REFRESH_EXCEPTION_MESSAGE
    enqueue(session, kind=kind, payload={"channel": item.slack_channel, "ts": item.slack_ts},
            dedupe_key=f"{kind}:{item.id}", clock=clock)
    return True
