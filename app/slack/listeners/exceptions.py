"""Exception controls (Retry, Tag cause, Assign, Resolve), list paging, and `/exceptions`.

Each control acks at once; the use case runs in a worker thread; the item is then re-rendered in place
inside the message that was clicked (chat.update for channel messages, response_url for ephemeral ones).
"""
from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from functools import partial
from typing import Any

from slack_bolt.async_app import AsyncAck, AsyncApp, AsyncRespond
from sqlmodel import Session

from app.db import session_scope
from app.errors import InvalidTransition, NotAllowed, NotFound
from app.exception_queue import queries, service
from app.exception_queue.digest import PAGE_SIZE, page_bounds
from app.exception_queue.models import ExceptionStatus
from app.jobs.handlers import retry_exception
from app.policy import normalize_name
from app.runtime import Runtime
from app.slack.blocks.common import to_dicts
from app.slack.blocks.exceptions import (
    exceptions_list_blocks, exceptions_usage_text, item_blocks, item_id_of, item_text, parse_page_value,
    replace_item_blocks,
)
from app.slack.ids import ActionId, SlashCommand
from app.slack.presenters import record_url

log = logging.getLogger(__name__)
Refusal = (InvalidTransition, NotAllowed, NotFound)
Change = Callable[[Session, str], Any]


@dataclass(frozen=True)
class Rendered:
    text: str
    blocks: list[dict[str, Any]]


def register(app: AsyncApp, rt: Runtime) -> None:
    def control(change_for: Callable[[dict[str, Any]], Change]):
        async def listener(ack: AsyncAck, body: dict[str, Any], respond: AsyncRespond) -> None:
            await ack()
            await _guard(_apply(rt, body, respond, change_for(body["actions"][0])), rt, body, respond)
        return listener

    async def on_retry(ack: AsyncAck, body: dict[str, Any], respond: AsyncRespond) -> None:
        await ack()
        await _guard(_retry(rt, body, respond), rt, body, respond)

    async def on_page(ack: AsyncAck, body: dict[str, Any], respond: AsyncRespond) -> None:
        await ack()
        query, offset = parse_page_value(body["actions"][0].get("value", ""))
        reply = await asyncio.to_thread(list_reply, rt, user_id=body["user"]["id"], query=query, offset=offset)
        await respond(**reply, replace_original=True)

    async def on_command(ack: AsyncAck, command: dict[str, Any], respond: AsyncRespond) -> None:
        await ack()
        reply = await asyncio.to_thread(command_reply, rt, user_id=command["user_id"], text=command.get("text") or "")
        await respond(**reply)

    app.action(ActionId.EXCEPTION_TAG_CAUSE.value)(control(lambda action: partial(
        _tag, rt, action["selected_option"]["value"])))
    app.action(ActionId.EXCEPTION_ASSIGN.value)(control(lambda action: partial(_assign, rt, action["selected_user"])))
    app.action(ActionId.EXCEPTION_RESOLVE.value)(control(lambda action: partial(_close, rt, ExceptionStatus.RESOLVED,
                                                                                None)))
    app.action(ActionId.EXCEPTION_RETRY.value)(on_retry)
    app.action(ActionId.EXCEPTIONS_PAGE.value)(on_page)
    app.command(SlashCommand.EXCEPTIONS.value)(on_command)


# ---- controls --------------------------------------------------------------------------------------------

def _tag(rt: Runtime, cause: str, session: Session, actor: str, item_id: int) -> None:
    service.tag_cause(session, item_id=item_id, cause=cause, actor=actor, policy=rt.policy, clock=rt.clock)


def _assign(rt: Runtime, owner: str, session: Session, actor: str, item_id: int) -> None:
    service.assign(session, item_id=item_id, owner_slack_id=owner, actor=actor, clock=rt.clock)


def _close(rt: Runtime, status: ExceptionStatus, note: str | None, session: Session, actor: str,
           item_id: int) -> None:
    cause = service.get_item(session, item_id).root_cause or service.get_item(session, item_id).suggested_root_cause
    why = note or f"Marked {status.value} in Slack (cause: {cause or 'not tagged'})"
    service.close(session, item_id=item_id, status=status, actor=actor, note=why, clock=rt.clock)


async def _apply(rt: Runtime, body: dict[str, Any], respond: AsyncRespond, change: Callable[..., Any]) -> None:
    item_id, actor = _item_id(body), body["user"]["id"]

    def run() -> Rendered:
        with session_scope(rt.engine) as session:
            change(session, actor, item_id)
        return render_item(rt, item_id)
    await _show(rt, body, respond, item_id, await asyncio.to_thread(run))


async def _retry(rt: Runtime, body: dict[str, Any], respond: AsyncRespond) -> None:
    item_id, actor = _item_id(body), body["user"]["id"]

    def run() -> Rendered:
        outcome = retry_exception(rt, item_id=item_id, actor=actor)
        return render_item(rt, item_id, note=f"Retry by {actor}: {outcome.detail}")
    await _show(rt, body, respond, item_id, await asyncio.to_thread(run))


def render_item(rt: Runtime, item_id: int, *, note: str | None = None) -> Rendered:
    now = rt.clock.now()
    with session_scope(rt.engine) as session:
        rows = queries.rows_by_id(session, [item_id])
        if not rows:
            raise NotFound(f"Exception {item_id} does not exist")
        view = queries.item_view(*rows[0], now=now, policy=rt.policy, record_link=_link(rt), note=note)
    return Rendered(item_text(view), to_dicts(item_blocks(view, policy=rt.policy, tz=rt.policy.zone, now=now)))


async def _show(rt: Runtime, body: dict[str, Any], respond: AsyncRespond, item_id: int, rendered: Rendered) -> None:
    """Swap the item's blocks inside the clicked message; other items in it stay as they are."""
    message = body.get("message") or {}
    container = body.get("container") or {}
    blocks = replace_item_blocks(message.get("blocks") or [], item_id, rendered.blocks) or rendered.blocks
    if container.get("is_ephemeral") or not message:
        await respond(text=rendered.text, blocks=blocks, replace_original=True)
        return
    channel, ts = container.get("channel_id") or body["channel"]["id"], container.get("message_ts") or message["ts"]
    await asyncio.to_thread(rt.slack.update_message, channel, ts, text=message.get("text") or rendered.text,
                            blocks=blocks)


async def _guard(work: Awaitable[None], rt: Runtime, body: dict[str, Any], respond: AsyncRespond) -> None:
    """Refusals become a polite ephemeral note; other failures are logged once and never re-raised after ack."""
    try:
        await work
    except Refusal as refusal:
        await respond(text=f":no_entry: {refusal}. Nothing was changed.", response_type="ephemeral",
                      replace_original=False)
    except Exception:  # after ack() nothing may escape: log with context, tell the user
        log.exception("exception control failed (user=%s)", body.get("user", {}).get("id"))
        await respond(text="Sorry, something went wrong on our side; it has been logged.",
                      response_type="ephemeral", replace_original=False)


def _item_id(body: dict[str, Any]) -> int:
    action = body["actions"][0]
    found = item_id_of(action.get("block_id"))
    if found is None and str(action.get("value", "")).isdigit():
        found = int(action["value"])
    if found is None:
        raise NotFound("This control does not name an exception")
    return found


def _link(rt: Runtime) -> Callable[[str], str | None]:
    instance = str(rt.settings.salesforce_instance_url) if rt.settings.salesforce_instance_url else None
    return partial(record_url, instance, "Opportunity")


# ---- /exceptions ------------------------------------------------------------------------------------------

def command_reply(rt: Runtime, *, user_id: str, text: str) -> dict[str, Any]:
    words = text.split()
    verb = words[0].lower() if words else "all"
    if verb in ("resolve", "dismiss"):
        return _close_command(rt, user_id=user_id, verb=verb, words=words[1:])
    if verb in ("help", "?"):
        return _note(exceptions_usage_text([cause.key for cause in rt.policy.root_causes]))
    return list_reply(rt, user_id=user_id, query=" ".join(words), offset=0)


def list_reply(rt: Runtime, *, user_id: str, query: str, offset: int) -> dict[str, Any]:
    filter_, title = _filter(rt, user_id=user_id, query=query)
    if filter_ is None:
        return _note(f"`{query[:80]}` is neither `mine`, `all` nor a root cause.\n"
                     + exceptions_usage_text([cause.key for cause in rt.policy.root_causes]))
    now = rt.clock.now()
    with session_scope(rt.engine) as session:
        total = queries.count_open(session, filter_=filter_)
        start, previous, following = page_bounds(total, offset, PAGE_SIZE)
        rows = queries.page_rows(session, filter_=filter_, offset=start, limit=PAGE_SIZE)
        views = queries.views(rows, now=now, policy=rt.policy, record_link=_link(rt))
    blocks = exceptions_list_blocks(views, title=title, total=total, offset=start, previous=previous,
                                    following=following, query=query, policy=rt.policy, tz=rt.policy.zone, now=now)
    return {"text": f"{title}: {total} open", "blocks": to_dicts(blocks), "response_type": "ephemeral"}


def _filter(rt: Runtime, *, user_id: str, query: str) -> tuple[queries.Filter | None, str]:
    wanted = normalize_name(query)
    if wanted in ("", "all"):
        return queries.Filter(), "Open exceptions"
    if wanted == "mine":
        return queries.Filter(owner=user_id), "Your open exceptions"
    for cause in rt.policy.root_causes:
        if wanted in (normalize_name(cause.key), normalize_name(cause.label)):
            return queries.Filter(cause=cause.key), f"Open exceptions caused by: {cause.label}"
    return None, ""


def _close_command(rt: Runtime, *, user_id: str, verb: str, words: list[str]) -> dict[str, Any]:
    if not words or not words[0].lstrip("#").isdigit():
        return _note(f"Usage: `{SlashCommand.EXCEPTIONS.value} {verb} <id> <why>` (the id is the #number).")
    item_id, why = int(words[0].lstrip("#")), " ".join(words[1:])
    status = ExceptionStatus.RESOLVED if verb == "resolve" else ExceptionStatus.DISMISSED
    try:
        with session_scope(rt.engine) as session:
            service.close(session, item_id=item_id, status=status, actor=user_id, note=why or None, clock=rt.clock)
    except Refusal as refusal:
        return _note(f":no_entry: {refusal}.")
    return {**_note(f"Exception #{item_id} {status.value}."), "blocks": render_item(rt, item_id).blocks}


def _note(text: str) -> dict[str, Any]:
    return {"text": text, "response_type": "ephemeral"}
