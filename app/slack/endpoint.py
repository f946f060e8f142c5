"""POST /slack/events: verify before anything else, and answer malformed input with 4xx, never 500."""
from __future__ import annotations

import logging
import time

from fastapi import Request, Response
from fastapi.responses import JSONResponse
from slack_bolt.adapter.fastapi.async_handler import AsyncSlackRequestHandler

from app.signing import fresh_timestamp, same_signature, slack_signature

log = logging.getLogger(__name__)
MAX_SKEW_SECONDS = 300     # Slack's documented replay window


async def handle_slack_request(request: Request, *, handler: AsyncSlackRequestHandler,
                               signing_secret: str) -> Response:
    body = await request.body()                 # Starlette caches it; bolt reads the same bytes
    timestamp = fresh_timestamp(request.headers.get("x-slack-request-timestamp"), now=time.time(),
                                max_skew=MAX_SKEW_SECONDS)
    if timestamp is None or not same_signature(slack_signature(signing_secret, timestamp, body),
                                               request.headers.get("x-slack-signature")):
        return JSONResponse({"error": "invalid request"}, status_code=401)
    try:
        return await handler.handle(request)
    except (ValueError, TypeError, KeyError, AttributeError, UnicodeDecodeError, RecursionError) as error:
        log.warning("signed but malformed Slack request rejected: %s: %s", type(error).__name__, error)
        return JSONResponse({"error": "malformed request"}, status_code=400)
