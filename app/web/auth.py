"""Optional dashboard protection by a shared token (LEDGERBRIDGE_DASHBOARD_TOKEN).

Unset: the dashboard is open; it should then sit behind the company's SSO proxy. Set: a request needs
`Authorization: Bearer <token>`, or `?token=<token>` once (answered with a redirect that drops the token from
the address and sets an HttpOnly cookie), or that cookie.
"""
from __future__ import annotations

import hashlib
import hmac
from dataclasses import dataclass
from enum import StrEnum
from urllib.parse import urlencode

from pydantic import SecretStr
from starlette.requests import Request

COOKIE_NAME = "ledgerbridge_dashboard"
COOKIE_MAX_AGE = 12 * 3600


class Access(StrEnum):
    ALLOWED = "allowed"
    SET_COOKIE = "set_cookie"
    DENIED = "denied"


@dataclass(frozen=True, slots=True)
class DashboardGate:
    token: SecretStr | None

    def cookie_value(self) -> str:
        """A digest of the token, so the cookie never carries the token itself."""
        secret = self.token.get_secret_value() if self.token else ""
        return hmac.new(secret.encode(), b"ledgerbridge-dashboard-cookie", hashlib.sha256).hexdigest()

    def check(self, request: Request) -> Access:
        if self.token is None:
            return Access.ALLOWED
        expected = self.token.get_secret_value()
        scheme, _, bearer = request.headers.get("authorization", "").partition(" ")
        if scheme.lower() == "bearer" and _same(bearer.strip(), expected):
            return Access.ALLOWED
        if _same(request.cookies.get(COOKIE_NAME, ""), self.cookie_value()):
            return Access.ALLOWED
        if _same(request.query_params.get("token", ""), expected):
            return Access.SET_COOKIE
        return Access.DENIED


def _same(given: str, expected: str) -> bool:
    return bool(given) and hmac.compare_digest(given.encode(), expected.encode())


def address_without_token(request: Request) -> str:
    """The same path and query, minus `token` (where the browser goes once the cookie is set)."""
    kept = [(name, value) for name, value in request.query_params.multi_items() if name != "token"]
    return f"{request.url.path}?{urlencode(kept)}" if kept else request.url.path
