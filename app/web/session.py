"""The signed session cookie of Sign in with Slack: who is signed in, whether a finance role, the CSRF token.

Signed (itsdangerous, HMAC-SHA256 keyed by LEDGERBRIDGE_SESSION_SECRET) and time-limited, never encrypted:
it carries no secret, only ids the person already knows. HttpOnly, SameSite=Lax, Secure unless the site is
plain-HTTP localhost.
"""
from __future__ import annotations

import secrets
from dataclasses import asdict, dataclass
from typing import Any

from itsdangerous import BadSignature, URLSafeTimedSerializer
from starlette.requests import HTTPConnection
from starlette.responses import Response

SESSION_COOKIE = "ledgerbridge_session"
SIGN_IN_COOKIE = "ledgerbridge_sign_in"
SESSION_SECONDS = 12 * 3600
SIGN_IN_SECONDS = 600
"""A sign-in (state and nonce) must come back from Slack within ten minutes."""
LOCAL_HOSTS = ("127.0.0.1", "localhost", "::1", "[::1]")


@dataclass(frozen=True, slots=True)
class Person:
    slack_id: str
    email: str
    name: str
    team_id: str
    finance: bool
    csrf: str

    @classmethod
    def new(cls, *, slack_id: str, email: str, name: str, team_id: str, finance: bool) -> Person:
        return cls(slack_id, email.lower(), name, team_id, finance, secrets.token_urlsafe(24))


@dataclass(frozen=True, slots=True)
class PendingSignIn:
    state: str
    nonce: str
    next: str


class SessionCodec:
    def __init__(self, secret: str) -> None:
        self._session = URLSafeTimedSerializer(secret, salt="ledgerbridge-session")
        self._pending = URLSafeTimedSerializer(secret, salt="ledgerbridge-sign-in")

    def person(self, connection: HTTPConnection) -> Person | None:
        data = self._load(self._session, connection.cookies.get(SESSION_COOKIE), SESSION_SECONDS)
        try:
            return Person(**data) if data is not None else None
        except TypeError:                     # a cookie from an older shape: sign in again
            return None

    def pending(self, connection: HTTPConnection) -> PendingSignIn | None:
        data = self._load(self._pending, connection.cookies.get(SIGN_IN_COOKIE), SIGN_IN_SECONDS)
        try:
            return PendingSignIn(**data) if data is not None else None
        except TypeError:
            return None

    def start(self, response: Response, connection: HTTPConnection, pending: PendingSignIn) -> None:
        _set(response, connection, SIGN_IN_COOKIE, self._pending.dumps(asdict(pending)), SIGN_IN_SECONDS)

    def sign_in(self, response: Response, connection: HTTPConnection, person: Person) -> None:
        # one Set-Cookie per response (a proxy may fold repeated headers); the sign-in cookie expires by itself
        _set(response, connection, SESSION_COOKIE, self._session.dumps(asdict(person)), SESSION_SECONDS)

    @staticmethod
    def sign_out(response: Response) -> None:
        response.delete_cookie(SESSION_COOKIE, path="/")

    @staticmethod
    def _load(serializer: URLSafeTimedSerializer, raw: str | None, max_age: int) -> dict[str, Any] | None:
        if not raw:
            return None
        try:
            data = serializer.loads(raw, max_age=max_age)
        except BadSignature:                  # forged, tampered with or expired
            return None
        return data if isinstance(data, dict) else None


def secure_cookies(connection: HTTPConnection) -> bool:
    """Secure everywhere but plain-HTTP localhost (the demo and tests), where the browser would drop it."""
    return connection.url.scheme == "https" or connection.url.hostname not in LOCAL_HOSTS


def _set(response: Response, connection: HTTPConnection, name: str, value: str, max_age: int) -> None:
    response.set_cookie(name, value, max_age=max_age, httponly=True, samesite="lax",
                        secure=secure_cookies(connection), path="/")
