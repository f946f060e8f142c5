"""Approve / Reject buttons, the reject-reason modal and `/approvals`: record the intent, ack; the worker decides.

Reject opens its modal from here (Slack's trigger_id lives 3 s), deciding only from the database: the request
is pending and not the clicker's own. Whether the clicker holds the role needs Slack, so the worker checks it
(with everything else) when the reason is submitted.
"""
from __future__ import annotations

import asyncio
from typing import Any

from slack_bolt.async_app import AsyncAck, AsyncApp

from app.approvals.activation import parse_credit_limit
from app.errors import InvalidTransition, NotAllowed
from app.pipeline.activation import form_for, is_activation
from app.pipeline.decisions import check_may_open_decision
from app.runtime import Runtime
from app.slack import intents
from app.slack.blocks.activation import activation_modal, activation_values
from app.slack.blocks.reject_modal import reject_reason_modal
from app.slack.ids import ActionId, BlockId, CallbackId, SlashCommand
from app.slack.listeners.failures import after_ack
from app.slack.listeners.record import record
from app.slack.metadata import ActivationMetadata
from app.slack.presenters import activation_modal_model

MIN_REASON_LENGTH = 5


def register(app: AsyncApp, rt: Runtime) -> None:
    approvals_channel = rt.policy.channels.approvals

    async def on_approve(ack: AsyncAck, body: dict[str, Any]) -> None:
        request_id = intents.clicked_request_id(body)
        if request_id is not None and await asyncio.to_thread(is_activation, rt, request_id=request_id):
            await ack()             # a customer activation is approved from its modal (terms, credit limit)
            await after_ack(_open_activation_modal(rt, body, request_id), body=body)
            return
        await record(rt, intents.approval_click(body, approvals_channel=approvals_channel))
        await ack()

    async def on_activation(ack: AsyncAck, body: dict[str, Any], view: dict[str, Any]) -> None:
        values = activation_values(view)
        errors = _activation_errors(values, terms_options=tuple(rt.policy.mappings.payment_terms))
        if errors:
            await ack(response_action="errors", errors=errors)
            return
        await record(rt, intents.activation_submission(body, view, values, approvals_channel=approvals_channel))
        await ack()

    async def on_reject(ack: AsyncAck, body: dict[str, Any]) -> None:
        await ack()
        await after_ack(_open_reject_modal(rt, body), body=body)

    async def on_reject_reason(ack: AsyncAck, body: dict[str, Any], view: dict[str, Any]) -> None:
        reason = intents.reject_reason(view)
        if len(reason) < MIN_REASON_LENGTH:
            await ack(response_action="errors",
                      errors={BlockId.REJECT_REASON_INPUT.value: "Please give the rep a reason they can act on."})
            return
        await record(rt, intents.reject_submission(body, view, reason, approvals_channel=approvals_channel))
        await ack()

    async def on_approvals_command(ack: AsyncAck, command: dict[str, Any]) -> None:
        asked = intents.approvals_command(command)
        await record(rt, asked)
        await ack(text="Looking up every pending request…" if asked.everyone
                  else "Looking up the requests waiting for your decision…")

    app.command(SlashCommand.APPROVALS.value)(on_approvals_command)
    app.action(ActionId.APPROVE.value)(on_approve)
    app.action(ActionId.REJECT.value)(on_reject)
    app.view(CallbackId.REJECT_REASON.value)(on_reject_reason)
    app.view(CallbackId.CUSTOMER_ACTIVATION.value)(on_activation)


async def _open_reject_modal(rt: Runtime, body: dict[str, Any]) -> None:
    """Right after the ack: a refusal is queued as a note (the worker posts it), else the modal opens now."""
    clicked = intents.approval_click(body, approvals_channel=rt.policy.channels.approvals)
    if isinstance(clicked, intents.TellUser):
        await record(rt, clicked)
        return
    try:
        request = await asyncio.to_thread(check_may_open_decision, rt, request_id=clicked.request_id,
                                          actor_id=clicked.user_id)
    except (NotAllowed, InvalidTransition) as refusal:
        await record(rt, intents.TellUser(user_id=clicked.user_id, text=intents.refusal_note(refusal),
                                          channel=clicked.channel or rt.policy.channels.approvals))
        return
    modal = reject_reason_modal(clicked.request_id, request.deal_name)
    await asyncio.to_thread(rt.slack.open_view, str(body.get("trigger_id") or ""), modal)


async def _open_activation_modal(rt: Runtime, body: dict[str, Any], request_id: int) -> None:
    """Right after the ack, from the database alone: a refusal is queued as a note, else the modal opens now."""
    clicked = intents.approval_click(body, approvals_channel=rt.policy.channels.approvals)
    if isinstance(clicked, intents.TellUser):
        await record(rt, clicked)
        return
    try:
        form = await asyncio.to_thread(form_for, rt, request_id=request_id, actor_id=clicked.user_id)
    except (NotAllowed, InvalidTransition) as refusal:
        await record(rt, intents.TellUser(user_id=clicked.user_id, text=intents.refusal_note(refusal),
                                          channel=clicked.channel or rt.policy.channels.approvals))
        return
    metadata = ActivationMetadata(request_id=request_id, channel=clicked.channel,
                                  message_ts=clicked.message_ts).encode()
    modal = activation_modal(activation_modal_model(form), private_metadata=metadata)
    await asyncio.to_thread(rt.slack.open_view, str(body.get("trigger_id") or ""), modal)


def _activation_errors(values: dict[str, str | None], *, terms_options: tuple[str, ...]) -> dict[str, str]:
    errors = {}
    if values["terms"] not in terms_options:
        errors[BlockId.ACTIVATION_TERMS_INPUT.value] = "Pick the customer's payment terms."
    if values["credit_limit"]:
        try:
            parse_credit_limit(values["credit_limit"])
        except ValueError as wrong:
            errors[BlockId.ACTIVATION_CREDIT_LIMIT_INPUT.value] = str(wrong)
    if values["offers_customer"] and not values["customer"]:
        errors[BlockId.ACTIVATION_CUSTOMER_INPUT.value] = "Pick a look-alike to use, or create a new customer."
    return errors
