"""`/invoice-status <opportunity id | name | invoice number>`: ack at once, answer through response_url."""
from __future__ import annotations

import asyncio
from typing import Any

from slack_bolt.async_app import AsyncAck, AsyncApp

from app.db import session_scope
from app.runtime import Runtime
from app.slack.blocks.common import to_dicts
from app.slack.blocks.format import escape
from app.slack.blocks.status import (
    invoice_status_blocks,
    status_candidates_blocks,
    status_candidates_text,
    status_not_found_text,
    status_too_long_text,
    status_usage_text,
)
from app.slack.ids import SlashCommand
from app.slack.listeners.failures import after_ack
from app.slack.listeners.replies import Responder, responder
from app.slack.presenters import invoice_status_view, status_candidates
from app.status.service import MAX_QUERY_CHARS, answer


def register(app: AsyncApp, rt: Runtime) -> None:
    async def on_invoice_status(ack: AsyncAck, command: dict[str, Any]) -> None:
        query = (command.get("text") or "").strip()
        if not query:
            await ack(text=status_usage_text())
            return
        if len(query) > MAX_QUERY_CHARS:
            await ack(text=status_too_long_text(len(query), MAX_QUERY_CHARS))
            return
        await ack(text=f"Looking up `{escape(query[:100])}`…")
        await after_ack(_answer(rt, query, responder(rt.slack, command)), body=command, tell=rt.slack)

    app.command(SlashCommand.INVOICE_STATUS.value)(on_invoice_status)


async def _answer(rt: Runtime, query: str, respond: Responder) -> None:
    await respond(**await asyncio.to_thread(status_reply, rt, query), replace_original=True)


def status_reply(rt: Runtime, query: str) -> dict[str, Any]:
    with session_scope(rt.engine) as session:
        result = answer(session, query)
    if result.standing is not None:
        view = invoice_status_view(result.standing, instance_url=rt.settings.salesforce_base_url)
        blocks = invoice_status_blocks(view, tz=rt.policy.zone)
        return {"text": f"{view.deal_name}: {view.gate_status}", "blocks": to_dicts(blocks),
                "response_type": "ephemeral"}
    if result.matches:
        candidates = status_candidates(result.matches)
        return {"text": status_candidates_text(query, len(candidates)),
                "blocks": to_dicts(status_candidates_blocks(query, candidates)), "response_type": "ephemeral"}
    return {"text": status_not_found_text(query), "response_type": "ephemeral"}
