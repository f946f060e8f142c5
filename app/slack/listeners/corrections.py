"""Corrections to issued invoices: the "Propose correction" button under an invoiced deal in /invoice-status, the
`/correct-invoice <invoice number | opportunity id | deal name>` command, and the correction form.

The form opens from here, at once (the trigger_id lives 3 s), from what the database says; the submission is
recorded as a ProposeCorrection intent and acked. The worker checks that the proposer is on the finance team,
values the correction against the invoice in QuickBooks and posts it for approval (app/jobs/correction_steps.py).
"""
from __future__ import annotations

import asyncio
from typing import Any

from slack_bolt.async_app import AsyncAck, AsyncApp

from app.db import session_scope
from app.errors import InvalidTransition, NotAllowed
from app.pipeline.corrections import form_contents
from app.runtime import Runtime
from app.slack import intents
from app.slack.blocks.correction import CorrectionForm, correction_modal, form_values
from app.slack.ids import ActionId, BlockId, CallbackId, SlashCommand
from app.slack.listeners.failures import after_ack
from app.slack.listeners.record import record
from app.slack.metadata import CorrectionFormMetadata, MetadataError
from app.status.service import MAX_QUERY_CHARS, find_deals

USAGE = (f"Usage: `{SlashCommand.CORRECT_INVOICE.value} <invoice number | opportunity id | deal name>` opens the "
         "form to propose a credit memo or a write-off for an issued invoice.")


def register(app: AsyncApp, rt: Runtime) -> None:
    async def on_button(ack: AsyncAck, body: dict[str, Any]) -> None:
        await ack()
        action = (body.get("actions") or [{}])[0]
        channel = (body.get("channel") or {}).get("id") or (body.get("container") or {}).get("channel_id")
        await after_ack(_open_form(rt, body, str(action.get("value") or ""), channel=channel), body=body)

    async def on_command(ack: AsyncAck, command: dict[str, Any]) -> None:
        query = str(command.get("text") or "").strip()
        if not query or len(query) > MAX_QUERY_CHARS:
            await ack(text=USAGE)
            return
        await ack()
        await after_ack(_open_for_query(rt, command, query), body=command)

    async def on_submit(ack: AsyncAck, body: dict[str, Any], view: dict[str, Any]) -> None:
        values = form_values(view)
        errors = _form_errors(values)
        if errors:
            await ack(response_action="errors", errors=errors)
            return
        await record(rt, _intent(body, view, values))
        await ack()

    app.action(ActionId.PROPOSE_CORRECTION.value)(on_button)
    app.command(SlashCommand.CORRECT_INVOICE.value)(on_command)
    app.view(CallbackId.CORRECTION_PROPOSAL.value)(on_submit)


async def _open_for_query(rt: Runtime, command: dict[str, Any], query: str) -> None:
    def lookup() -> list[str]:
        with session_scope(rt.engine) as session:
            return [deal.sf_id for deal in find_deals(session, query)]
    found = await asyncio.to_thread(lookup)
    user = str(command.get("user_id") or "")
    if len(found) != 1:
        words = "No deal" if not found else f"{len(found)} deals"
        await record(rt, intents.TellUser(user_id=user, response_url=command.get("response_url"),
                                          text=f"{words} match “{query[:100]}”: give the invoice number or the "
                                               "opportunity id."))
        return
    await _open_form(rt, command, found[0], channel=command.get("channel_id"))


async def _open_form(rt: Runtime, body: dict[str, Any], opportunity_id: str, *, channel: str | None) -> None:
    user = str((body.get("user") or {}).get("id") or body.get("user_id") or "")
    try:
        contents = await asyncio.to_thread(form_contents, rt, opportunity_id=opportunity_id)
    except (NotAllowed, InvalidTransition) as refusal:
        await record(rt, intents.TellUser(user_id=user, text=intents.refusal_note(refusal),
                                          response_url=intents.response_url_of(body), channel=channel))
        return
    form = CorrectionForm(deal_name=contents.deal_name, invoice_number=contents.invoice_number,
                          total=contents.total, balance=contents.balance, currency=contents.currency,
                          lines=contents.lines, causes=contents.causes)
    metadata = CorrectionFormMetadata(opportunity_id=contents.opportunity_id, channel=channel).encode()
    await asyncio.to_thread(rt.slack.open_view, str(body.get("trigger_id") or ""),
                            correction_modal(form, private_metadata=metadata))


def _form_errors(values: dict[str, Any]) -> dict[str, str]:
    errors = {}
    if len(values["reason"].strip()) < 5:
        errors[BlockId.CORRECTION_REASON_INPUT.value] = "Say why, in a few words the customer's file can keep."
    if values["kind"] == "amount" and not values["amount"].strip():
        errors[BlockId.CORRECTION_AMOUNT_INPUT.value] = "Give the amount to credit."
    if values["kind"] == "lines" and not values["line_indexes"]:
        errors[BlockId.CORRECTION_LINES_INPUT.value] = "Pick the lines to credit (or choose an amount)."
    return errors


def _intent(body: dict[str, Any], view: dict[str, Any],
            values: dict[str, Any]) -> intents.ProposeCorrection | intents.TellUser:
    user = body.get("user") or {}
    user_id = str(user.get("id") or "")
    try:
        where = CorrectionFormMetadata.decode(view.get("private_metadata"))
    except MetadataError as unreadable:
        return intents.TellUser(user_id=user_id, text=intents.refusal_note(unreadable))
    return intents.ProposeCorrection(
        user_id=user_id, user_name=user.get("name") or user.get("username"), opportunity_id=where.opportunity_id,
        kind=values["kind"] if values["kind"] in ("lines", "amount", "write_off") else "lines",
        line_indexes=values["line_indexes"], amount=values["amount"] or None, reason=values["reason"].strip(),
        root_cause=values["root_cause"], channel=where.channel)
