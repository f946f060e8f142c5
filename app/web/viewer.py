"""Who looks at the dashboard, for the times and names it shows: the viewer's time zone (Slack users.info `tz`,
remembered) with the zone named, and people by their real name.

The viewer is the Slack user the SSO proxy in front of the dashboard names by email (`X-Forwarded-Email` or
`X-Auth-Request-Email`, as oauth2-proxy sends them), or the one a link names with `?viewer=<Slack user id>`
(remembered in a cookie). Nobody known, or Slack unreachable: the policy's time zone, still named. These only
change how times and names read, never what anyone may see. A page never waits on Slack for more than
LOOKUP_BUDGET: a look-up still running then finishes in the background and is remembered for the next page.
"""
from __future__ import annotations

import logging
import re
import threading
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from typing import TypeVar
from zoneinfo import ZoneInfo

from fastapi import Request
from fastapi.responses import Response

from app.clock import zone_named
from app.integrations.slack_api import SlackUser
from app.runtime import Runtime

log = logging.getLogger(__name__)
VIEWER_COOKIE = "ledgerbridge_viewer"
EMAIL_HEADERS = ("x-forwarded-email", "x-auth-request-email")
_USER_ID = re.compile(r"[UW][A-Z0-9]{2,30}")
LOOKUP_BUDGET = 1.0
"""Seconds a page may wait for Slack's answers about its viewer and the people it names."""
T = TypeVar("T")


@dataclass(frozen=True)
class Viewer:
    zone: ZoneInfo
    zone_name: str
    names: dict[str, str] = field(default_factory=dict)
    chosen: str | None = None
    """The user id a link chose (?viewer=), to remember in the cookie."""

    def name_of(self, slack_id: str | None) -> str:
        """A Slack user id as the viewer reads it: the person's real name (the id when Slack did not say)."""
        return self.names.get(slack_id, slack_id) if slack_id else "unassigned"


def viewer_of(rt: Runtime, request: Request, *, people: Iterable[str | None] = ()) -> Viewer:
    chosen = request.query_params.get("viewer")
    user_id = chosen or request.cookies.get(VIEWER_COOKIE)
    ids = sorted({person for person in people if person and _USER_ID.fullmatch(person)})
    calls: dict[str, Callable[[], SlackUser | None]] = {person: _finder(rt, person) for person in ids}
    calls["viewer"] = _finder(rt, user_id) if user_id and _USER_ID.fullmatch(user_id) else _email_finder(rt, request)
    found = within(LOOKUP_BUDGET, calls)
    viewer = found.get("viewer")
    zone = zone_named(viewer.tz if viewer else None) or rt.policy.zone
    names = {person: who.real_name or who.name for person in ids if (who := found.get(person)) is not None}
    return Viewer(zone=zone, zone_name=zone.key, names=names,
                  chosen=chosen if chosen and _USER_ID.fullmatch(chosen) else None)


def within(budget: float, calls: dict[str, Callable[[], T]]) -> dict[str, T]:
    """Run the calls side by side (daemon threads); the answers that came within `budget` seconds."""
    results: dict[str, T] = {}

    def run(key: str, call: Callable[[], T]) -> None:
        try:
            results[key] = call()
        except Exception as error:  # Slack unreachable or refusing: the page shows ids and the policy's zone
            log.info("dashboard look-up %s failed: %s", key, error)
    threads = [threading.Thread(target=run, args=item, daemon=True) for item in calls.items()]
    for thread in threads:
        thread.start()
    deadline = time.monotonic() + budget
    for thread in threads:
        thread.join(max(0.0, deadline - time.monotonic()))
    return dict(results)


def remember(response: Response, viewer: Viewer) -> Response:
    if viewer.chosen:
        response.set_cookie(VIEWER_COOKIE, viewer.chosen, max_age=365 * 86400, httponly=True, samesite="lax",
                            path="/dashboard")
    return response


def _finder(rt: Runtime, user_id: str) -> Callable[[], SlackUser | None]:
    return lambda: rt.slack.person(user_id)


def _email_finder(rt: Runtime, request: Request) -> Callable[[], SlackUser | None]:
    email = next((request.headers[name] for name in EMAIL_HEADERS if request.headers.get(name)), None)
    return (lambda: rt.slack.lookup_user_by_email(email)) if email else (lambda: None)
