"""A one-shot HTTP listener for Intuit's redirect: answers one request on the redirect URI's path, then stops."""
from __future__ import annotations

import time
from http.server import BaseHTTPRequestHandler, HTTPServer
from urllib.parse import urlsplit

from app.errors import ConfigError

DONE_PAGE = (b"<!doctype html><title>Ledgerbridge</title><p>QuickBooks answered. Go back to the terminal: "
             b"<code>ledgerbridge qbo connect</code> says whether the company is connected.</p>")


def wait_for_redirect(redirect_uri: str, *, timeout: float) -> str:
    """The full URL of the first request to the redirect URI's path (Intuit's redirect with code and realmId)."""
    parts = urlsplit(redirect_uri)
    if parts.scheme != "http" or parts.hostname not in ("127.0.0.1", "localhost"):
        raise ConfigError("--listen needs QBO_REDIRECT_URI on http://localhost or http://127.0.0.1 (a port of this "
                          "machine); otherwise paste the redirected address instead")
    port = parts.port or 80
    received: list[str] = []

    class Handler(BaseHTTPRequestHandler):
        def do_GET(self) -> None:  # noqa: N802 (the http.server name)
            if urlsplit(self.path).path != (parts.path or "/"):
                self.send_error(404)
                return
            received.append(f"{parts.scheme}://{parts.netloc}{self.path}")
            self.send_response(200)
            self.send_header("Content-Type", "text/html; charset=utf-8")
            self.end_headers()
            self.wfile.write(DONE_PAGE)

        def log_message(self, format: str, *args: object) -> None:  # noqa: A002 (the code in the URL stays out of logs)
            return

    try:
        server = HTTPServer(("127.0.0.1", port), Handler)
    except OSError as error:
        raise ConfigError(f"cannot listen on 127.0.0.1:{port} (QBO_REDIRECT_URI): {error.strerror}") from None
    deadline = time.monotonic() + timeout
    with server:
        while not received and (left := deadline - time.monotonic()) > 0:
            server.timeout = left
            server.handle_request()   # returns after one request (say a favicon) or when `left` runs out
    if not received:
        raise ConfigError(f"no redirect from QuickBooks within {timeout:g} s: run `ledgerbridge qbo connect` again")
    return received[0]
