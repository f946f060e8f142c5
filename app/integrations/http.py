"""requests plumbing shared by the Salesforce and QuickBooks wrappers: timeouts and host rewriting."""
from __future__ import annotations

from urllib.parse import urlsplit, urlunsplit

import requests
from requests.adapters import HTTPAdapter


class TimeoutAdapter(HTTPAdapter):
    """Gives every request a timeout, since neither vendor library sets one on every call."""

    def __init__(self, timeout: float, **kwargs) -> None:
        self.timeout = timeout
        super().__init__(**kwargs)

    def send(self, request, **kwargs):
        if kwargs.get("timeout") is None:
            kwargs["timeout"] = self.timeout
        return super().send(request, **kwargs)


class RewriteAdapter(TimeoutAdapter):
    """Sends requests addressed to one origin to another (an emulator or a proxy), keeping path and query.

    simple-salesforce hard-codes https:// and python-quickbooks refuses http, so a local
    emulator at http://127.0.0.1:PORT is reached by rewriting at the transport level.
    """

    def __init__(self, target_origin: str, timeout: float, **kwargs) -> None:
        parts = urlsplit(target_origin)
        self.target_scheme, self.target_netloc = parts.scheme, parts.netloc
        self.target_prefix = parts.path.rstrip("/")
        super().__init__(timeout, **kwargs)

    def send(self, request, **kwargs):
        parts = urlsplit(request.url)
        path = self.target_prefix + parts.path if self.target_prefix else parts.path
        request.url = urlunsplit((self.target_scheme, self.target_netloc, path, parts.query, parts.fragment))
        return super().send(request, **kwargs)


def origin_of(url: str) -> str:
    parts = urlsplit(url)
    return f"{parts.scheme}://{parts.netloc}"


def session_with_timeout(timeout: float) -> requests.Session:
    session = requests.Session()
    adapter = TimeoutAdapter(timeout)
    session.mount("https://", adapter)
    session.mount("http://", adapter)
    return session
