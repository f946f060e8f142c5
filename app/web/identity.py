"""Who is acting on the dashboard: the one function every state-changing route asks.

Today the person is the one the SSO proxy in front of the dashboard names by e-mail (`X-Forwarded-Email` or
`X-Auth-Request-Email`, as oauth2-proxy sends them), matched to their Slack user, unless the person signed in with
Slack (then the signed session's user). A `?viewer=` link only changes how times and names read
(app/web/viewer.py): it never lets anyone act.
"""
from __future__ import annotations

from fastapi import Request

from app.runtime import Runtime
from app.web.session import Person
from app.web.viewer import EMAIL_HEADERS, LOOKUP_BUDGET, within


def current_viewer(request: Request) -> str | None:
    """The acting person's Slack user id, or None when nobody trustworthy is named."""
    person = request.scope.get("state", {}).get("person")
    if isinstance(person, Person):
        return person.slack_id
    runtime: Runtime = request.app.state.runtime
    email = next((request.headers[name] for name in EMAIL_HEADERS if request.headers.get(name)), None)
    if not email:
        return None
    found = within(LOOKUP_BUDGET * 3, {"who": lambda: runtime.slack.lookup_user_by_email(email)}).get("who")
    return found.id if found is not None and not found.deleted else None
