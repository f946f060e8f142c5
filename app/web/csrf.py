"""CSRF protection for every state-changing form: a token bound to the signed session.

Each form carries `<input type="hidden" name="csrf_token" value="...">` (the session's token); a POST, PUT,
PATCH or DELETE whose token (form field or X-CSRF-Token header) is not the session's is refused with 403, and
so is one whose Origin names another site. Requests authenticated otherwise (Slack's and Salesforce's signed
deliveries, the JSON API with its bearer token) carry no cookie to abuse and are not checked here.
"""
from __future__ import annotations

import hmac
from urllib.parse import parse_qs, urlsplit

from markupsafe import Markup, escape

from app.web.session import Person

FIELD = "csrf_token"
HEADER = "x-csrf-token"
UNSAFE_METHODS = frozenset({"POST", "PUT", "PATCH", "DELETE"})


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
