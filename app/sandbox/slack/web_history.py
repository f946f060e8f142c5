"""conversations.history as Slack serves it: newest first, `oldest`/`latest` bounds, cursor paging, and
message metadata only when `include_all_metadata` is set."""
from __future__ import annotations

from typing import Any

from app.sandbox.slack.state import SlackState
from app.sandbox.slack.web_common import ApiReply, BadArgument, fail, ok, text_param

DEFAULT_LIMIT = 100
MAX_LIMIT = 999


def conversations_history(state: SlackState, params: dict[str, Any]) -> ApiReply:
    named = text_param(params, "channel")
    channel = state.resolve_channel(named) if named not in state.users else None     # history needs a DM's id
    if channel is None:
        return fail("channel_not_found")
    oldest, latest = _ts(params, "oldest", 0.0), _ts(params, "latest", float("inf"))
    inclusive, with_metadata = _flag(params, "inclusive"), _flag(params, "include_all_metadata")
    limit = min(_int(params, "limit", DEFAULT_LIMIT), MAX_LIMIT) or DEFAULT_LIMIT
    start = _int(params, "cursor", 0)
    inside = [m for m in reversed(state.messages(channel)) if m.thread_ts in (None, m.ts)
              and (oldest <= float(m.ts) <= latest if inclusive else oldest < float(m.ts) < latest)]
    page = inside[start:start + limit]
    more = start + limit < len(inside)
    return ok(messages=[m.to_api(include_metadata=with_metadata) for m in page], has_more=more, pin_count=0,
              response_metadata={"next_cursor": str(start + limit) if more else ""})


def _flag(params: dict[str, Any], name: str) -> bool:
    return str(params.get(name, "")).lower() in ("1", "true")


def _ts(params: dict[str, Any], name: str, default: float) -> float:
    raw = text_param(params, name)
    try:
        return float(raw) if raw is not None else default
    except ValueError:
        raise BadArgument("invalid_ts_" + name) from None


def _int(params: dict[str, Any], name: str, default: int) -> int:
    raw = text_param(params, name)
    if raw is None:
        return default
    if not raw.isdigit():
        raise BadArgument("invalid_cursor" if name == "cursor" else "invalid_limit")
    return int(raw)
