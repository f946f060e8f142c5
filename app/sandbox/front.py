"""The demo's front door: one port for the demo console (/demo/, served here, beside the emulators it shows) and
everything else passed through to the `ledgerbridge web` child process (Slack endpoint, dashboard, health).

Requests are forwarded as they came (method, path, query, headers, body: a Slack signature still verifies),
and the answer comes back as the web process gave it. No production code runs or is imported here.
"""
from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

import httpx
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import PlainTextResponse, Response
from starlette.routing import Mount, Route
from starlette.types import ASGIApp

HOP_BY_HOP = frozenset({"connection", "keep-alive", "transfer-encoding", "te", "trailer", "upgrade",
                        "proxy-authorization", "proxy-authenticate", "host", "content-length", "content-encoding"})
METHODS = ["GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS"]


def create_front(console: ASGIApp, *, upstream: str, timeout: float = 30.0) -> Starlette:
    """`console` at /demo, the web process at `upstream` (its base URL) for every other path."""
    client = httpx.AsyncClient(base_url=upstream, timeout=timeout, follow_redirects=False)

    @asynccontextmanager
    async def lifespan(_: Starlette) -> AsyncIterator[None]:
        yield
        await client.aclose()

    async def forward(request: Request) -> Response:
        headers = [(name, value) for name, value in request.headers.raw if name.decode().lower() not in HOP_BY_HOP]
        try:
            answer = await client.request(request.method, request.url.path, params=request.url.query,
                                          headers=headers, content=await request.body())
        except httpx.TransportError as error:
            return PlainTextResponse(f"the web process does not answer ({type(error).__name__}): "
                                     "it may be restarting, try again in a moment", status_code=502)
        kept = {name: value for name, value in answer.headers.items() if name.lower() not in HOP_BY_HOP}
        return Response(answer.content, status_code=answer.status_code, headers=kept)

    return Starlette(routes=[Mount("/demo", app=console), Route("/{path:path}", forward, methods=METHODS)],
                     lifespan=lifespan)
