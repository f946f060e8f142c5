"""requests plumbing shared by the Salesforce and QuickBooks wrappers: a timeout on every request, and the one
allowance for the local emulators.

The emulators (app/sandbox) serve plain http on 127.0.0.1, but simple-salesforce hard-codes https:// and
python-quickbooks refuses http (contracts.md §0). `LoopbackHttpAdapter` bridges that gap at the transport
level, and only that gap: it refuses any target that is not plain http on a loopback host, and the wrappers
mount it only when a configured URL is such a target. Production URLs (https) never mount it, so production
requests go out exactly as the vendor libraries build them.

Why it is here and not in app/sandbox: the README's golden path runs the production wiring (`ledgerbridge
serve`, `ledgerbridge sync`) against the emulators with nothing but base URLs changed, and production start-up
never imports app/sandbox. Keeping it guarded here is what lets the same wiring serve both.
"""
from __future__ import annotations

from typing import Any
from urllib.parse import urlsplit, urlunsplit

import requests
from requests.adapters import HTTPAdapter

from app.errors import ConfigError

LOOPBACK_HOSTS = frozenset({"127.0.0.1", "localhost", "::1"})


class TimeoutAdapter(HTTPAdapter):
    """Gives every request a timeout, since neither vendor library sets one on every call."""

    def __init__(self, timeout: float, **kwargs: Any) -> None:
        self.timeout = timeout
        super().__init__(**kwargs)

    def send(self, request: requests.PreparedRequest, **kwargs: Any) -> requests.Response:  # type: ignore[override]
        if kwargs.get("timeout") is None:
            kwargs["timeout"] = self.timeout
        return super().send(request, **kwargs)


def is_loopback_http(url: str) -> bool:
    """Plain http to this machine: what only an emulator (or a local test server) is."""
    parts = urlsplit(url)
    return parts.scheme == "http" and parts.hostname in LOOPBACK_HOSTS


class LoopbackHttpAdapter(TimeoutAdapter):
    """Sends the https:// requests a vendor library insists on building to a plain-http server on this machine,
    keeping path and query (and prefixing the target's path, if it has one)."""

    def __init__(self, target_url: str, timeout: float, **kwargs: Any) -> None:
        if not is_loopback_http(target_url):
            raise ConfigError(f"{target_url} is not plain http on a loopback host: only a local emulator is "
                              "reached over http")
        parts = urlsplit(target_url)
        self.target_netloc, self.target_prefix = parts.netloc, parts.path.rstrip("/")
        super().__init__(timeout, **kwargs)

    def send(self, request: requests.PreparedRequest, **kwargs: Any) -> requests.Response:  # type: ignore[override]
        parts = urlsplit(request.url or "")
        request.url = urlunsplit(("http", self.target_netloc, self.target_prefix + parts.path, parts.query,
                                  parts.fragment))
        return super().send(request, **kwargs)


def session_with_timeout(timeout: float) -> requests.Session:
    session = requests.Session()
    adapter = TimeoutAdapter(timeout)
    session.mount("https://", adapter)
    session.mount("http://", adapter)
    return session
