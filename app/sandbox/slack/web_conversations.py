"""conversations.info and users.conversations: what a channel is and which channels the bot is in.

Slack's contract: conversations.info on a private channel the caller is not in answers `channel_not_found`;
on a public one it answers with `is_member: false`. users.conversations lists the caller's own conversations
of the requested `types` (default `public_channel`), cursor-paged, as limited objects (no `is_member`,
`num_members`); each requested type needs its scope (channels:read, groups:read, im:read, mpim:read).
"""
from __future__ import annotations

from typing import Any

from app.sandbox.slack.state import SlackState
from app.sandbox.slack.web_common import ApiReply, BadArgument, fail, ok, text_param

DEFAULT_LIMIT, MAX_LIMIT = 100, 999
TYPE_OF_KIND = {"public": "public_channel", "private": "private_channel", "im": "im"}


def conversations_info(state: SlackState, params: dict[str, Any]) -> ApiReply:
    channel = text_param(params, "channel")
    kind = state.channel_kind(channel)
    if channel is None or kind is None:
        return fail("channel_not_found")
    if kind == "private" and channel not in state.bot_channels:
        return fail("channel_not_found")
    return ok(channel=_channel(state, channel, kind))


def users_conversations(state: SlackState, params: dict[str, Any]) -> ApiReply:
    user = text_param(params, "user") or state.bot_user_id
    if state.user(user) is None:
        return fail("user_not_found")
    wanted = {part.strip() for part in (text_param(params, "types") or "public_channel").split(",") if part.strip()}
    unknown = wanted - {"public_channel", "private_channel", "mpim", "im"}
    if unknown:
        return fail("invalid_types")
    mine = sorted(state.bot_channels if user == state.bot_user_id else set())
    listed = [(cid, kind) for cid in mine if (kind := state.channel_kind(cid)) and TYPE_OF_KIND[kind] in wanted]
    limit = min(_int(params, "limit", DEFAULT_LIMIT), MAX_LIMIT) or DEFAULT_LIMIT
    start = _int(params, "cursor", 0)
    page = listed[start:start + limit]
    more = start + limit < len(listed)
    return ok(channels=[_listed(_channel(state, cid, kind)) for cid, kind in page],
              response_metadata={"next_cursor": str(start + limit) if more else ""})


def _channel(state: SlackState, channel_id: str, kind: str) -> dict[str, Any]:
    """The conversation object (same keys as docs.slack.dev/reference/objects/conversation-object)."""
    name = state.channel_name(channel_id)
    created = int(state.now().timestamp())
    return {"id": channel_id, "name": name, "name_normalized": name, "is_channel": kind == "public",
            "is_group": kind == "private", "is_im": kind == "im", "is_mpim": False, "is_private": kind != "public",
            "created": created, "creator": state.bot_user_id, "is_archived": False,
            "is_general": name == "general", "unlinked": 0, "is_shared": False, "is_ext_shared": False,
            "is_org_shared": False, "pending_shared": [], "is_pending_ext_shared": False,
            "context_team_id": state.team_id, "updated": created * 1000,
            "is_member": channel_id in state.bot_channels or kind == "im",
            "topic": {"value": "", "creator": "", "last_set": 0},
            "purpose": {"value": "", "creator": "", "last_set": 0}, "previous_names": []}


def _listed(channel: dict[str, Any]) -> dict[str, Any]:
    """users.conversations lists "limited" conversation objects: Slack omits is_member and num_members there."""
    return {key: value for key, value in channel.items() if key not in ("is_member", "num_members")}


def _int(params: dict[str, Any], name: str, default: int) -> int:
    raw = text_param(params, name)
    try:
        return int(raw) if raw is not None else default
    except ValueError:
        raise BadArgument("invalid_" + name) from None
