"""Sign in with Slack (OpenID Connect): the authorize address, the code exchange and the user's identity.

Slack's flow: the browser goes to https://slack.com/openid/connect/authorize, comes back with a `code`; we
exchange it with `openid.connect.token` (client id and secret), check the id_token (audience = our client id,
the nonce we sent, not expired), then read `openid.connect.userInfo` with the access token it gave.
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Any
from urllib.parse import urlencode, urlsplit, urlunsplit

import jwt
from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError, SlackClientError

from app.config import Settings
from app.errors import ConfigError

SCOPES = "openid email profile"
ID_TOKEN_ALGORITHMS = ["HS256", "RS256"]
"""Slack signs with RS256 (keys at https://slack.com/openid/connect/keys); the emulator with HS256."""


class SignInFailed(Exception):
    """The code exchange, the id_token or the user's identity did not check out: the person signs in again."""


@dataclass(frozen=True, slots=True)
class SlackIdentity:
    user_id: str
    team_id: str
    email: str
    name: str


def authorize_url(settings: Settings, *, redirect_uri: str, state: str, nonce: str) -> str:
    """Slack's authorize page for this app, next to its Web API (slack.com/api/ -> slack.com/openid/...)."""
    base = urlsplit(str(settings.slack_api_url))
    path = base.path.rstrip("/").removesuffix("/api") + "/openid/connect/authorize"
    query = urlencode({"response_type": "code", "scope": SCOPES, "client_id": _client_id(settings),
                       "state": state, "nonce": nonce, "redirect_uri": redirect_uri})
    return urlunsplit((base.scheme, base.netloc, path, query, ""))


def sign_in(settings: Settings, *, code: str, redirect_uri: str, nonce: str,
            keys: jwt.PyJWKClient | None = None) -> SlackIdentity:
    """Exchange the code, check the id_token and read userInfo; SignInFailed on anything wrong."""
    client = WebClient(base_url=str(settings.slack_api_url),
                       timeout=int(settings.ledgerbridge_http_timeout))
    secret = settings.slack_client_secret.get_secret_value() if settings.slack_client_secret else ""
    try:
        token = client.openid_connect_token(client_id=_client_id(settings), client_secret=secret, code=code,
                                            redirect_uri=redirect_uri)
        claims = check_id_token(str(token.get("id_token", "")), client_id=_client_id(settings), secret=secret,
                                nonce=nonce, keys=keys)
        info = client.openid_connect_userInfo(token=str(token["access_token"]))
    except SlackApiError as error:
        raise SignInFailed(f"Slack refused the sign-in: {error.response.get('error', 'unknown error')}") from None
    except SlackClientError as error:
        raise SignInFailed(f"Slack could not be reached: {type(error).__name__}") from None
    return _identity(info.data if isinstance(info.data, dict) else {}, claims)


def check_id_token(id_token: str, *, client_id: str, secret: str, nonce: str,
                   keys: jwt.PyJWKClient | None = None) -> dict[str, Any]:
    """The id_token's claims once its signature, audience, expiry and nonce check out."""
    try:
        header = jwt.get_unverified_header(id_token)
        key: Any = keys.get_signing_key_from_jwt(id_token).key if header.get("alg") == "RS256" and keys \
            else secret
        claims: dict[str, Any] = jwt.decode(id_token, key, algorithms=ID_TOKEN_ALGORITHMS, audience=client_id,
                                            options={"require": ["exp", "iat", "sub", "aud"]})
    except jwt.PyJWTError as error:
        raise SignInFailed(f"the id_token did not check out ({type(error).__name__})") from None
    if not nonce or claims.get("nonce") != nonce:
        raise SignInFailed("the id_token's nonce is not the one this sign-in sent")
    return claims


def _identity(info: dict[str, Any], claims: dict[str, Any]) -> SlackIdentity:
    user_id = str(info.get("https://slack.com/user_id") or "")
    if not user_id or info.get("sub") != claims.get("sub"):
        raise SignInFailed("userInfo does not name the user the id_token names")
    return SlackIdentity(user_id=user_id, team_id=str(info.get("https://slack.com/team_id") or ""),
                         email=str(info.get("email") or "").lower(), name=str(info.get("name") or user_id))


def _client_id(settings: Settings) -> str:
    if not settings.slack_client_id:
        raise ConfigError("missing setting SLACK_CLIENT_ID")
    return settings.slack_client_id
