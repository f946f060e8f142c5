"""One place that reports a listener failure: logged once with context, answered politely, never re-raised.

Work that runs after `ack()` must not let an exception escape: bolt's async runner then clears the
stored ack and can turn the already-acknowledged request into a 404 for Slack.
"""
from __future__ import annotations

import logging
from collections.abc import Awaitable
from typing import Any

import aiohttp

from app.errors import IntegrationError
from app.integrations.slack_api import SlackApi
from app.slack.listeners.replies import responder

log = logging.getLogger("app.slack.bolt_app")
SORRY = "Sorry, something went wrong on our side; it has been logged. Please try again in a minute."
# A vendor that cannot be reached is an outage, not a bug: one line, no traceback.
OUTAGES = (IntegrationError, aiohttp.ClientError, OSError)


async def after_ack(work: Awaitable[Any], *, body: dict[str, Any], tell: SlackApi | None = None) -> None:
    """Await `work`; a failure is reported, and told to the user through `tell` when given."""
    try:
        await work
    except Exception as error:  # reported here exactly once; Slack already has its 200
        await report_failure(error, body=body, tell=tell)


async def report_failure(error: BaseException, *, body: dict[str, Any], tell: SlackApi | None = None) -> None:
    """Never raises, whatever the body holds and whether or not response_url can be reached."""
    what, action, user = _context(body)
    log.error("Slack listener failed: %s (type=%s action=%s user=%s)", error, what, action, user,
              exc_info=None if isinstance(error, OUTAGES) else error)
    if tell is None or not isinstance(body, dict):
        return
    try:
        reply = responder(tell, body)
        if reply.url is None:
            return
        await reply(text=SORRY, response_type="ephemeral", replace_original=False)
    except Exception as unreachable:  # the note is best effort; the failure itself is logged above
        log.warning("could not tell the user about the failure: %s: %s", type(unreachable).__name__, unreachable,
                    exc_info=None if isinstance(unreachable, OUTAGES) else unreachable)


def _context(body: Any) -> tuple[Any, Any, Any]:
    """(command or payload type, action_id, user id) for the log line, from a body of any shape."""
    if not isinstance(body, dict):
        return None, None, None
    user = body.get("user")
    actions = body.get("actions")
    first = actions[0] if isinstance(actions, list) and actions and isinstance(actions[0], dict) else {}
    return (body.get("command") or body.get("type"), first.get("action_id"),
            user.get("id") if isinstance(user, dict) else user or body.get("user_id"))
