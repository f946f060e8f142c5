"""POST /slack/events: verify before anything else, and answer malformed input with 4xx, never 500."""
from __future__ import annotations

import logging

from fastapi import Request, Response
from fastapi.responses import JSONResponse
from slack_bolt.adapter.fastapi.async_handler import AsyncSlackRequestHandler
from slack_sdk.signature import SignatureVerifier

log = logging.getLogger(__name__)


async def handle_slack_request(request: Request, *, handler: AsyncSlackRequestHandler,
                               verifier: SignatureVerifier) -> Response:
    body = await request.body()                 # Starlette caches it; bolt reads the same bytes
    timestamp = request.headers.get("x-slack-request-timestamp", "")
    signature = request.headers.get("x-slack-signature", "")
    if not timestamp.isdigit() or not verifier.is_valid(body=body, timestamp=timestamp, signature=signature):
        return JSONResponse({"error": "invalid request"}, status_code=401)
    try:
        return await handler.handle(request)
    except (ValueError, TypeError, KeyError, AttributeError, UnicodeDecodeError) as error:
        log.warning("signed but malformed Slack request rejected: %s: %s", type(error).__name__, error)
        return JSONResponse({"error": "malformed request"}, status_code=400)
