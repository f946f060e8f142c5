"""POST /slack/events: verify before anything else, and answer malformed input with 4xx, never 500."""
from __future__ import annotations

import logging
import time

from fastapi import Request, Response
from fastapi.responses import JSONResponse
from slack_bolt.adapter.fastapi.async_handler import AsyncSlackRequestHandler
from slack_sdk.signature import SignatureVerifier

from app.signing import BodyTooLarge, ascii_header, fresh_timestamp, read_capped
from app.slack.envelope import MAX_BODY_BYTES, MalformedEnvelope, check_request

log = logging.getLogger(__name__)
MAX_SKEW_SECONDS = 300     # Slack's documented replay window


def signed_by_slack(verifier: SignatureVerifier, *, body: bytes, timestamp: str | None, signature: str | None,
                    now: float) -> bool:
    """Our strictness first (ASCII digits within the window, an ASCII signature, a UTF-8 body: slack_sdk
    would raise on anything else), then slack_sdk's own v0 check over the exact bytes received."""
    stamp = fresh_timestamp(timestamp, now=now, max_skew=MAX_SKEW_SECONDS)
    if stamp is None or not ascii_header(signature) or not _is_utf8(body):
        return False
    return verifier.is_valid(body=body, timestamp=str(stamp), signature=signature)


async def handle_slack_request(request: Request, *, handler: AsyncSlackRequestHandler,
                               signing_secret: str) -> Response:
    try:
        body, request = await read_capped(request, limit=MAX_BODY_BYTES)    # bolt reads the same bytes
    except BodyTooLarge as too_large:
        return JSONResponse({"error": str(too_large)}, status_code=413)
    if not signed_by_slack(SignatureVerifier(signing_secret), body=body, now=time.time(),
                           timestamp=request.headers.get("x-slack-request-timestamp"),
                           signature=request.headers.get("x-slack-signature")):
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


def _is_utf8(body: bytes) -> bool:
    try:
        body.decode("utf-8")
    except UnicodeDecodeError:
        return False
    return True
def _one_content_type(request: Request) -> str | None:
    """bolt takes the last Content-Type header, Starlette the first: more than one is refused."""
    values = request.headers.getlist("content-type")
    if len(values) > 1:
        raise MalformedEnvelope("more than one Content-Type header")
    return values[0] if values else None
