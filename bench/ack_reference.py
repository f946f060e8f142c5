"""The reference for bench.slack_ack: a minimal bolt `AsyncApp` that verifies each request's signature and only
acks (no database, no Slack call), served by uvicorn as `ledgerbridge web` serves ours. Its own process:

    .venv/bin/python -m bench.ack_reference --port N --signing-secret S
"""
from __future__ import annotations

import argparse
import os
from collections.abc import Sequence
from typing import Any

import uvicorn
from fastapi import FastAPI, Request
from slack_bolt.adapter.fastapi.async_handler import AsyncSlackRequestHandler
from slack_bolt.async_app import AsyncAck, AsyncApp
from slack_bolt.authorization import AuthorizeResult

from app.slack.ids import ActionId, SlashCommand

SECRET_ENV = "BENCH_REFERENCE_SIGNING_SECRET"


async def _authorize(**_: Any) -> AuthorizeResult:
    """A fixed installation: bolt asks Slack nothing (no auth.test)."""
    return AuthorizeResult(enterprise_id=None, team_id="T0001", bot_user_id="UREFBOT", bot_id="BREF",
                           bot_token="xoxb-reference")


def create_reference_app(signing_secret: str) -> FastAPI:
    bolt = AsyncApp(signing_secret=signing_secret, authorize=_authorize, process_before_response=False,
                    raise_error_for_unhandled_request=False)

    async def only_ack(ack: AsyncAck) -> None:
        await ack()

    for command in (SlashCommand.INVOICE_STATUS, SlashCommand.EXCEPTIONS):
        bolt.command(command.value)(only_ack)
    bolt.action(ActionId.APPROVE.value)(only_ack)
    handler = AsyncSlackRequestHandler(bolt)
    api = FastAPI(title="ack-only reference")

    @api.post("/slack/events")
    async def slack_events(request: Request):
        return await handler.handle(request)

    @api.get("/healthz")
    async def healthz() -> dict[str, str]:
        return {"status": "ok"}

    return api


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.ack_reference", description=__doc__.splitlines()[0])
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, required=True)
    args = parser.parse_args(argv)
    secret = os.environ[SECRET_ENV]           # from the environment, never on a command line
    uvicorn.run(create_reference_app(secret), host=args.host, port=args.port, log_level="info")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
