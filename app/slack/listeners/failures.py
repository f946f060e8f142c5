"""One place that reports a listener failure: logged once with context, never re-raised.

The web process makes no Slack call for a failure: the person sees Slack's own error for a request we could
not record, and the worker answers politely for the work it could not do (app/jobs/interactive.py).
Work that runs after `ack()` (opening a modal) must not let an exception escape: bolt's async runner then
clears the stored ack and can turn the already-acknowledged request into a 404 for Slack.
"""
from __future__ import annotations

import logging
from collections.abc import Awaitable
from typing import Any

import aiohttp

from app.errors import IntegrationError

log = logging.getLogger("app.slack.bolt_app")
# A vendor that cannot be reached is an outage, not a bug: one line, no traceback.
OUTAGES = (IntegrationError, aiohttp.ClientError, OSError)


async def after_ack(work: Awaitable[Any], *, body: dict[str, Any]) -> None:
    """Await `work`; a failure is reported."""
    try:
        await work
    except Exception as error:  # reported here exactly once; Slack already has its 200
        report_failure(error, body=body)


def report_failure(error: BaseException, *, body: Any) -> None:
    """Logged once with context; never raises, whatever the body holds."""
    what, action, user = _context(body)
    log.error("Slack listener failed: %s (type=%s action=%s user=%s)", error, what, action, user,
              exc_info=None if isinstance(error, OUTAGES) else error)


def _context(body: Any) -> tuple[Any, Any, Any]:
    """(command or payload type, action_id, user id) for the log line, from a body of any shape."""
    if not isinstance(body, dict):
        return None, None, None
    user = body.get("user")
    actions = body.get("actions")
    first = actions[0] if isinstance(actions, list) and actions and isinstance(actions[0], dict) else {}
    return (body.get("command") or body.get("type"), first.get("action_id"),
            user.get("id") if isinstance(user, dict) else user or body.get("user_id"))
