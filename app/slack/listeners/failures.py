"""One place that reports a listener failure: logged once with context, answered politely, never re-raised.

Work that runs after `ack()` must not let an exception escape: bolt's async runner then clears the
stored ack and can turn the already-acknowledged request into a 404 for Slack.
"""
from __future__ import annotations

import logging
from collections.abc import Awaitable
from typing import Any

from app.integrations.slack_api import SlackApi
from app.slack.listeners.replies import responder

log = logging.getLogger("app.slack.bolt_app")
SORRY = "Sorry, something went wrong on our side; it has been logged. Please try again in a minute."


async def after_ack(work: Awaitable[Any], *, body: dict[str, Any], tell: SlackApi | None = None) -> None:
    """Await `work`; a failure is reported, and told to the user through `tell` when given."""
    try:
        await work
    except Exception as error:  # reported here exactly once; Slack already has its 200
        await report_failure(error, body=body, tell=tell)


async def report_failure(error: BaseException, *, body: dict[str, Any], tell: SlackApi | None = None) -> None:
    user = (body.get("user") or {}).get("id") or body.get("user_id")
    what = body.get("command") or body.get("type")
    action = ((body.get("actions") or [{}])[0]).get("action_id")
    log.error("Slack listener failed: %s (type=%s action=%s user=%s)", error, what, action, user, exc_info=error)
    reply = responder(tell, body) if tell is not None else None
    if reply is not None and reply.url is not None:
        try:
            await reply(text=SORRY, response_type="ephemeral", replace_original=False)
        except Exception:  # the note is best effort; the failure itself is logged above
            log.warning("could not tell the user about the failure", exc_info=True)
