"""POST /slack/events: verify before anything else, and answer malformed input with 4xx, never 500."""
from __future__ import annotations

import logging
import time

from fastapi import Request, Response
from fastapi.responses import JSONResponse
from slack_bolt.adapter.fastapi.async_handler import AsyncSlackRequestHandler

from app.signing import BodyTooLarge, fresh_timestamp, read_capped, same_signature, slack_signature
from app.slack.envelope import MAX_BODY_BYTES, MalformedEnvelope, check_request

log = logging.getLogger(__name__)
MAX_SKEW_SECONDS = 300     # Slack's documented replay window


async def handle_slack_request(request: Request, *, handler: AsyncSlackRequestHandler,
                               signing_secret: str) -> Response:
    try:
        body, request = await read_capped(request, limit=MAX_BODY_BYTES)    # bolt reads the same bytes
    except BodyTooLarge as too_large:
        return JSONResponse({"error": str(too_large)}, status_code=413)
    timestamp = fresh_timestamp(request.headers.get("x-slack-request-timestamp"), now=time.time(),
                                max_skew=MAX_SKEW_SECONDS)
    if timestamp is None or not same_signature(slack_signature(signing_secret, timestamp, body),
                                               request.headers.get("x-slack-signature")):
        return JSONResponse({"error": "invalid request"}, status_code=401)
    try:
        check_request(body, _one_content_type(request))
    except MalformedEnvelope as malformed:
        log.warning("signed but malformed Slack request rejected: %s", malformed)
        return JSONResponse({"error": "malformed request", "detail": str(malformed)}, status_code=400)
    try:
        return await handler.handle(request)
    except (ValueError, TypeError, KeyError, AttributeError, UnicodeDecodeError, RecursionError) as error:
        log.warning("signed but malformed Slack request rejected: %s: %s", type(error).__name__, error)
        return JSONResponse({"error": "malformed request"}, status_code=400)


def _one_content_type(request: Request) -> str | None:
    """bolt takes the last Content-Type header, Starlette the first: more than one is refused."""
    values = request.headers.getlist("content-type")
    if len(values) > 1:
        raise MalformedEnvelope("more than one Content-Type header")
    return values[0] if values else None
