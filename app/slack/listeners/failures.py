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

log = logging.getLogger("app.slack.bolt_app")


async def after_ack(work: Awaitable[Any], *, body: dict[str, Any]) -> None:
    """Await `work`; a failure is reported."""
    try:
        await work
    except Exception as error:  # reported here exactly once; Slack already has its 200
        report_failure(error, body=body)


def report_failure(error: BaseException, *, body: dict[str, Any]) -> None:
    user = (body.get("user") or {}).get("id") or body.get("user_id")
    what = body.get("command") or body.get("type")
    action = ((body.get("actions") or [{}])[0]).get("action_id")
    log.error("Slack listener failed: %s (type=%s action=%s user=%s)", error, what, action, user, exc_info=error)
