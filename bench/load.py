"""Open-loop load generator for signed slash commands; runs in its own process so it never shares a GIL with the app.

Request i is due at t0 + i/rate whether or not earlier ones have been answered (open loop); its latency is
measured from that due time, so a stalled server cannot hide its queue (no coordinated omission).
"""
from __future__ import annotations

import asyncio
import hashlib
import hmac
import time
from collections import Counter
from dataclasses import dataclass, field
from urllib.parse import urlencode

import httpx

FORM = "application/x-www-form-urlencoded"


@dataclass
class LoadResult:
    sent: int = 0
    ok: int = 0
    errors: int = 0
    latencies_ms: list[float] = field(default_factory=list)   # every request, ok, refused or timed out
    error_kinds: Counter[str] = field(default_factory=Counter)   # "HTTP 500", "ReadTimeout", ...


def signed_form(fields: dict[str, str], *, secret: str) -> tuple[str, dict[str, str]]:
    """The body and headers Slack sends: HMAC-SHA256 over `v0:<timestamp>:<body>` with a fresh timestamp."""
    body = urlencode(fields)
    timestamp = str(int(time.time()))
    digest = hmac.new(secret.encode(), f"v0:{timestamp}:{body}".encode(), hashlib.sha256).hexdigest()
    return body, {"Content-Type": FORM, "X-Slack-Request-Timestamp": timestamp, "X-Slack-Signature": f"v0={digest}"}


def run_open_loop(*, url: str, secret: str, commands: list[dict[str, str]], rate: float,
                  timeout: float) -> LoadResult:
    """Send every command at `rate` per second (blocking; call it in a child process)."""
    return asyncio.run(_open_loop(url=url, secret=secret, commands=commands, rate=rate, timeout=timeout))


async def _open_loop(*, url: str, secret: str, commands: list[dict[str, str]], rate: float,
                     timeout: float) -> LoadResult:
    result = LoadResult()
    limits = httpx.Limits(max_connections=1000, max_keepalive_connections=200)
    async with httpx.AsyncClient(timeout=timeout, limits=limits) as client:
        start = time.perf_counter()
        tasks = []
        for index, fields in enumerate(commands):
            due = start + index / rate
            await asyncio.sleep(max(0.0, due - time.perf_counter()))
            tasks.append(asyncio.create_task(_send(client, url, secret, fields, due, result)))
            result.sent += 1
        await asyncio.gather(*tasks)
    return result


async def _send(client: httpx.AsyncClient, url: str, secret: str, fields: dict[str, str], due: float,
                result: LoadResult) -> None:
    body, headers = signed_form(fields, secret=secret)
    try:
        response = await client.post(url, content=body, headers=headers)
        outcome = f"HTTP {response.status_code}"
    except httpx.HTTPError as error:            # a timeout counts, with the time it took to give up
        outcome = type(error).__name__
    result.latencies_ms.append((time.perf_counter() - due) * 1000)
    if outcome == "HTTP 200":
        result.ok += 1
        return
    result.errors += 1
    result.error_kinds[outcome] += 1
