"""CSRF protection for the dashboard's forms: a token bound to the browser's session, checked on every POST.

The binding is a random value in its own cookie (HttpOnly, SameSite=Strict, path /dashboard); the token a form
carries is an HMAC of it, so a page on another site can neither read nor forge it. A signed Slack session
(sign-in with Slack) can take the random cookie's place: `token_for` and `valid` only need a binding string.
"""
from __future__ import annotations

import hashlib
import hmac
import secrets

from starlette.requests import Request
from starlette.responses import Response

CSRF_COOKIE = "ledgerbridge_csrf"
FIELD = "csrf_token"
_PROCESS_KEY = secrets.token_bytes(32)


def _key(request: Request) -> bytes:
    """The signing secret of the app (from the environment), so every web process agrees; else a per-process key."""
    runtime = getattr(request.app.state, "runtime", None)
    secret = getattr(getattr(runtime, "settings", None), "slack_signing_secret", None)
    return hashlib.sha256(b"ledgerbridge-csrf:" + secret.get_secret_value().encode()).digest() if secret \
        else _PROCESS_KEY


def binding_of(request: Request) -> str:
    """The browser's binding value (a new one when it has none yet: `remember` sets it on the response)."""
    known = request.cookies.get(CSRF_COOKIE) or getattr(request.state, "csrf_binding", None)
    if not known:
        known = secrets.token_urlsafe(24)
        request.state.csrf_binding = known
    return known


def token_for(request: Request) -> str:
    return hmac.new(_key(request), binding_of(request).encode(), hashlib.sha256).hexdigest()


def valid(request: Request, token: str | None) -> bool:
    binding = request.cookies.get(CSRF_COOKIE)
    if not (binding and token):
        return False
    expected = hmac.new(_key(request), binding.encode(), hashlib.sha256).hexdigest()
    return hmac.compare_digest(expected.encode(), token.encode())


def remember(request: Request, response: Response) -> Response:
    """Set the binding cookie when this page made one."""
    made = getattr(request.state, "csrf_binding", None)
    if made and not request.cookies.get(CSRF_COOKIE):
        response.set_cookie(CSRF_COOKIE, made, httponly=True, samesite="strict", path="/dashboard",
                            secure=request.url.scheme == "https")
    return response
