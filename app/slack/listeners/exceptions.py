"""Exception controls (Retry, Tag cause, Assign, list pages), the Resolve modal, and `/exceptions`.

Each listener parses the body into an intent (input a control cannot use becomes a note), records it and
acks; the worker checks permissions, changes the item and re-renders it in place (app/jobs/exception_controls.py).
Resolve opens its modal from here, at once (the trigger_id lives 3 s), deciding only from the database: the item
exists and is open, and the person may resolve it (its owner, a user the policy names, or a member of a role's
Slack user group as the worker last read it: team_snapshot.py). When only Slack can say, the worker decides and
opens the form (app/jobs/exception_form.py); it checks again when the form is submitted.
"""
from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from datetime import timedelta
from typing import Any

from slack_bolt.async_app import AsyncAck, AsyncApp
from slack_sdk.models.views import View

from app.db import session_scope
from app.errors import InvalidTransition, NotFound
from app.exception_queue.models import ExceptionStatus
from app.exception_queue.permissions import Control, may_act, refusal
from app.exception_queue.team_snapshot import KnownMembers, fresh_within, known_members
from app.runtime import Runtime
from app.slack import intents
from app.slack.blocks.exceptions import close_modal, close_values
from app.slack.exception_views import close_exception_metadata, view_of
from app.slack.ids import ActionId, BlockId, CallbackId, SlashCommand
from app.slack.listeners.failures import after_ack
from app.slack.listeners.record import record

Listener = Callable[[AsyncAck, dict[str, Any]], Awaitable[None]]
GROUPS_TRUSTED_TO_PERMIT = timedelta(minutes=10)
"""A user-group snapshot this recent opens the form (the worker checks again on submission)."""
GROUPS_TRUSTED_TO_REFUSE = timedelta(minutes=2)
"""A refusal needs a snapshot as recent as the worker's own cache of Slack's answer; older, the worker decides."""


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
    """Right after the ack, from the database only: the modal opens now for someone who may resolve; a refusal,
    or a question the database cannot answer (who is in a Slack user group), is queued for the worker."""
    response_url = intents.response_url_of(body)
    try:
        item_id, actor = intents.clicked_item_id(body), intents.actor_of(body)
        answer = await asyncio.to_thread(_close_form_answer, rt, body, item_id, actor)
    except (intents.BadInput, InvalidTransition, NotFound) as refusal:
        user = str((body.get("user") or {}).get("id") or "")
        await record(rt, intents.TellUser(user_id=user, text=intents.refusal_note(refusal), response_url=response_url))
        return
    if isinstance(answer, View):
        await asyncio.to_thread(rt.slack.open_view, str(body.get("trigger_id") or ""), answer)
    else:
        await record(rt, answer)


def _close_form_answer(rt: Runtime, body: dict[str, Any], item_id: int,
                       actor: str) -> View | intents.TellUser | intents.OpenCloseForm:
    """The modal, a refusal note, or the worker's turn to decide (see app/jobs/exception_form.py)."""
    view = view_of(rt, item_id)
    if view.status != ExceptionStatus.OPEN:
        raise InvalidTransition(f"Exception {item_id} is already {view.status} by {view.resolved_by or 'someone'}")
    metadata = close_exception_metadata(body, item_id).encode()
    named, known, now = _named_approvers(rt), _known_group_members(rt), rt.clock.now()
    finance = named | known.members if fresh_within(known, max_age=GROUPS_TRUSTED_TO_PERMIT, now=now) else named
    if may_act(Control.RESOLVE, actor=actor, owner=view.owner_slack_id, finance=finance):
        may_dismiss = may_act(Control.DISMISS, actor=actor, owner=view.owner_slack_id, finance=finance)
        return close_modal(view, private_metadata=metadata, may_dismiss=may_dismiss)
    if not _role_groups(rt) or fresh_within(known, max_age=GROUPS_TRUSTED_TO_REFUSE, now=now):
        text = intents.refusal_note(refusal(Control.RESOLVE, item_id=item_id, owner=view.owner_slack_id))
        return intents.TellUser(user_id=actor, text=text, response_url=intents.response_url_of(body))
    return intents.OpenCloseForm(user_id=actor, item_id=item_id, trigger_id=str(body.get("trigger_id") or ""),
                                 private_metadata=metadata, response_url=intents.response_url_of(body))


def _named_approvers(rt: Runtime) -> frozenset[str]:
    return frozenset(user for role in rt.policy.approver_roles.values() for user in role.users)


def _role_groups(rt: Runtime) -> frozenset[str]:
    return frozenset(role.usergroup for role in rt.policy.approver_roles.values() if role.usergroup)


def _known_group_members(rt: Runtime) -> KnownMembers:
    with session_scope(rt.engine) as session:
        return known_members(session, usergroup_ids=_role_groups(rt))
