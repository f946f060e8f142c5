"""How a listener answers the person who clicked or typed: through our Slack wrapper, never bolt's `respond`.

A slash command or a click on a message carries a `response_url`; a modal submission may carry one in
`response_urls`. The post runs in a worker thread on `SlackApi.respond` (its timeout, retries and errors).
"""
from __future__ import annotations

import asyncio
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from app.integrations.slack_api import BlockLike, SlackApi


def response_url_of(body: dict[str, Any]) -> str | None:
    """The request's response_url, where bolt would find it (a modal's first `response_urls` entry)."""
    url = body.get("response_url")
    if not url:
        urls = body.get("response_urls")
        first = urls[0] if isinstance(urls, list) and urls and isinstance(urls[0], dict) else {}
        url = first.get("response_url")
    return url if isinstance(url, str) and url else None


@dataclass(frozen=True)
class Responder:
    """Replies to one request through its response_url."""

    slack: SlackApi
    url: str | None

    async def __call__(self, *, text: str, blocks: Sequence[BlockLike] | None = None,
                       response_type: str | None = None, replace_original: bool | None = None) -> None:
        if self.url is None:
            raise ValueError("this request has no response_url to answer")
        await asyncio.to_thread(self.slack.respond, self.url, text=text, blocks=blocks,
                                response_type=response_type, replace_original=replace_original)


def responder(slack: SlackApi, body: dict[str, Any]) -> Responder:
    return Responder(slack, response_url_of(body))
