"""One line for a vendor failure that reaches a command: which vendor, where, why, and which setting to check.

Only the origin of the address tried is shown (scheme, host, port: no path, query or user info), and the
reason is named from the network error, so no token or password can end up in the line.
"""
from __future__ import annotations

import socket
import ssl
from collections.abc import Iterator
from urllib.parse import urlsplit

import requests

from app.errors import AuthenticationFailed, IntegrationError, RateLimited, VendorUnavailable

VENDOR_NAMES = {"salesforce": "Salesforce", "quickbooks": "QuickBooks", "slack": "Slack"}
ADDRESS_SETTINGS = {"salesforce": "SALESFORCE_INSTANCE_URL", "quickbooks": "QBO_API_URL and QBO_ENVIRONMENT",
                    "slack": "SLACK_API_URL"}
SALESFORCE_LOGIN_PATHS = ("/services/oauth2/", "/services/Soap/")    # JWT bearer and password sign-in
CREDENTIAL_SETTINGS = {
    "salesforce": "SALESFORCE_ACCESS_TOKEN (or the SALESFORCE_USERNAME sign-in settings)",
    "quickbooks": "QBO_CLIENT_ID, QBO_CLIENT_SECRET and QBO_REFRESH_TOKEN",
    "slack": "SLACK_BOT_TOKEN",
}


def vendor_failure_line(error: IntegrationError) -> str:
    vendor = VENDOR_NAMES.get(error.vendor, error.vendor)
    reason = network_reason(error)
    if reason is not None:
        origin, path = _address_tried(error)
        where = f" at {origin}" if origin else ""
        return f"{vendor} is unreachable{where}: {reason}. Check {_address_setting(error.vendor, path)} and try again."
    if isinstance(error, AuthenticationFailed):
        return f"{error}. Check {CREDENTIAL_SETTINGS.get(error.vendor, 'its credentials')} and try again."
    if isinstance(error, RateLimited):
        wait = f"in {error.retry_after:.0f} s" if error.retry_after else "in a few minutes"
        return f"{error}. {vendor} is throttling requests: try again {wait}."
    if isinstance(error, VendorUnavailable):
        return f"{error}. {vendor} is having trouble: try again later."
    return f"{error}."


def vendor_failure_fix(error: IntegrationError) -> str | None:
    """What to do about a failure that concerns the vendor as a whole, by its kind (None: the caller knows better)."""
    if network_reason(error) is not None:
        origin, path = _address_tried(error)
        return f"check {_address_setting(error.vendor, path)}, and that this machine can reach {origin or 'it'}"
    if isinstance(error, AuthenticationFailed):
        return f"check {CREDENTIAL_SETTINGS.get(error.vendor, 'its credentials')}"
    if isinstance(error, RateLimited | VendorUnavailable):
        return "wait a few minutes and check again"
    return None


def network_reason(error: BaseException) -> str | None:
    """'connection refused' and the like, from the lowest network error in the chain; None if there is none."""
    for link in _chain(error):
        if isinstance(link, requests.Timeout | socket.timeout | TimeoutError):
            return "no answer in time (LEDGERBRIDGE_HTTP_TIMEOUT)"
        if isinstance(link, ConnectionRefusedError):
            return "connection refused"
        if isinstance(link, socket.gaierror):
            return "the host name does not resolve"
        if isinstance(link, ssl.SSLError):
            return "the TLS handshake failed"
        if isinstance(link, ConnectionResetError):
            return "the connection was reset"
    for link in _chain(error):
        if isinstance(link, OSError) and link.strerror:
            return link.strerror[0].lower() + link.strerror[1:]
        if isinstance(link, requests.ConnectionError):
            return "no connection"
    return None


def _address_tried(error: BaseException) -> tuple[str | None, str]:
    """The origin and path of the request that failed, when the chain carries it (requests does)."""
    for link in _chain(error):
        request = getattr(link, "request", None)
        url = getattr(request, "url", None)
        if isinstance(url, str) and url:
            parts = urlsplit(url)
            host = parts.hostname or ""
            port = f":{parts.port}" if parts.port else ""
            return f"{parts.scheme}://{host}{port}", parts.path
    return None, ""


def _address_setting(vendor: str, path: str) -> str:
    if vendor == "salesforce" and path.startswith(SALESFORCE_LOGIN_PATHS):
        return "SALESFORCE_LOGIN_URL"
    return ADDRESS_SETTINGS.get(vendor, "the vendor's URL setting")


def _chain(error: BaseException) -> Iterator[BaseException]:
    """The error, then its causes and contexts (urllib3 and requests wrap the socket error several times)."""
    seen: set[int] = set()
    link: BaseException | None = error
    while link is not None and id(link) not in seen:
        seen.add(id(link))
        yield link
        reason = getattr(link, "reason", None)      # urllib's URLError keeps the socket error here
        if isinstance(reason, BaseException) and id(reason) not in seen:
            yield reason
        link = link.__cause__ or link.__context__
