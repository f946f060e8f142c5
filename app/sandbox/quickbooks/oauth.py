"""Intuit OAuth 2.0 as the emulator plays it: client auth, refresh-token rotation, bearer checks, revoke."""
from __future__ import annotations

import base64
import binascii
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

from app.sandbox.quickbooks.faults import authentication_failed_body, realm_forbidden
from app.sandbox.quickbooks.state import AccessGrant, QuickBooksState

INVALID_GRANT = {"error_description": "Token invalid", "error": "invalid_grant"}
X_REFRESH_TOKEN_EXPIRES_IN = 8726400


class OAuthError(Exception):
    def __init__(self, status: int, body: dict[str, Any]) -> None:
        super().__init__(body.get("error", "oauth error"))
        self.status, self.body = status, body


class BearerRejected(Exception):
    """401 with the real lower-case AUTHENTICATION body."""

    def __init__(self, body: dict[str, Any]) -> None:
        super().__init__("authentication failed")
        self.body = body


@dataclass(frozen=True)
class TokenRequest:
    authorization: str | None
    form: dict[str, str]


def client_from_basic(state: QuickBooksState, authorization: str | None, form: dict[str, str]) -> str:
    """client_secret_basic (what intuit-oauth sends) or client_secret_post; 401 invalid_client otherwise."""
    client_id, secret = form.get("client_id"), form.get("client_secret")
    if authorization and authorization.lower().startswith("basic "):
        try:
            client_id, _, secret = base64.b64decode(authorization[6:].strip()).decode().partition(":")
        except (binascii.Error, UnicodeDecodeError):
            client_id = secret = None
    if not client_id or state.clients.get(client_id) != secret:
        raise OAuthError(401, {"error": "invalid_client"})
    return client_id


def token_response(state: QuickBooksState, request: TokenRequest) -> dict[str, Any]:
    with state.lock:
        client_id = client_from_basic(state, request.authorization, request.form)
        grant_type = request.form.get("grant_type")
        if grant_type == "refresh_token":
            realm_id = _use_refresh_token(state, client_id, request.form.get("refresh_token"))
        elif grant_type == "authorization_code":
            realm_id = _use_auth_code(state, client_id, request.form.get("code"), request.form.get("redirect_uri"))
        else:
            raise OAuthError(400, {"error": "unsupported_grant_type"})
        access = state.issue_access_token(client_id, realm_id)
        refresh = _next_refresh_token(state, client_id, realm_id, request.form.get("refresh_token"), grant_type)
        return {
            "token_type": "bearer", "expires_in": int(state.settings.access_token_lifetime.total_seconds()),
            "refresh_token": refresh, "x_refresh_token_expires_in": X_REFRESH_TOKEN_EXPIRES_IN,
            "access_token": access.token,
        }


def _use_refresh_token(state: QuickBooksState, client_id: str, token: str | None) -> str:
    if not token:
        raise OAuthError(400, {"error": "invalid_request"})
    grant, now = state.refresh_tokens.get(token), state.now()
    if grant is None or grant.revoked or grant.client_id != client_id:
        raise OAuthError(400, dict(INVALID_GRANT))
    if now - grant.issued_at > state.settings.refresh_token_lifetime:
        raise OAuthError(400, dict(INVALID_GRANT))
    if grant.superseded_at is not None and now - grant.superseded_at > _grace(state):
        raise OAuthError(400, dict(INVALID_GRANT))
    return grant.realm_id


def _grace(state: QuickBooksState) -> timedelta:
    settings = state.settings
    return settings.strict_refresh_grace if settings.refresh_rotation == "strict" else settings.refresh_grace


def _next_refresh_token(state: QuickBooksState, client_id: str, realm_id: str, used: str | None,
                        grant_type: str | None) -> str:
    """Intuit returns the same refresh token for about a day, then a new one (the old one lingers a while);
    strict mode rotates on every refresh. A superseded token refreshes to the newest one, not to a new one."""
    grant = state.refresh_tokens.get(used or "") if grant_type == "refresh_token" else None
    if grant is None:
        return state.issue_refresh_token(client_id, realm_id)
    now = state.now()
    if grant.superseded_by is not None:
        while (newest := state.refresh_tokens[grant.superseded_by]).superseded_by is not None:
            grant = newest
        return newest.token
    young = now - grant.issued_at < state.settings.refresh_token_reissue_after
    if state.settings.refresh_rotation == "intuit" and young:
        return grant.token
    newer = state.issue_refresh_token(client_id, realm_id)
    grant.superseded_at, grant.superseded_by = now, newer
    return newer


def _use_auth_code(state: QuickBooksState, client_id: str, code: str | None, redirect_uri: str | None) -> str:
    """One use only; the client and the redirect_uri must be those the code was issued for (else invalid_grant)."""
    owner = state.auth_codes.pop(code or "", None)
    issued_for = state.auth_code_redirects.pop(code or "", None)
    if owner is None or owner[0] != client_id:
        raise OAuthError(400, dict(INVALID_GRANT))
    if issued_for is not None and redirect_uri != issued_for:
        raise OAuthError(400, dict(INVALID_GRANT))
    return owner[1]


def revoke(state: QuickBooksState, authorization: str | None, token: str | None) -> None:
    with state.lock:
        client_id = client_from_basic(state, authorization, {})
        grant = state.refresh_tokens.get(token or "")
        access = state.access_tokens.get(token or "")
        owner = grant or access
        if owner is None or owner.client_id != client_id:
            raise OAuthError(400, {"error": "invalid_request"})
        if grant is not None:
            grant.revoked = True
        state.access_tokens = {t: g for t, g in state.access_tokens.items()
                               if (g.client_id, g.realm_id) != (owner.client_id, owner.realm_id)}


def check_bearer(state: QuickBooksState, authorization: str | None, realm_id: str) -> AccessGrant:
    """The access grant for this call; BearerRejected (401) or QboFault 3100 (403, other company)."""
    token = authorization[7:].strip() if authorization and authorization.lower().startswith("bearer ") else ""
    with state.lock:
        grant, now = state.access_tokens.get(token), state.now()
        if grant is None:
            raise BearerRejected(authentication_failed_body(f"Token invalid: {token[:12]}", now))
        if grant.expires_at <= now:
            raise BearerRejected(authentication_failed_body(f"Token expired: {token[:12]}", now))
        if grant.realm_id != realm_id:
            raise realm_forbidden(realm_id)
        return grant
