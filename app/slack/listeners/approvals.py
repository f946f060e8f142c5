"""Approve / Reject buttons and the reject-reason modal."""
from __future__ import annotations

import asyncio
import logging
from typing import Any

from slack_bolt.async_app import AsyncAck, AsyncApp

from app.approvals.models import Decision
from app.approvals.roles import members_by_role
from app.db import session_scope
from app.errors import IntegrationError, InvalidTransition, NotAllowed
from app.pipeline.decisions import DecisionMade, check_may_decide, decide_request, queue_redraw
from app.pipeline.summaries import summarize_request
from app.runtime import Runtime
from app.slack.blocks.approval import (
    ApprovalCard,
    approval_decided_blocks,
    approval_decided_text,
    approval_request_blocks,
)
from app.slack.blocks.common import to_dicts
from app.slack.blocks.reject_modal import reject_reason_modal
from app.slack.ids import ActionId, BlockId, CallbackId, SlashCommand, parse_id
from app.slack.listeners.failures import after_ack
from app.slack.listeners.replies import Responder, responder
from app.slack.metadata import MetadataError, RejectReasonMetadata
from app.slack.presenters import approval_card, decided_outcome
from app.status.pending import pending_requests

log = logging.getLogger(__name__)
MIN_REASON_LENGTH = 5
STALE_BUTTON = "This button does not belong to an approval request any more"


def register(app: AsyncApp, rt: Runtime) -> None:
    async def on_approve(ack: AsyncAck, body: dict[str, Any]) -> None:
        await ack()
        await after_ack(asyncio.to_thread(_decide_clicked, rt, body, Decision.APPROVED), body=body)

    async def on_reject(ack: AsyncAck, body: dict[str, Any]) -> None:
        await ack()
        await after_ack(_open_reject_modal(rt, body), body=body)

    async def on_reject_reason(ack: AsyncAck, body: dict[str, Any], view: dict[str, Any]) -> None:
        reason = (_reason(view) or "").strip()
        if len(reason) < MIN_REASON_LENGTH:
            await ack(response_action="errors",
                      errors={BlockId.REJECT_REASON_INPUT.value: "Please give the rep a reason they can act on."})
            return
        await ack()
        await after_ack(asyncio.to_thread(_reject_submitted, rt, body, view, reason), body=body)

    async def on_approvals_command(ack: AsyncAck, command: dict[str, Any]) -> None:
        await ack()
        everyone = (command.get("text") or "").strip().lower() == "all"
        work = _list_pending(rt, command["user_id"], everyone, responder(rt.slack, command))
        await after_ack(work, body=command, tell=rt.slack)

    app.command(SlashCommand.APPROVALS.value)(on_approvals_command)
    app.action(ActionId.APPROVE.value)(on_approve)
    app.action(ActionId.REJECT.value)(on_reject)
    app.view(CallbackId.REJECT_REASON.value)(on_reject_reason)


async def _open_reject_modal(rt: Runtime, body: dict[str, Any]) -> None:
    request_id, user = _clicked_request_id(body), body["user"]["id"]
    if request_id is None:
        await asyncio.to_thread(_tell, rt, body, STALE_BUTTON)
        return
    try:
        request = await asyncio.to_thread(check_may_decide, rt, request_id=request_id, actor_id=user)
    except (NotAllowed, InvalidTransition) as refusal:
        await asyncio.to_thread(_tell, rt, body, str(refusal))
        return
    await asyncio.to_thread(rt.slack.open_view, body["trigger_id"], reject_reason_modal(request_id, request.deal_name))


async def _list_pending(rt: Runtime, user_id: str, everyone: bool, respond: Responder) -> None:
    cards, total = await asyncio.to_thread(pending_cards, rt, user_id, everyone)
    if not cards:
        await respond(text="Nothing is waiting for your decision." if not everyone
                      else "No approval request is pending.", response_type="ephemeral")
        return
    blocks = [block for card in cards for block in to_dicts(approval_request_blocks(card))]
    more = f" (showing the oldest {len(cards)} of {total})" if total > len(cards) else ""
    await respond(text=f"{total} approval request{'s' if total != 1 else ''} waiting{more}.",
                  blocks=blocks, response_type="ephemeral")


def pending_cards(rt: Runtime, user_id: str, everyone: bool) -> tuple[list[ApprovalCard], int]:
    members = members_by_role(rt.policy, directory=rt.slack)
    instance = rt.settings.salesforce_base_url
    with session_scope(rt.engine) as session:
        rows, total = pending_requests(session, user_id=user_id, members_by_role=members, everyone=everyone)
        cards = [approval_card(summarize_request(session, request, policy=rt.policy), instance_url=instance)
                 for request, _deal, _account in rows]
    return cards, total


def _decide_clicked(rt: Runtime, body: dict[str, Any], decision: Decision) -> None:
    request_id = _clicked_request_id(body)
    if request_id is None:
        _tell(rt, body, STALE_BUTTON)
        return
    _decide(rt, body, decision, None, request_id)


def _reject_submitted(rt: Runtime, body: dict[str, Any], view: dict[str, Any], reason: str) -> None:
    try:
        request_id = RejectReasonMetadata.decode(view.get("private_metadata")).request_id
    except MetadataError as unreadable:
        _tell(rt, body, str(unreadable))
        return
    _decide(rt, body, Decision.REJECTED, reason, request_id)


def _clicked_request_id(body: dict[str, Any]) -> int | None:
    actions = body.get("actions") or [{}]
    return parse_id(actions[0].get("value"))


def _decide(rt: Runtime, body: dict[str, Any], decision: Decision, comment: str | None, request_id: int) -> None:
    user = body["user"]
    try:
        made = decide_request(rt, request_id=request_id, actor_id=user["id"],
                              actor_name=user.get("name") or user.get("username"), decision=decision,
                              comment=comment)
    except NotAllowed as refusal:
        _tell(rt, body, str(refusal), request_id=request_id)
        return
    except InvalidTransition as refusal:        # decided or superseded: the clicked message may be stale
        _tell(rt, body, str(refusal), request_id=request_id)
        queue_redraw(rt, request_id=request_id)
        return
    _show_outcome(rt, body, made, request_id=request_id)


def _show_outcome(rt: Runtime, body: dict[str, Any], made: DecisionMade, *, request_id: int) -> None:
    channel = made.channel or (body.get("channel") or {}).get("id")
    ts = made.ts or (body.get("message") or {}).get("ts")
    if not (channel and ts):
        return
    card = approval_card(made.request, instance_url=rt.settings.salesforce_base_url)
    outcome = decided_outcome(made.decision)
    try:
        rt.slack.update_message(channel, ts, text=approval_decided_text(card, outcome),
                                blocks=approval_decided_blocks(card, outcome))
    except IntegrationError as error:           # the decision stands; the worker redraws the message later
        log.warning("approval request %s: message update failed, queued a redraw: %s", request_id, error)
        queue_redraw(rt, request_id=request_id)


def _tell(rt: Runtime, body: dict[str, Any], text: str, *, request_id: int | None = None) -> None:
    """An ephemeral note to the clicker, in the channel of the message (or by DM from a modal)."""
    user = body["user"]["id"]
    channel = (body.get("channel") or {}).get("id") or rt.policy.channels.approvals
    log.info("approval request %s: refused for %s: %s", request_id if request_id is not None else "(unknown)",
             user, text)
    rt.slack.post_ephemeral(channel, user, text=f":no_entry: {text}. Nothing was changed.")


def _reason(view: dict[str, Any]) -> str | None:
    values = view.get("state", {}).get("values", {})
    return values.get(BlockId.REJECT_REASON_INPUT.value, {}).get(ActionId.REJECT_REASON_TEXT.value, {}).get("value")
