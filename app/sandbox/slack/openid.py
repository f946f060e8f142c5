"""Sign in with Slack in the emulator: the authorize page, `openid.connect.token` and `openid.connect.userInfo`.

Shapes follow https://api.slack.com/authentication/sign-in-with-slack: the authorize page sends the browser
back to `redirect_uri` with `code` and `state`; the token method answers ok, access_token, token_type,
id_token; userInfo answers ok, sub, https://slack.com/user_id, https://slack.com/team_id, email, name.
The emulator signs id_tokens HS256 with the client secret (Slack uses RS256 and publishes its keys). The
authorize page lists the workspace's people to pick from: the demo signs in as anyone in one click.
"""
from __future__ import annotations

import base64
import html
import secrets
import threading
import time
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import urlencode

import jwt
from starlette.requests import Request
from starlette.responses import HTMLResponse, RedirectResponse, Response
from starlette.routing import Route

from app.sandbox.slack.state import SlackState
from app.sandbox.slack.web_common import ApiReply, fail, ok, text_param

DEMO_CLIENT_ID = "1111.2222"
DEMO_CLIENT_SECRET = "sandbox-slack-client-secret-for-sign-in-demo"
TOKEN_SECONDS = 3600
ISSUER = "https://slack.com"
NOT_AUTHED = ApiReply({"ok": False, "error": "invalid_auth"})


@dataclass(frozen=True)
class _Grant:
    user_id: str
    client_id: str
    redirect_uri: str
    nonce: str | None


@dataclass
class OpenIdBook:
    """Registered clients, codes waiting to be exchanged (once) and access tokens issued, by value."""

    clients: dict[str, str] = field(default_factory=lambda: {DEMO_CLIENT_ID: DEMO_CLIENT_SECRET})
    codes: dict[str, _Grant] = field(default_factory=dict)
    access: dict[str, str] = field(default_factory=dict)
    lock: threading.Lock = field(default_factory=threading.Lock)


def book_of(state: SlackState) -> OpenIdBook:
    with state.lock:
        if not isinstance(getattr(state, "openid", None), OpenIdBook):
            state.openid = OpenIdBook()  # type: ignore[attr-defined]
        return state.openid  # type: ignore[attr-defined]


def basic_credentials(encoded: str, params: dict[str, Any]) -> dict[str, str]:
    """client_id and client_secret from an HTTP Basic header (the body's own values win)."""
    try:
        client_id, _, secret = base64.b64decode(encoded, validate=True).decode("utf-8").partition(":")
    except (ValueError, UnicodeDecodeError):
        return {}
    return {"client_id": params.get("client_id") or client_id, "client_secret": params.get("client_secret") or secret}


def openid_token(state: SlackState, params: dict[str, Any]) -> ApiReply:
    book = book_of(state)
    client_id, secret = text_param(params, "client_id"), text_param(params, "client_secret")
    if not client_id or client_id not in book.clients:
        return fail("invalid_client_id")
    if secret != book.clients[client_id]:
        return fail("bad_client_secret")
    with book.lock:
        grant = book.codes.pop(text_param(params, "code") or "", None)
    if grant is None or grant.client_id != client_id:
        return fail("invalid_code")
    if text_param(params, "redirect_uri") != grant.redirect_uri:
        return fail("bad_redirect_uri")
    access = f"xoxp-oidc-{secrets.token_hex(12)}"
    with book.lock:
        book.access[access] = grant.user_id
    return ok(access_token=access, token_type="Bearer",
              id_token=_id_token(state, grant, secret=book.clients[client_id]))


def openid_user_info(state: SlackState, token: str | None) -> ApiReply:
    user_id = book_of(state).access.get(token or "")
    user = state.user(user_id) if user_id else None
    if user is None:
        return NOT_AUTHED
    return ok(**_claims(state, user_id or ""), email=user.email, email_verified=True,
              name=user.real_name or user.name, **{"https://slack.com/team_name": state.team_domain})


def _claims(state: SlackState, user_id: str) -> dict[str, Any]:
    return {"sub": user_id, "https://slack.com/user_id": user_id, "https://slack.com/team_id": state.team_id}


def _id_token(state: SlackState, grant: _Grant, *, secret: str) -> str:
    user = state.user(grant.user_id)
    now = int(time.time())
    claims: dict[str, Any] = {"iss": ISSUER, "aud": grant.client_id, "iat": now, "exp": now + TOKEN_SECONDS,
                              "auth_time": now, **_claims(state, grant.user_id),
                              "email": user.email if user else None}
    if grant.nonce:
        claims["nonce"] = grant.nonce
    return jwt.encode(claims, secret, algorithm="HS256")


async def authorize_page(request: Request) -> Response:
    """GET: the people to sign in as; POST (a person picked): back to redirect_uri with a code and the state."""
    state: SlackState = request.app.state.slack
    book = book_of(state)
    form = dict(await request.form()) if request.method == "POST" else {}
    asked = {**request.query_params, **{key: str(value) for key, value in form.items()}}
    client_id, redirect_uri = asked.get("client_id", ""), asked.get("redirect_uri", "")
    if client_id not in book.clients or not redirect_uri.startswith(("http://", "https://")):
        return HTMLResponse("<h1>Invalid client_id or redirect_uri</h1>", status_code=400)
    if "openid" not in asked.get("scope", "").split():
        return RedirectResponse(_back(redirect_uri, error="invalid_scope", state=asked.get("state")), 302)
    picked = asked.get("user") if request.method == "POST" else None
    if picked and state.user(picked) is not None:
        code = secrets.token_urlsafe(16)
        with book.lock:
            book.codes[code] = _Grant(picked, client_id, redirect_uri, asked.get("nonce") or None)
        return RedirectResponse(_back(redirect_uri, code=code, state=asked.get("state")), 302)
    return HTMLResponse(_people_page(state, asked))


def _back(redirect_uri: str, **fields: str | None) -> str:
    query = urlencode({key: value for key, value in fields.items() if value is not None})
    return f"{redirect_uri}{'&' if '?' in redirect_uri else '?'}{query}"


def _people_page(state: SlackState, asked: dict[str, str]) -> str:
    hidden = "".join(f'<input type="hidden" name="{html.escape(key)}" value="{html.escape(value)}">'
                     for key, value in asked.items() if key != "user")
    with state.lock:
        people = [user for user in state.users.values() if not user.is_bot and not user.deleted and user.email]
    buttons = "".join(
        f'<li><button type="submit" name="user" value="{html.escape(user.id)}">'
        f'{html.escape(user.real_name or user.name)}</button> <small>{html.escape(user.email or "")}</small></li>'
        for user in people)
    return ("<!doctype html><html lang=en><head><meta charset=utf-8><title>Sign in to Slack (emulator)</title>"
            "</head><body><h1>Sign in to the Slack emulator</h1><p>Pick who you are:</p>"
            f'<form method="post"><ul>{buttons}</ul>{hidden}</form></body></html>')


def openid_routes() -> list[Route]:
    return [Route("/openid/connect/authorize", authorize_page, methods=["GET", "POST"])]
