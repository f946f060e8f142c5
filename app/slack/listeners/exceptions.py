"""Exception controls (Retry, Tag cause, Assign, list pages), the Resolve modal, and `/exceptions`.

Each listener parses the body into an intent (input a control cannot use becomes a note), records it and
acks; the worker checks permissions, changes the item and re-renders it in place (app/jobs/exception_controls.py).
Resolve opens its modal from here, at once (the trigger_id lives 3 s), deciding only from the database: the item
exists and is open. Who is on the finance team needs Slack: the worker checks it when the form is submitted.
"""
from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from typing import Any

from slack_bolt.async_app import AsyncAck, AsyncApp
from slack_sdk.models.views import View

from app.errors import InvalidTransition, NotFound
from app.exception_queue.models import ExceptionStatus
from app.exception_queue.permissions import Control, may_act
from app.runtime import Runtime
from app.slack import intents
from app.slack.blocks.exceptions import close_modal, close_values
from app.slack.exception_views import close_exception_metadata, view_of
from app.slack.ids import ActionId, BlockId, CallbackId, SlashCommand
from app.slack.listeners.failures import after_ack
from app.slack.listeners.record import record

Listener = Callable[[AsyncAck, dict[str, Any]], Awaitable[None]]


def register(app: AsyncApp, rt: Runtime) -> None:
    def control(name: intents.ControlKind) -> Listener:
        async def listener(ack: AsyncAck, body: dict[str, Any]) -> None:
            await record(rt, intents.exception_control(body, name))
            await ack()
        return listener

    async def on_resolve(ack: AsyncAck, body: dict[str, Any]) -> None:
        await ack()
        await after_ack(_open_close_modal(rt, body), body=body)

    async def on_close_submitted(ack: AsyncAck, body: dict[str, Any], view: dict[str, Any]) -> None:
        outcome, note = close_values(view)
        if outcome == ExceptionStatus.DISMISSED and not note:
            await ack(response_action="errors", errors={BlockId.EXCEPTION_CLOSE_NOTE.value: "Say why you dismiss it."})
            return
        await record(rt, intents.close_submission(body, view))
        await ack()

    async def on_command(ack: AsyncAck, command: dict[str, Any]) -> None:
        await record(rt, intents.exceptions_command(command))
        await ack(text="Looking up the exceptions…")

    app.action(ActionId.EXCEPTION_TAG_CAUSE.value)(control("tag"))
    app.action(ActionId.EXCEPTION_ASSIGN.value)(control("assign"))
    app.action(ActionId.EXCEPTION_RETRY.value)(control("retry"))
    app.action(ActionId.EXCEPTIONS_PAGE.value)(control("page"))
    app.action(ActionId.EXCEPTION_RESOLVE.value)(on_resolve)
    app.view(CallbackId.EXCEPTION_CLOSE.value)(on_close_submitted)
    app.command(SlashCommand.EXCEPTIONS.value)(on_command)


async def _open_close_modal(rt: Runtime, body: dict[str, Any]) -> None:
    """Right after the ack: a refusal is queued as a note (the worker posts it), else the modal opens now."""
    response_url = intents.response_url_of(body)
    try:
        item_id, actor = intents.clicked_item_id(body), intents.actor_of(body)
        modal = await asyncio.to_thread(_close_modal_for, rt, body, item_id, actor)
    except (intents.BadInput, InvalidTransition, NotFound) as refusal:
        user = str((body.get("user") or {}).get("id") or "")
        await record(rt, intents.TellUser(user_id=user, text=intents.refusal_note(refusal), response_url=response_url))
        return
    await asyncio.to_thread(rt.slack.open_view, str(body.get("trigger_id") or ""), modal)


def _close_modal_for(rt: Runtime, body: dict[str, Any], item_id: int, actor: str) -> View:
    view = view_of(rt, item_id)
    if view.status != ExceptionStatus.OPEN:
        raise InvalidTransition(f"Exception {item_id} is already {view.status} by {view.resolved_by or 'someone'}")
    metadata = close_exception_metadata(body, item_id).encode()
    return close_modal(view, private_metadata=metadata, may_dismiss=_may_offer_dismiss(rt, actor, view.owner_slack_id))


def _may_offer_dismiss(rt: Runtime, actor: str, owner: str | None) -> bool:
    """Whether the form offers Dismiss, known without Slack: the item's owner who is not one of the policy's named
    approvers gets the owner's choices (resolve only). Anyone else who may act at all is on the finance team, which
    may dismiss; the worker checks the actual permission on submission either way."""
    named = frozenset(user for role in rt.policy.approver_roles.values() for user in role.users)
    return may_act(Control.DISMISS, actor=actor, owner=owner, finance=named) or actor != owner
