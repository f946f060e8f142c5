"""build_bolt_app(): the AsyncApp with our middleware, listeners and error handler. No globals."""
from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable
from typing import Any

from slack_bolt import BoltResponse
from slack_bolt.async_app import AsyncApp, AsyncBoltRequest
from slack_bolt.logger import get_bolt_logger
from slack_bolt.logger.messages import warning_client_prioritized_and_token_skipped, warning_token_skipped
from slack_sdk.web.async_client import AsyncWebClient
from sqlalchemy.exc import IntegrityError

from app.db import session_scope
from app.exactly_once.models import InboundEvent
from app.runtime import Runtime
from app.slack import listeners
from app.slack.authorization import CachedAuthorize, without_token
from app.slack.listeners.failures import report_failure

log = logging.getLogger(__name__)


class _OwnClientNotice(logging.Filter):
    """Bolt reads SLACK_BOT_TOKEN from the environment even when it is given a client, then warns at every
    start that the token is unused; and again because we give it our own `authorize`. Both are on purpose (our
    base URL and timeout; the same token), so only these two notices are dropped; every other warning shows."""

    def filter(self, record: logging.LogRecord) -> bool:
        return record.getMessage() not in (warning_client_prioritized_and_token_skipped(), warning_token_skipped())


_OWN_CLIENT_NOTICE = _OwnClientNotice()


def build_bolt_app(runtime: Runtime, *, client: AsyncWebClient, signing_secret: str) -> AsyncApp:
    get_bolt_logger(AsyncApp).addFilter(_OWN_CLIENT_NOTICE)     # idempotent: a filter is added once
    app = AsyncApp(client=without_token(client), authorize=CachedAuthorize(client, clock=runtime.clock),
                   signing_secret=signing_secret, process_before_response=False,
                   raise_error_for_unhandled_request=False)
    app.middleware(_drop_event_retries(runtime))
    listeners.register(app, runtime)
    app.error(_on_listener_error)
    return app


def _drop_event_retries(rt: Runtime) -> Callable[..., Awaitable[Any]]:
    """Slack re-sends an event (same event_id) when our answer was late; bolt does not dedupe in HTTP mode."""
    async def middleware(req: AsyncBoltRequest, body: dict[str, Any],
                         next: Callable[[], Awaitable[BoltResponse]]) -> BoltResponse:
        event_id = body.get("event_id") if body.get("type") == "event_callback" else None
        if event_id and not await asyncio.to_thread(_first_delivery, rt, f"slack-event:{event_id}"):
            log.info("dropping repeated Slack event %s (retry %s)", event_id,
                     req.headers.get("x-slack-retry-num", ["?"])[0])
            return BoltResponse(status=200, body="", headers={"X-Slack-No-Retry": "1"})
        return await next()
    return middleware


def _first_delivery(rt: Runtime, key: str) -> bool:
    try:
        with session_scope(rt.engine) as session:
            session.add(InboundEvent(source="slack", event_key=key, received_at=rt.clock.now()))
    except IntegrityError:
        return False
    return True


async def _on_listener_error(error: Exception, body: dict[str, Any]) -> None:
    """Failures before ack (the intent could not be recorded): logged; Slack shows the person its own error.
    Listeners wrap what they do after the ack in `after_ack`."""
    report_failure(error, body=body)
