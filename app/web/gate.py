"""The web app's door when Sign in with Slack is on (ASGI middleware, before any route runs).

- Open to anyone: /healthz, /readyz and the sign-in pages; Slack's and Salesforce's deliveries (they carry
  their own signatures) and /metrics (its own machine-token check, app/web/prometheus.py).
- The JSON API (/dashboard/api/...) also takes the shared machine token (LEDGERBRIDGE_DASHBOARD_TOKEN) as
  `Authorization: Bearer`; without a session or that token it answers 401.
- Every other page needs a session, else a redirect to /signin. A person without a finance role may open only
  EVERYONE_PATHS (their own deals' pages); /dashboard sends them to their exceptions, any other page is 403.
- A state-changing request with a session must carry the session's CSRF token (app/web/csrf.py).
"""
from __future__ import annotations

import hmac
import json
from urllib.parse import quote

from pydantic import SecretStr
from starlette.datastructures import Headers
from starlette.requests import HTTPConnection
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from app.web import csrf
from app.web.session import Person, SessionCodec

OPEN_PATHS = frozenset({"/healthz", "/readyz", "/signin", "/signin/slack", "/signin/callback", "/slack/events",
                        "/salesforce/notify", "/metrics"})
MACHINE_PREFIX = "/dashboard/api/"
EVERYONE_PATHS = frozenset({"/dashboard/exceptions", "/dashboard/exceptions.csv", "/signout"})
"""Pages that show a non-finance person only their own deals (the routes filter by `person_of`)."""
OWN_DEALS_HOME = "/dashboard/exceptions"
MAX_FORM_BYTES = 1_000_000


class SignInGate:
    def __init__(self, app: ASGIApp, *, codec: SessionCodec, machine_token: SecretStr | None,
                 public_url: str) -> None:
        self.app, self.codec, self.machine_token, self.public_url = app, codec, machine_token, public_url

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or scope["path"] in OPEN_PATHS:
            await self.app(scope, receive, send)
            return
        connection = HTTPConnection(scope)
        person = self.codec.person(connection)
        if person is None:
            if scope["path"].startswith(MACHINE_PREFIX) and self._machine(connection):
                await self.app(scope, receive, send)
            else:
                await _refuse_anonymous(scope, send)
            return
        if not person.finance and scope["path"] not in EVERYONE_PATHS:
            await _refuse_non_finance(scope, send)
            return
        scope.setdefault("state", {})["person"] = person
        if scope["method"] in csrf.UNSAFE_METHODS:
            body = await _read_body(receive)
            if body is None or not _csrf_ok(connection.headers, person, body, self.public_url):
                await _reply(send, 403, "text/plain", b"Forbidden: this form's CSRF token is missing or wrong; "
                                                      b"reload the page and try again.")
                return
            receive = _replay(body)
        await self.app(scope, receive, send)

    def _machine(self, connection: HTTPConnection) -> bool:
        if self.machine_token is None:
            return False
        scheme, _, token = connection.headers.get("authorization", "").partition(" ")
        expected = self.machine_token.get_secret_value().encode()
        return scheme.lower() == "bearer" and bool(token) and hmac.compare_digest(token.strip().encode(), expected)


def _csrf_ok(headers: Headers, person: Person, body: bytes, public_url: str) -> bool:
    if not csrf.same_origin(headers.get("origin"), headers.get("host"), public_url):
        return False
    return csrf.accepted(person, csrf.token_in(body, headers.get("content-type", ""), headers.get(csrf.HEADER)))


async def _refuse_anonymous(scope: Scope, send: Send) -> None:
    if scope["path"].startswith(MACHINE_PREFIX):
        body = json.dumps({"error": "sign in with Slack, or send Authorization: Bearer <machine token>"})
        await _reply(send, 401, "application/json", body.encode(), {"www-authenticate": "Bearer"})
        return
    query = scope.get("query_string", b"").decode("latin-1")
    wanted = scope["path"] + (f"?{query}" if query else "")
    await _reply(send, 303, "text/plain", b"", {"location": f"/signin?next={quote(wanted, safe='')}"})


async def _refuse_non_finance(scope: Scope, send: Send) -> None:
    if scope["path"] in ("/dashboard", "/dashboard/"):
        await _reply(send, 303, "text/plain", b"", {"location": OWN_DEALS_HOME})
        return
    await _reply(send, 403, "text/html; charset=utf-8",
                 b"<!doctype html><title>Finance roles only</title><h1>Finance roles only</h1>"
                 b"<p>This page shows every deal; you may see your own: "
                 b'<a href="/dashboard/exceptions">your deals\' exceptions</a>.</p>')


async def _read_body(receive: Receive) -> bytes | None:
    """The whole request body (None past MAX_FORM_BYTES: no form of ours is that big)."""
    chunks: list[bytes] = []
    size, more = 0, True
    while more:
        message = await receive()
        if message["type"] != "http.request":
            return None
        chunks.append(message.get("body", b""))
        size += len(chunks[-1])
        if size > MAX_FORM_BYTES:
            return None
        more = message.get("more_body", False)
    return b"".join(chunks)


def _replay(body: bytes) -> Receive:
    sent = False

    async def receive() -> Message:
        nonlocal sent
        if sent:
            return {"type": "http.disconnect"}
        sent = True
        return {"type": "http.request", "body": body, "more_body": False}
    return receive


async def _reply(send: Send, status: int, content_type: str, body: bytes,
                 headers: dict[str, str] | None = None) -> None:
    raw = [(b"content-type", content_type.encode()), (b"content-length", str(len(body)).encode())]
    raw += [(name.encode(), value.encode()) for name, value in (headers or {}).items()]
    await send({"type": "http.response.start", "status": status, "headers": raw})
    await send({"type": "http.response.body", "body": body})
