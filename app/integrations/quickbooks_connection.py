"""Building intuit-oauth + python-quickbooks clients, keeping rotated tokens in a TokenStore, one 401 retry."""
from __future__ import annotations

import threading
from collections.abc import Callable
from dataclasses import dataclass
from datetime import timedelta
from typing import TypeVar
from urllib.parse import urlsplit, urlunsplit

import requests
from intuitlib.client import AuthClient
from intuitlib.exceptions import AuthClientError
from quickbooks import QuickBooks
from quickbooks.exceptions import AuthorizationException

from app.clock import Clock, SystemClock
from app.config import Settings
from app.errors import ConfigError, LedgerbridgeError
from app.integrations.call_outcomes import recorded
from app.integrations.http import LoopbackHttpAdapter, TimeoutAdapter
from app.integrations.quickbooks_errors import VENDOR, translate_api_error, translate_auth_error
from app.integrations.throttle import Throttle, ThrottleKey, quickbooks_batch, quickbooks_realm
from app.integrations.throttle_buckets import MemoryBuckets
from app.integrations.tokens import StoredTokens, TokenStore

T = TypeVar("T")
MINOR_VERSION = 75
REDIRECT_URI = "https://localhost/quickbooks/callback"  # refresh flow only; never visited
LOCAL_HOSTS = ("127.0.0.1", "localhost", "::1", "[::1]")
ACCESS_TOKEN_MARGIN = timedelta(seconds=60)
INLINE_MAX_WAIT = 5.0  # seconds a call may wait for a throttle slot before ThrottleFull


@dataclass(frozen=True)
class QboCredentials:
    client_id: str
    client_secret: str
    realm_id: str
    initial_refresh_token: str | None
    environment: str  # "sandbox", "production" or a discovery document URL
    api_url: str | None = None  # base ending in /v3; None = Intuit's URL for the environment
    timeout: float = 30.0
    redirect_uri: str = REDIRECT_URI

    def __post_init__(self) -> None:
        if self.api_url:
            _secure_api_url(self.api_url)

    @classmethod
    def from_settings(cls, settings: Settings) -> QboCredentials:
        needed = ("qbo_client_id", "qbo_client_secret", "qbo_realm_id")
        missing = [name for name in needed if not getattr(settings, name)]
        if missing:
            raise ConfigError(f"missing setting {missing[0].upper()} (needed to reach QuickBooks)")
        refresh = settings.qbo_refresh_token.get_secret_value() if settings.qbo_refresh_token else None
        discovery = str(settings.qbo_discovery_url) if settings.qbo_discovery_url else None
        secret = settings.qbo_client_secret
        if secret is None:          # checked above; narrows the type
            raise ConfigError("missing setting QBO_CLIENT_SECRET (needed to reach QuickBooks)")
        return cls(client_id=str(settings.qbo_client_id), client_secret=secret.get_secret_value(),
                   realm_id=str(settings.qbo_realm_id), initial_refresh_token=refresh,
                   environment=discovery or settings.qbo_environment.value,
                   api_url=api_base(str(settings.qbo_api_url)) if settings.qbo_api_url else None,
                   timeout=settings.ledgerbridge_http_timeout)


def api_base(url: str) -> str:
    """QBO_API_URL with or without the /v3 suffix -> the base ending in /v3."""
    base = url.rstrip("/")
    return base if base.endswith("/v3") else base + "/v3"


class _TimeoutAuthClient(AuthClient):
    """AuthClient is itself a requests.Session and sets no timeout; give every request one."""

    def __init__(self, *args: object, timeout: float, **kwargs: object) -> None:
        self._timeout = timeout  # set before super().__init__, which already GETs the discovery document
        super().__init__(*args, **kwargs)

    def request(self, method: str, url: str, **kwargs: object) -> requests.Response:
        kwargs.setdefault("timeout", self._timeout)
        return super().request(method, url, **kwargs)


TimeoutAuthClient = _TimeoutAuthClient  # public name for the connect flow (app/integrations/quickbooks_oauth.py)


class QuickBooksConnection:
    """Owns the token lifecycle; `call(fn)` runs fn(QuickBooks) with one refresh-and-retry on HTTP 401.

    Every request first takes a slot of the realm's throttle (and a batch slot for POST /batch). The default
    throttle counts in this process only; pass a shared one (throttle_for_database) when several processes
    call the same company. `max_wait` is how long a call may wait for a slot: past it ThrottleFull (a
    RateLimited) is raised and nothing is sent; a worker that reschedules instead of sleeping passes 0.
    """

    def __init__(self, credentials: QboCredentials, *, token_store: TokenStore, clock: Clock | None = None,
                 throttle: Throttle | None = None, max_wait: float = INLINE_MAX_WAIT) -> None:
        self.credentials = credentials
        self._store = token_store
        self._clock = clock or SystemClock()
        self._lock = threading.Lock()
        self._client: QuickBooks | None = None
        self._throttle = throttle or Throttle(MemoryBuckets())
        self._max_wait = max_wait

    @recorded(VENDOR)
    def call(self, operation: Callable[[QuickBooks], T], *, batch: bool = False) -> T:
        """Run one API request (`batch`: it is a POST /batch, which has its own per-minute limit)."""
        try:
            try:
                self._pace(batch)
                return operation(self._current())
            except AuthorizationException as error:
                if error.error_code != 401:
                    raise
                self._pace(batch)  # the retry is a second request
                return operation(self._refreshed())
        except LedgerbridgeError:
            raise
        except AuthClientError as error:
            raise translate_auth_error(error) from None
        except Exception as error:  # only library/transport errors reach here; translated, never swallowed
            raise translate_api_error(error) from error

    def _pace(self, batch: bool) -> None:
        realm = self.credentials.realm_id
        keys: tuple[ThrottleKey, ...] = (quickbooks_batch(realm), quickbooks_realm(realm)) if batch else \
            (quickbooks_realm(realm),)
        self._throttle.acquire(*keys, max_wait=self._max_wait)

    def _current(self) -> QuickBooks:
        with self._lock:
            if self._client is None:
                self._client = self._connect(use_stored_access=True)
            return self._client

    def _refreshed(self) -> QuickBooks:
        with self._lock:
            self._client = self._connect(use_stored_access=False)
            return self._client

    def _connect(self, *, use_stored_access: bool) -> QuickBooks:
        stored = self._store.load(self.credentials.realm_id)
        if use_stored_access and stored and stored.access_token and stored.access_expires_at and \
                stored.access_expires_at > self._clock.now() + ACCESS_TOKEN_MARGIN:
            auth = self._auth_client(access_token=stored.access_token, refresh_token=stored.refresh_token)
        else:
            auth = self._auth_client()
            self._refresh(auth, stored.refresh_token if stored else self.credentials.initial_refresh_token)
        return self._quickbooks(auth)

    def _auth_client(self, **tokens: str) -> AuthClient:
        creds = self.credentials
        return _TimeoutAuthClient(creds.client_id, creds.client_secret, creds.redirect_uri, creds.environment,
                                  realm_id=creds.realm_id, timeout=creds.timeout, **tokens)

    def _refresh(self, auth: AuthClient, refresh_token: str | None) -> None:
        if not refresh_token:
            raise ConfigError("no QuickBooks refresh token: set QBO_REFRESH_TOKEN or reconnect QuickBooks")
        auth.refresh(refresh_token=refresh_token)
        now = self._clock.now()
        self._store.save(self.credentials.realm_id, StoredTokens(
            refresh_token=auth.refresh_token, access_token=auth.access_token,
            access_expires_at=now + timedelta(seconds=int(auth.expires_in or 3600)),
            refresh_expires_at=now + timedelta(seconds=int(auth.x_refresh_token_expires_in or 0)),
        ))

    def _quickbooks(self, auth: AuthClient) -> QuickBooks:
        creds = self.credentials
        client = QuickBooks(auth_client=auth, refresh_token=auth.refresh_token, company_id=creds.realm_id,
                            minorversion=MINOR_VERSION, use_decimal=True)
        if creds.api_url:
            client.api_url_v3 = client.sandbox_api_url_v3 = _mount_api(client.session, creds.api_url, creds.timeout)
        else:
            client.session.mount("https://", TimeoutAdapter(creds.timeout))
        return client


def _secure_api_url(api_url: str) -> str:
    """The https form the client must use; plain http is only allowed for a local emulator."""
    parts = urlsplit(api_url)
    if parts.scheme == "https":
        return api_url
    if parts.scheme != "http" or parts.hostname not in LOCAL_HOSTS:
        raise ConfigError("QBO_API_URL must be https://, or http:// on 127.0.0.1/localhost for an emulator")
    return urlunsplit(("https", parts.netloc, parts.path, "", ""))


def _mount_api(session: requests.Session, api_url: str, timeout: float) -> str:
    """python-quickbooks refuses http:// (OAuth2Session), so a local emulator is addressed as https:// and the
    transport rewrites it back to http://; every request gets a timeout either way."""
    secure = _secure_api_url(api_url)
    session.mount("https://", TimeoutAdapter(timeout))
    if secure != api_url:
        netloc = urlsplit(api_url).netloc
        session.mount(f"https://{netloc}", LoopbackHttpAdapter(f"http://{netloc}", timeout))
    return secure
