"""Build the simple_salesforce client from Settings, and translate its exceptions into ours."""
from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from decimal import Decimal
from typing import Any
from urllib.parse import urlsplit

import requests
from simple_salesforce import Salesforce
from simple_salesforce.exceptions import (
    SalesforceAuthenticationFailed,
    SalesforceError,
    SalesforceExpiredSession,
    SalesforceGeneralError,
    SalesforceMalformedRequest,
    SalesforceMoreThanOneRecord,
    SalesforceRefusedRequest,
    SalesforceResourceNotFound,
)

from app.config import Settings
from app.errors import (
    AuthenticationFailed,
    ConfigError,
    IntegrationError,
    RateLimited,
    VendorNotFound,
    VendorUnavailable,
    VendorValidationError,
)
from app.integrations.call_outcomes import recording
from app.integrations.http import LoopbackHttpAdapter, is_loopback_http, session_with_timeout

VENDOR = "salesforce"
_SALESFORCE_SUFFIX = ".salesforce.com"
_DEFAULT_LOGIN_DOMAIN = "login"


def login_domain(login_url: str) -> str:
    """simple-salesforce's `domain`: login.salesforce.com -> 'login', acme.my.salesforce.com -> 'acme.my'.

    A local emulator (plain http on loopback) is reached through 'login' plus the loopback adapter.
    """
    if _is_salesforce_host(login_url):
        return (urlsplit(login_url).hostname or "")[: -len(_SALESFORCE_SUFFIX)]
    return _DEFAULT_LOGIN_DOMAIN


def salesforce_session(*, timeout: float, instance_url: str | None, login_url: str) -> requests.Session:
    """A session with timeouts. Only for a local emulator (plain http on loopback) does it also send the
    https:// URLs simple-salesforce builds to that http server (app/integrations/http.py says why)."""
    session = session_with_timeout(timeout)
    if instance_url is not None and urlsplit(instance_url).scheme != "https":
        _mount_emulator(session, "SALESFORCE_INSTANCE_URL", instance_url, timeout)
    if not _is_salesforce_host(login_url):      # simple-salesforce can only log in at https://<domain>.salesforce.com
        _mount_emulator(session, "SALESFORCE_LOGIN_URL", login_url, timeout)
        session.mount(f"https://{_DEFAULT_LOGIN_DOMAIN}{_SALESFORCE_SUFFIX}/", LoopbackHttpAdapter(login_url, timeout))
    return session


def _mount_emulator(session: requests.Session, setting: str, url: str, timeout: float) -> None:
    """https://host:port/... (what simple-salesforce builds from an http URL) to http://host:port/..."""
    if not is_loopback_http(url):
        raise ConfigError(f"invalid setting {setting}: use https:// (a Salesforce host to log in), or http:// on "
                          "a loopback host for an emulator")
    netloc = urlsplit(url).netloc
    session.mount(f"https://{netloc}/", LoopbackHttpAdapter(f"http://{netloc}", timeout))


def _is_salesforce_host(url: str) -> bool:
    return urlsplit(url).scheme == "https" and (urlsplit(url).hostname or "").endswith(_SALESFORCE_SUFFIX)


def build_salesforce(settings: Settings) -> Salesforce:
    """A logged-in client: access token, else JWT bearer, else username + password + security token."""
    instance_url = str(settings.salesforce_instance_url).rstrip("/") if settings.salesforce_instance_url else None
    login_url = str(settings.salesforce_login_url).rstrip("/")
    session = salesforce_session(timeout=settings.ledgerbridge_http_timeout,
                                 instance_url=instance_url, login_url=login_url)
    common: dict[str, Any] = {"session": session, "version": settings.salesforce_api_version}
    with translated_errors("log in"):
        if settings.salesforce_access_token is not None:
            if instance_url is None:
                raise ConfigError("invalid setting SALESFORCE_INSTANCE_URL: required with SALESFORCE_ACCESS_TOKEN")
            return Salesforce(instance_url=instance_url, parse_float=Decimal,
                              session_id=settings.salesforce_access_token.get_secret_value(), **common)
        domain = login_domain(login_url)
        if settings.uses_salesforce_jwt and settings.salesforce_username:
            return Salesforce(username=settings.salesforce_username, consumer_key=settings.salesforce_client_id,
                              privatekey_file=str(settings.salesforce_private_key_file), domain=domain,
                              parse_float=Decimal, **common)
        if settings.salesforce_username and settings.salesforce_password is not None:
            token = settings.salesforce_security_token
            return Salesforce(username=settings.salesforce_username,
                              password=settings.salesforce_password.get_secret_value(),
                              security_token=token.get_secret_value() if token else "",
                              domain=domain, parse_float=Decimal, **common)
    raise ConfigError("missing Salesforce credentials: set SALESFORCE_ACCESS_TOKEN, or SALESFORCE_USERNAME + "
                      "SALESFORCE_PASSWORD (+ SALESFORCE_SECURITY_TOKEN), or SALESFORCE_CLIENT_ID + "
                      "SALESFORCE_USERNAME + SALESFORCE_PRIVATE_KEY_FILE")


def _first_error(content: Any) -> tuple[str | None, str]:
    if isinstance(content, list) and content and isinstance(content[0], dict):
        return content[0].get("errorCode"), str(content[0].get("message", ""))
    return None, str(content)[:500]


def translate(error: Exception, action: str) -> IntegrationError:
    """Our error for a simple_salesforce or requests exception (messages never carry tokens)."""
    if isinstance(error, SalesforceAuthenticationFailed):
        return AuthenticationFailed(f"Salesforce login failed ({error.code}): {error.auth_message}",
                                    vendor=VENDOR, code=str(error.code), status=401)
    if isinstance(error, SalesforceError):
        return _translate_api_error(error, action)
    if isinstance(error, requests.Timeout):
        return VendorUnavailable(f"Salesforce timed out while trying to {action}", vendor=VENDOR)
    return VendorUnavailable(f"Salesforce unreachable while trying to {action}: {type(error).__name__}",
                             vendor=VENDOR)


def _translate_api_error(error: SalesforceError, action: str) -> IntegrationError:
    code, message = _first_error(error.content)
    text = f"Salesforce refused to {action}: {code}: {message}" if code else \
        f"Salesforce refused to {action}: HTTP {error.status} {message}"
    kw: dict[str, Any] = {"vendor": VENDOR, "code": code, "status": error.status}
    if isinstance(error, SalesforceExpiredSession):
        return AuthenticationFailed(text, **kw)
    if isinstance(error, SalesforceRefusedRequest):
        return RateLimited(text, **kw) if code == "REQUEST_LIMIT_EXCEEDED" else IntegrationError(text, **kw)
    if isinstance(error, SalesforceResourceNotFound):
        return VendorNotFound(text, **kw)
    if isinstance(error, (SalesforceMalformedRequest, SalesforceMoreThanOneRecord)):
        return VendorValidationError(text, **kw)
    if isinstance(error, SalesforceGeneralError) and error.status >= 500:
        return VendorUnavailable(text, **kw)
    return IntegrationError(text, **kw)


@recording(VENDOR)
@contextmanager
def translated_errors(action: str) -> Iterator[None]:
    try:
        yield
    except (SalesforceError, requests.RequestException) as error:
        raise translate(error, action) from error
