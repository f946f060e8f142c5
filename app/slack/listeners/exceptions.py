"""Exception controls (Retry, Tag cause, Assign, Resolve with its modal), list paging, and `/exceptions`.

Every listener acks first, then parses defensively: a bad id or a missing field gets a clear ephemeral
reply, a refusal (no permission, already closed) a ":no_entry: … Nothing was changed." note, and any
other failure is reported once by `after_ack`. The use case runs in a worker thread; the item is then
re-rendered in place inside the clicked message (chat.update for channel messages, response_url for
ephemeral ones). A closed item's tracked digest is also refreshed by the worker (queued by the close).
"""
from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable
from typing import Any

from slack_bolt.async_app import AsyncAck, AsyncApp
from slack_sdk.models.views import View
from sqlmodel import Session

from app.db import session_scope
from app.exception_queue import permissions, rules, service
from app.exception_queue.models import ExceptionStatus
from app.exception_queue.permissions import Control
from app.pipeline.retry import retry_exception
from app.runtime import Runtime
from app.slack.blocks.exceptions import close_modal, close_values, item_id_of, parse_page_value, replace_item_blocks
from app.slack.ids import ActionId, BlockId, CallbackId, SlashCommand, parse_id
from app.slack.listeners.exception_views import (
    BadInput,
    Refusal,
    Rendered,
    authorize_item,
    close_exception_metadata,
    finance_team,
    render_item,
)
from app.slack.listeners.exceptions_command import command_reply, list_reply
from app.slack.listeners.failures import after_ack
from app.slack.listeners.replies import Responder, responder
from app.slack.metadata import CloseExceptionMetadata, MetadataError

log = logging.getLogger(__name__)
Change = Callable[[Session, str, int], Any]


def register(app: AsyncApp, rt: Runtime) -> None:
    def control(work: Callable[[Runtime, dict[str, Any], Responder], Awaitable[None]]
                ) -> Callable[[AsyncAck, dict[str, Any]], Awaitable[None]]:
        async def listener(ack: AsyncAck, body: dict[str, Any]) -> None:
            await ack()
            respond = responder(rt.slack, body)
            await after_ack(_polite(work(rt, body, respond), respond), body=body, tell=rt.slack)
        return listener

    async def on_resolve(ack: AsyncAck, body: dict[str, Any]) -> None:
        await ack()
        await after_ack(_polite(_open_close_modal(rt, body), responder(rt.slack, body)), body=body, tell=rt.slack)

    async def on_close_submitted(ack: AsyncAck, body: dict[str, Any], view: dict[str, Any]) -> None:
        outcome, note = close_values(view)
        if outcome == ExceptionStatus.DISMISSED and not note:
            await ack(response_action="errors", errors={BlockId.EXCEPTION_CLOSE_NOTE.value: "Say why you dismiss it."})
            return
        await ack()
        await after_ack(asyncio.to_thread(_close_from_modal, rt, body, view, outcome, note), body=body)

    async def on_command(ack: AsyncAck, command: dict[str, Any]) -> None:
        await ack()
        work = asyncio.to_thread(command_reply, rt, user_id=str(command.get("user_id") or ""),
                                 text=str(command.get("text") or ""))
        await after_ack(_reply(work, responder(rt.slack, command)), body=command, tell=rt.slack)

    app.action(ActionId.EXCEPTION_TAG_CAUSE.value)(control(_tag))
    app.action(ActionId.EXCEPTION_ASSIGN.value)(control(_assign))
    app.action(ActionId.EXCEPTION_RETRY.value)(control(_retry))
    app.action(ActionId.EXCEPTIONS_PAGE.value)(control(_page))
    app.action(ActionId.EXCEPTION_RESOLVE.value)(on_resolve)
    app.view(CallbackId.EXCEPTION_CLOSE.value)(on_close_submitted)
    app.command(SlashCommand.EXCEPTIONS.value)(on_command)


async def _polite(work: Awaitable[None], respond: Responder) -> None:
    """Refusals and bad input become an ephemeral note; anything else goes on to after_ack."""
    try:
        await work
    except Refusal as refusal:
        await respond(text=f":no_entry: {refusal}. Nothing was changed.", response_type="ephemeral",
                      replace_original=False)


async def _reply(work: Awaitable[dict[str, Any]], respond: Responder) -> None:
    await respond(**await work)


# ---- controls --------------------------------------------------------------------------------------------

async def _tag(rt: Runtime, body: dict[str, Any], respond: Responder) -> None:
    option = _action(body).get("selected_option")
    cause = str(option.get("value") or "") if isinstance(option, dict) else ""
    if not cause:
        raise BadInput("Pick a root cause from the list")
    await _change(rt, body, respond, Control.TAG, lambda session, actor, item_id: service.tag_cause(
        session, item_id=item_id, cause=cause, actor=actor, policy=rt.policy, clock=rt.clock))


async def _assign(rt: Runtime, body: dict[str, Any], respond: Responder) -> None:
    picked = _action(body).get("selected_user")
    owner = picked if isinstance(picked, str) else ""
    if not owner:
        raise BadInput("Pick the person to assign it to")
    await _change(rt, body, respond, Control.ASSIGN, lambda session, actor, item_id: service.assign(
        session, item_id=item_id, owner_slack_id=owner, actor=actor, clock=rt.clock))


async def _change(rt: Runtime, body: dict[str, Any], respond: Responder, control: Control,
                  change: Change) -> None:
    item_id, actor = _item_id(body), _actor(body)

    def run() -> Rendered:
        finance = finance_team(rt)
        with session_scope(rt.engine) as session:
            service.authorize(session, item_id=item_id, control=control, actor=actor, finance=finance)
            change(session, actor, item_id)
        return render_item(rt, item_id)
    await _show(rt, body, respond, item_id, await asyncio.to_thread(run))


async def _retry(rt: Runtime, body: dict[str, Any], respond: Responder) -> None:
    item_id, actor = _item_id(body), _actor(body)

    def run() -> Rendered:
        authorize_item(rt, item_id=item_id, control=Control.RETRY, actor=actor)
        retry_exception(rt, item_id=item_id, actor=actor)       # the outcome is stored and shown on the item
        return render_item(rt, item_id)
    await _show(rt, body, respond, item_id, await asyncio.to_thread(run))


async def _page(rt: Runtime, body: dict[str, Any], respond: Responder) -> None:
    query, offset = parse_page_value(str(_action(body).get("value") or ""))
    reply = await asyncio.to_thread(list_reply, rt, user_id=_actor(body), query=query, offset=offset)
    await respond(**reply, replace_original=True)


async def _show(rt: Runtime, body: dict[str, Any], respond: Responder, item_id: int, rendered: Rendered) -> None:
    """Swap the item's blocks inside the clicked message; other items in it stay as they are."""
    message = body.get("message") or {}
    container = body.get("container") or {}
    blocks = replace_item_blocks(message.get("blocks") or [], item_id, rendered.blocks) or rendered.blocks
    channel = container.get("channel_id") or (body.get("channel") or {}).get("id")
    ts = container.get("message_ts") or message.get("ts")
    if container.get("is_ephemeral") or not (message and channel and ts):
        await respond(text=rendered.text, blocks=blocks, replace_original=True)
        return
    await asyncio.to_thread(rt.slack.update_message, channel, ts, text=message.get("text") or rendered.text,
                            blocks=blocks)


def _action(body: dict[str, Any]) -> dict[str, Any]:
    actions = body.get("actions")
    if not isinstance(actions, list) or not actions or not isinstance(actions[0], dict):
        raise BadInput("This control sent no action")
    return actions[0]


def _actor(body: dict[str, Any]) -> str:
    actor = str((body.get("user") or {}).get("id") or "")
    if not actor:
        raise BadInput("Slack did not say who clicked")
    return actor


def _item_id(body: dict[str, Any]) -> int:
    action = _action(body)
    found = item_id_of(action.get("block_id"))
    if found is None:
        found = parse_id(action.get("value"))
    if found is None:
        raise BadInput("This control does not name an exception")
    return found


# ---- Resolve: a modal asks why -----------------------------------------------------------------------------

async def _open_close_modal(rt: Runtime, body: dict[str, Any]) -> None:
    """Checked first (a refusal never opens the modal), then opened at once: the trigger_id lives 3 s."""
    item_id, actor = _item_id(body), _actor(body)

    def prepare() -> View:
        finance = finance_team(rt)
        view = authorize_item(rt, item_id=item_id, control=Control.RESOLVE, actor=actor, finance=finance)
        may_dismiss = permissions.may_act(Control.DISMISS, actor=actor, owner=view.owner_slack_id, finance=finance)
        metadata = close_exception_metadata(body, item_id).encode()
        return close_modal(view, private_metadata=metadata, may_dismiss=may_dismiss)
    modal = await asyncio.to_thread(prepare)
    await asyncio.to_thread(rt.slack.open_view, str(body.get("trigger_id") or ""), modal)


def _close_from_modal(rt: Runtime, body: dict[str, Any], view: dict[str, Any], status: ExceptionStatus,
                      note: str) -> None:
    actor = _actor(body)
    control = Control.DISMISS if status == ExceptionStatus.DISMISSED else Control.RESOLVE
    try:
        meta = CloseExceptionMetadata.decode(view.get("private_metadata"))
    except MetadataError as unreadable:
        _tell(rt, actor, None, f":no_entry: {unreadable}. Nothing was changed.")
        return
    try:
        finance = finance_team(rt)
        with session_scope(rt.engine) as session:
            item = service.authorize(session, item_id=meta.item_id, control=control, actor=actor, finance=finance)
            cause = rules.cause_label(item.root_cause or item.suggested_root_cause, rt.policy) or "not tagged"
            service.close(session, item_id=meta.item_id, status=status, actor=actor, clock=rt.clock,
                          note=note or f"Resolved in Slack, no note given (cause: {cause})")
            tracked = (item.slack_channel, item.slack_ts) == (meta.channel, meta.message_ts)
    except Refusal as refusal:
        _tell(rt, actor, meta.channel, f":no_entry: {refusal}. Nothing was changed.")
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


def _tell(rt: Runtime, user: str, channel: str | None, text: str) -> None:
    """An ephemeral note in the message's channel, or a DM when the modal came from elsewhere."""
    if channel:
        rt.slack.post_ephemeral(channel, user, text=text)
    else:
        rt.slack.post_message(user, text=text)
