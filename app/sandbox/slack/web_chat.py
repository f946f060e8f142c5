"""chat.postMessage, chat.update, chat.postEphemeral as the emulator serves them."""
from __future__ import annotations

import json
import re
from typing import Any

from app.sandbox.slack.block_kit_limits import message_violations
from app.sandbox.slack.state import SlackState
from app.sandbox.slack.web_common import (
    ApiReply,
    BadArgument,
    blocks_param,
    fail,
    invalid_blocks,
    json_param,
    ok,
    rate_limited,
    text_param,
)

EVENT_TYPE = re.compile(r"[a-z0-9_]{1,255}")
MAX_METADATA_BYTES = 8_000


def _content(params: dict[str, Any]) -> tuple[str | None, list[dict[str, Any]] | None, ApiReply | None]:
    """text and blocks, or the reply Slack gives for missing/oversized content."""
    text, blocks = text_param(params, "text"), blocks_param(params)
    if not text and not blocks:
        return text, blocks, fail("no_text")
    violations = message_violations(blocks) if blocks else []
    return text, blocks, (invalid_blocks(violations) if violations else None)


def _rate_limited(state: SlackState, channel: str) -> ApiReply | None:
    wait = state.limiter.retry_after(channel, state.now())
    return None if wait is None else rate_limited(wait, state.retry_after_override)


def post_message(state: SlackState, params: dict[str, Any]) -> ApiReply:
    channel = state.resolve_channel(params.get("channel"))
    if channel is None:
        return fail("channel_not_found")
    kind = state.channel_kind(channel)
    if kind in ("public", "private") and channel not in state.bot_channels:
        # without chat:write.public a bot posts only where it was invited; a private channel it is not in is
        # invisible to it, the same answer as no channel at all
        return fail("not_in_channel" if kind == "public" else "channel_not_found")
    text, blocks, problem = _content(params)
    problem = problem or _rate_limited(state, channel)
    if problem:
        return problem
    metadata = _metadata(params)
    message = state.add_message(channel, text=text or "", blocks=blocks,
                                thread_ts=text_param(params, "thread_ts"), metadata=metadata)
    return ok(channel=channel, ts=message.ts, message=message.to_api(include_metadata=True))


def _metadata(params: dict[str, Any]) -> dict[str, Any] | None:
    """`metadata`: {"event_type": "snake_case_name", "event_payload": {...}} (JSON body, or a JSON string)."""
    metadata = json_param(params, "metadata", error="invalid_metadata_format")
    if metadata is None:
        return None
    if not (isinstance(metadata, dict) and isinstance(metadata.get("event_type"), str)
            and isinstance(metadata.get("event_payload"), dict)):
        raise BadArgument("invalid_metadata_format", "[ERROR] metadata needs event_type and event_payload")
    if not EVENT_TYPE.fullmatch(metadata["event_type"]):
        raise BadArgument("invalid_metadata_schema", "[ERROR] event_type must be snake_case")
    if len(json.dumps(metadata)) > MAX_METADATA_BYTES:
        raise BadArgument("metadata_too_large")
    return {"event_type": metadata["event_type"], "event_payload": metadata["event_payload"]}


def update_message(state: SlackState, params: dict[str, Any]) -> ApiReply:
    channel = state.resolve_channel(params.get("channel"))
    if channel is None:
        return fail("channel_not_found")
    message = state.find_message(channel, text_param(params, "ts") or "")
    if message is None:
        return fail("message_not_found")
    if message.user != state.bot_user_id:
        return fail("cant_update_message")
    text, blocks, problem = _content(params)
    if problem:
        return problem
    if text is not None:
        message.text = text
    if "blocks" in params:
        message.blocks = list(blocks or [])
    message.edited_ts = state.next_ts()
    reply = {"text": message.text, "user": message.user, "blocks": message.blocks}
    return ok(channel=channel, ts=message.ts, text=message.text, message=reply)


def post_ephemeral(state: SlackState, params: dict[str, Any]) -> ApiReply:
    channel = state.resolve_channel(params.get("channel"))
    if channel is None:
        return fail("channel_not_found")
    user = text_param(params, "user")
    if user is None or state.user(user) is None:
        return fail("user_not_found")
    text, blocks, problem = _content(params)
    if problem:
        return problem
    ephemeral = state.add_ephemeral(channel, user, text=text or "", blocks=blocks,
                                    thread_ts=text_param(params, "thread_ts"))
    return ok(message_ts=ephemeral.ts)
