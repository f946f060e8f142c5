"""What happens when the app POSTs to a response_url the Slack side gave it."""
from __future__ import annotations

import time
from typing import Any

from app.sandbox.slack.block_kit_limits import message_violations
from app.sandbox.slack.models import Ephemeral, ResponseUrl, StoredMessage
from app.sandbox.slack.state import SlackState


def deliver_response(state: SlackState, url_id: str, payload: Any) -> tuple[int, str]:
    """Apply one response_url post; returns (HTTP status, body text) as hooks.slack.com would."""
    if not isinstance(payload, dict):
        return 400, "invalid_payload"
    with state.lock:
        problem = _content_problem(payload)
        if problem:
            return 400, problem
        issued = state.response_urls.use(url_id, state.now())
        if isinstance(issued, str):
            return 404, issued
        issued.posts.append(dict(payload))
        issued.posted_at.append(time.monotonic())
        _apply(state, issued, payload)
        return 200, "ok"


def _content_problem(payload: dict[str, Any]) -> str | None:
    if payload.get("delete_original"):
        return None
    blocks = payload.get("blocks")
    if not payload.get("text") and not blocks:
        return "no_text"
    if blocks is not None and message_violations(blocks):
        return "invalid_blocks"
    return None


def _apply(state: SlackState, issued: ResponseUrl, payload: dict[str, Any]) -> None:
    text, blocks = str(payload.get("text") or ""), payload.get("blocks")
    original = state.find_message(issued.channel_id, issued.message_ts) if issued.message_ts else None
    mine = state.find_ephemeral(issued.user_id, issued.channel_id, issued.message_ts) \
        if issued.message_ts and original is None else None
    if payload.get("delete_original"):
        if original:
            state.delete_message(original.channel, original.ts)
        elif mine:
            state.delete_ephemeral(mine)
    elif payload.get("replace_original") and (original or mine):
        shown: StoredMessage | Ephemeral = original or mine  # type: ignore[assignment]  # one of them is set
        shown.text = text or shown.text
        shown.blocks = list(blocks) if blocks is not None else shown.blocks
        if original:
            original.edited_ts = state.next_ts()
    elif payload.get("response_type") == "in_channel":
        state.add_message(issued.channel_id, text=text, blocks=blocks, thread_ts=payload.get("thread_ts"))
    else:
        state.add_ephemeral(issued.channel_id, issued.user_id, text=text, blocks=blocks)
