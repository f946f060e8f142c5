"""Exception controls clicked in Slack (Tag cause, Assign, Retry, a list page) and the Resolve modal's submission,
done by the worker after the web process recorded them. Retry only queues its vendor steps, each for the lane
of its vendor (app/jobs/retries.py); its outcome is shown by `show_retry_outcome` once they ran.

A refusal (no permission, already closed) is told as ":no_entry: … Nothing was changed."; otherwise the item
is re-rendered in place inside the clicked message (chat.update for channel messages, response_url for
ephemeral ones). A closed item's tracked digest is refreshed by its own queued work (queued by the close).
"""
from __future__ import annotations

import logging
from collections.abc import Callable
from typing import Any

from sqlmodel import Session

from app.db import session_scope
from app.exception_queue import rules, service
from app.exception_queue.models import ExceptionStatus
from app.exception_queue.permissions import Control
from app.jobs.exception_access import Refusal, authorize_item, finance_team
from app.jobs.exception_command import list_reply
from app.jobs.notes import respond, tell_user
from app.jobs.retries import request_retry
from app.runtime import Runtime
from app.slack.blocks.exceptions import replace_item_blocks
from app.slack.exception_views import Rendered, render_item
from app.slack.intents import CloseException, ExceptionControl, TellUser, refusal_note
from app.slack.metadata import CloseExceptionMetadata

log = logging.getLogger(__name__)
Change = Callable[[Session, str, int], Any]


def exception_control(rt: Runtime, intent: ExceptionControl) -> None:
    try:
        _run_control(rt, intent)
    except Refusal as refusal:          # a dashboard control has no response_url: the person hears it by DM
        tell_user(rt, TellUser(user_id=intent.user_id, text=refusal_note(refusal), response_url=intent.response_url))


def _run_control(rt: Runtime, intent: ExceptionControl) -> None:
    if intent.control == "page":
        reply = list_reply(rt, user_id=intent.user_id, query=intent.query, offset=intent.offset)
        respond(rt, intent.response_url, **reply, replace_original=True)
        return
    item_id = _item_id(intent)
    if intent.control == "retry":
        authorize_item(rt, item_id=item_id, control=Control.RETRY, actor=intent.user_id)
        request_retry(rt, intent, item_id)          # vendor steps run in their lanes; SHOW_RETRY_OUTCOME shows it
        return
    if intent.control == "tag":
        cause = intent.cause or ""
        _change(rt, intent.user_id, item_id, Control.TAG, lambda session, actor, item: service.tag_cause(
            session, item_id=item, cause=cause, actor=actor, policy=rt.policy, clock=rt.clock))
    else:
        owner = intent.owner or ""
        _change(rt, intent.user_id, item_id, Control.ASSIGN, lambda session, actor, item: service.assign(
            session, item_id=item, owner_slack_id=owner, actor=actor, clock=rt.clock))
    _show(rt, intent, item_id, render_item(rt, item_id))


def show_retry_outcome(rt: Runtime, intent: ExceptionControl) -> None:
    """A retry finished in its lanes: the item, with the outcome stored on it, replaces itself where Retry was
    clicked."""
    item_id = _item_id(intent)
    _show(rt, intent, item_id, render_item(rt, item_id))


def _item_id(intent: ExceptionControl) -> int:
    if intent.item_id is None:
        raise ValueError(f"a {intent.control} control without an exception id was recorded")
    return intent.item_id


def _change(rt: Runtime, actor: str, item_id: int, control: Control, change: Change) -> None:
    finance = finance_team(rt)
    with session_scope(rt.engine) as session:
        service.authorize(session, item_id=item_id, control=control, actor=actor, finance=finance)
        change(session, actor, item_id)


def _show(rt: Runtime, intent: ExceptionControl, item_id: int, rendered: Rendered) -> None:
    """Swap the item's blocks inside the clicked message; other items in it stay as they are."""
    message = intent.message
    if message.blocks is None and not intent.response_url:
        return                               # clicked on the dashboard: it reads the item from the database
    blocks = replace_item_blocks(message.blocks or [], item_id, rendered.blocks) or rendered.blocks
    if message.ephemeral or message.blocks is None or not (message.channel and message.ts):
        respond(rt, intent.response_url, text=rendered.text, blocks=blocks, replace_original=True)
        return
    rt.slack.update_message(message.channel, message.ts, text=message.text or rendered.text, blocks=blocks)


# ---- the Resolve modal, submitted --------------------------------------------------------------------------

def close_exception(rt: Runtime, intent: CloseException) -> None:
    meta, actor = intent.where, intent.user_id
    control = Control.DISMISS if intent.status == ExceptionStatus.DISMISSED else Control.RESOLVE
    try:
        finance = finance_team(rt)
        with session_scope(rt.engine) as session:
            item = service.authorize(session, item_id=meta.item_id, control=control, actor=actor, finance=finance)
            cause = rules.cause_label(item.root_cause or item.suggested_root_cause, rt.policy) or "not tagged"
            service.close(session, item_id=meta.item_id, status=intent.status, actor=actor, clock=rt.clock,
                          note=intent.note or f"Resolved in Slack, no note given (cause: {cause})")
            tracked = (item.slack_channel, item.slack_ts) == (meta.channel, meta.message_ts)
    except Refusal as refusal:
        tell_user(rt, TellUser(user_id=actor, channel=meta.channel, text=refusal_note(refusal)))
        return
    if not tracked:                          # the tracked digest is refreshed by the worker
        _show_closed(rt, meta, render_item(rt, meta.item_id))


def _show_closed(rt: Runtime, meta: CloseExceptionMetadata, rendered: Rendered) -> None:
    skeleton = meta.skeleton
    blocks = replace_item_blocks(skeleton, meta.item_id, rendered.blocks) if skeleton else rendered.blocks
    if meta.ephemeral or not (meta.channel and meta.message_ts):
        if meta.response_url:
            rt.slack.respond(meta.response_url, text=rendered.text, blocks=blocks, replace_original=True)
        return
    if skeleton:
        rt.slack.update_message(meta.channel, meta.message_ts, text=rendered.text, blocks=blocks)
