"""CSRF protection for every state-changing form.

Signed in with Slack: the token is bound to the signed session. Each form carries
`<input type="hidden" name="csrf_token" value="...">` (the session's token); a POST, PUT, PATCH or DELETE whose
token (form field or X-CSRF-Token header) is not the session's is refused with 403 by the gate (app/web/gate.py),
and so is one whose Origin names another site. Requests authenticated otherwise (Slack's and Salesforce's signed
deliveries, the JSON API with its bearer token) carry no cookie to abuse and are not checked here.

Without sign-in (an SSO proxy in front names the person): the binding is a random value in its own cookie
(HttpOnly, SameSite=Strict, path /dashboard), and the token a form carries is an HMAC of it, so a page on another
site can neither read nor forge it. `token_for` and `valid` pick whichever applies to the request.
"""
from __future__ import annotations

import hashlib
import hmac
import secrets
from urllib.parse import parse_qs, urlsplit

from markupsafe import Markup, escape
from starlette.requests import Request
from starlette.responses import Response

from app.web.session import Person

FIELD = "csrf_token"
HEADER = "x-csrf-token"
UNSAFE_METHODS = frozenset({"POST", "PUT", "PATCH", "DELETE"})
CSRF_COOKIE = "ledgerbridge_csrf"
_PROCESS_KEY = secrets.token_bytes(32)


def hidden_field(person: Person | None) -> Markup:
    """The form field to put in every form that changes state (empty when nobody is signed in)."""
    if person is None:
        return Markup("")
    return Markup('<input type="hidden" name="{}" value="{}">').format(FIELD, escape(person.csrf))


def token_in(body: bytes, content_type: str, header: str | None) -> str:
    """The token the request sent: the header, else the url-encoded form field."""
    if header:
        return header
    if content_type.split(";")[0].strip().lower() != "application/x-www-form-urlencoded":
        return ""
    values = parse_qs(body.decode("utf-8", errors="replace")).get(FIELD, [])
    return values[0] if values else ""


def same_origin(origin: str | None, host: str | None, public_url: str) -> bool:
    """No Origin header (older browsers) passes; one naming neither this host nor LEDGERBRIDGE_PUBLIC_URL's (a
    proxy in front may change Host) fails."""
    if not origin:
        return True
    netloc = urlsplit(origin).netloc
    return origin != "null" and netloc in {host or "", urlsplit(public_url).netloc}


def accepted(person: Person | None, sent: str) -> bool:
    return person is not None and bool(sent) and hmac.compare_digest(sent.encode(), person.csrf.encode())


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


def _signed_in(request: Request) -> Person | None:
    person = request.scope.get("state", {}).get("person")
    return person if isinstance(person, Person) else None


def token_for(request: Request) -> str:
    """The token a form on this page must carry: the session's when signed in, else the binding cookie's HMAC."""
    person = _signed_in(request)
    if person is not None:
        return person.csrf
    return hmac.new(_key(request), binding_of(request).encode(), hashlib.sha256).hexdigest()


def valid(request: Request, token: str | None) -> bool:
    person = _signed_in(request)
    if person is not None:
        return accepted(person, token or "")
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
