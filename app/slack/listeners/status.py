"""`/invoice-status <opportunity id | name | invoice number>`: record, ack "Looking up …"; the worker answers
through the command's response_url."""
from __future__ import annotations

from typing import Any

from slack_bolt.async_app import AsyncAck, AsyncApp

from app.runtime import Runtime
from app.slack import intents
from app.slack.blocks.format import escape
from app.slack.blocks.status import status_too_long_text, status_usage_text
from app.slack.ids import SlashCommand
from app.slack.listeners.record import record
from app.status.service import MAX_QUERY_CHARS


def register(app: AsyncApp, rt: Runtime) -> None:
    async def on_invoice_status(ack: AsyncAck, command: dict[str, Any]) -> None:
        query = (command.get("text") or "").strip()
        if not query:
            await ack(text=status_usage_text())
            return
        if len(query) > MAX_QUERY_CHARS:
            await ack(text=status_too_long_text(len(query), MAX_QUERY_CHARS))
            return
        await record(rt, intents.invoice_status(command, query))
        await ack(text=f"Looking up `{escape(query[:100])}`…")

    app.command(SlashCommand.INVOICE_STATUS.value)(on_invoice_status)
