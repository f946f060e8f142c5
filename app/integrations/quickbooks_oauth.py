"""Connecting a QuickBooks company: Intuit's authorization URL, then the authorization-code exchange (intuit-oauth).

The tokens it returns are stored by the caller in the same TokenStore the QuickBooks connection reads."""
from __future__ import annotations

import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta
from urllib.parse import parse_qs, urlsplit

from intuitlib.enums import Scopes
from intuitlib.exceptions import AuthClientError

from app.errors import ConfigError
from app.integrations.quickbooks_connection import TimeoutAuthClient
from app.integrations.quickbooks_errors import translate_auth_error
from app.integrations.tokens import StoredTokens

ACCOUNTING_SCOPE = Scopes.ACCOUNTING  # com.intuit.quickbooks.accounting


@dataclass(frozen=True)
class ConnectApp:
    client_id: str
    client_secret: str
    redirect_uri: str
    environment: str  # "sandbox", "production" or a discovery document URL
    timeout: float = 30.0


@dataclass(frozen=True)
class Callback:
    """What Intuit's redirect carried (or what a person pasted)."""

    code: str
    realm_id: str
    state: str | None = None


class ConnectRefused(ConfigError):
    """Intuit sent back an error instead of a code, or the answer is not the one we asked for."""


def new_state() -> str:
    return secrets.token_urlsafe(24)


def authorization_url(app: ConnectApp, state: str) -> str:
    return _auth_client(app).get_authorization_url([ACCOUNTING_SCOPE], state_token=state)


def parse_callback(text: str) -> Callback:
    """The redirected URL (or its query string), or `CODE REALM_ID` as two words."""
    text = text.strip()
    if "code=" in text or "error=" in text:
        query = {key: values[0] for key, values in parse_qs(urlsplit(text).query or text.lstrip("?")).items()}
        if "error" in query:
            raise ConnectRefused(f"QuickBooks refused the connection: {query['error']}")
        if not query.get("code") or not query.get("realmId"):
            raise ConnectRefused("the redirected URL has no code or no realmId: paste the whole address")
        return Callback(query["code"], query["realmId"], query.get("state"))
    words = text.split()
    if len(words) != 2:
        raise ConnectRefused("paste the redirected URL, or the code and the realmId separated by a space")
    return Callback(words[0], words[1])


def exchange_code(app: ConnectApp, callback: Callback, *, expected_state: str | None, now: datetime) -> StoredTokens:
    """Trade the one-use code for tokens. A state that differs from ours is refused (CSRF), before any call."""
    if callback.state is not None and expected_state is not None and callback.state != expected_state:
        raise ConnectRefused("the answer's state is not the one this command asked for: start again")
    auth = _auth_client(app)
    try:
        auth.get_bearer_token(callback.code, realm_id=callback.realm_id)
    except AuthClientError as error:
        failure = translate_auth_error(error)
        if getattr(failure, "code", None) == "invalid_grant":
            raise ConnectRefused("QuickBooks refused the authorization code (invalid_grant): a code works once and "
                                 "only for a few minutes, with the QBO_REDIRECT_URI it was asked with; start "
                                 "again") from None
        raise failure from None
    return StoredTokens(
        refresh_token=auth.refresh_token, access_token=auth.access_token,
        access_expires_at=now + timedelta(seconds=int(auth.expires_in or 3600)),
        refresh_expires_at=now + timedelta(seconds=int(auth.x_refresh_token_expires_in or 0)),
    )


def _auth_client(app: ConnectApp) -> TimeoutAuthClient:
    return TimeoutAuthClient(app.client_id, app.client_secret, app.redirect_uri, app.environment,
                             timeout=app.timeout)
