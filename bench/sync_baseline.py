"""The baseline contracts.md §0.7 warns about: the same /invoice-status listener on bolt's sync `App`
behind `slack_bolt.adapter.fastapi.SlackRequestHandler`, whose `async def handle` runs the blocking
`app.dispatch()` on the event loop."""
from __future__ import annotations

from typing import Any

from fastapi import FastAPI, Request
from slack_bolt import Ack, App, Respond
from slack_bolt.adapter.fastapi import SlackRequestHandler
from slack_sdk import WebClient

from app.jobs.answers import status_reply
from app.runtime import Runtime
from app.slack.blocks.format import escape
from app.slack.blocks.status import status_usage_text
from app.slack.ids import SlashCommand


def build_sync_bolt_app(runtime: Runtime, *, signing_secret: str, slack_api_url: str, token: str) -> App:
    """Acks, then answers in bolt's listener thread: the same steps as app/slack/listeners/status.py."""
    app = App(client=WebClient(token=token, base_url=slack_api_url), signing_secret=signing_secret,
              process_before_response=False, raise_error_for_unhandled_request=False)

    def on_invoice_status(ack: Ack, command: dict[str, Any], respond: Respond) -> None:
        query = (command.get("text") or "").strip()
        if not query:
            ack(text=status_usage_text())
            return
        ack(text=f"Looking up `{escape(query[:100])}`…")
        respond(**status_reply(runtime, query), replace_original=True)

    app.command(SlashCommand.INVOICE_STATUS.value)(on_invoice_status)
    return app


def create_sync_baseline(runtime: Runtime, *, signing_secret: str, slack_api_url: str, token: str) -> FastAPI:
    """bolt verifies the signature itself (RequestVerification middleware), as in production."""
    handler = SlackRequestHandler(build_sync_bolt_app(runtime, signing_secret=signing_secret,
                                                     slack_api_url=slack_api_url, token=token))
    api = FastAPI(title="sync bolt baseline")

    @api.post("/slack/events")
    async def slack_events(request: Request):
        return await handler.handle(request)

    return api
