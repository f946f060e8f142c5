"""What the Slack emulator remembers: users, messages, calls, triggers and response URLs."""
from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, NamedTuple
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError


class CallRecord(NamedTuple):
    """One Web API call as the emulator saw it (the token is never recorded).

    `monotonic` is `time.monotonic()` when the emulator handled it: comparable with the moment a delivery's
    ack returned (`DeliveryResult.answered_at`), whatever clock the state runs on."""

    method: str
    params: dict[str, Any]
    response: dict[str, Any]
    status: int
    at: datetime
    monotonic: float = 0.0


@dataclass
class SeededUser:
    id: str
    name: str
    real_name: str = ""
    email: str | None = None
    tz: str = "UTC"
    is_admin: bool = False
    is_bot: bool = False
    deleted: bool = False

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> SeededUser:
        known = {key: data[key] for key in cls.__dataclass_fields__ if key in data}
        if not isinstance(known.get("id"), str) or not isinstance(known.get("name"), str):
            raise ValueError("a user needs string `id` and `name`")
        return cls(**known)

    def to_api(self, team_id: str, at: datetime) -> dict[str, Any]:
        """The `user` object of users.info (same keys as fixtures/slack/web_users.info_ok.json)."""
        offset, label = _tz_offset(self.tz, at)
        profile = {"avatar_hash": "", "display_name": self.name, "display_name_normalized": self.name,
                   "real_name": self.real_name, "real_name_normalized": self.real_name,
                   "status_emoji": "", "status_text": "", "team": team_id}
        if self.email:
            profile["email"] = self.email
        return {"id": self.id, "team_id": team_id, "name": self.name, "deleted": self.deleted,
                "color": "9f69e7", "real_name": self.real_name, "tz": self.tz, "tz_label": label,
                "tz_offset": offset, "profile": profile, "is_admin": self.is_admin, "is_owner": False,
                "is_primary_owner": False, "is_restricted": False, "is_ultra_restricted": False,
                "is_bot": self.is_bot, "is_app_user": False, "updated": int(at.timestamp()),
                "has_2fa": False}


def _tz_offset(tz: str, at: datetime) -> tuple[int, str]:
    try:
        local = at.astimezone(ZoneInfo(tz))
    except (ZoneInfoNotFoundError, ValueError):
        return 0, tz
    offset = local.utcoffset()
    return (int(offset.total_seconds()) if offset else 0), local.tzname() or tz


@dataclass
class StoredMessage:
    channel: str
    ts: str
    text: str
    blocks: list[dict[str, Any]]
    user: str
    team: str
    bot_id: str | None = None
    thread_ts: str | None = None
    edited_ts: str | None = None
    metadata: dict[str, Any] | None = None
    """Message metadata (event_type, event_payload) given to chat.postMessage."""

    def to_api(self, *, include_metadata: bool = False) -> dict[str, Any]:
        """The `message` object Slack returns and puts into block_actions payloads (metadata on request)."""
        message: dict[str, Any] = {"type": "message", "text": self.text, "user": self.user,
                                   "ts": self.ts, "team": self.team, "blocks": self.blocks}
        if self.bot_id:
            message |= {"bot_id": self.bot_id, "subtype": "bot_message"}
        if self.thread_ts:
            message["thread_ts"] = self.thread_ts
        if self.edited_ts:
            message["edited"] = {"user": self.user, "ts": self.edited_ts}
        if include_metadata and self.metadata is not None:
            message["metadata"] = self.metadata
        return message


@dataclass
class Ephemeral:
    channel: str
    user: str
    ts: str
    text: str
    blocks: list[dict[str, Any]]
    thread_ts: str | None = None


@dataclass
class Trigger:
    id: str
    user_id: str
    issued_at: datetime
    exchanged: bool = False


@dataclass
class ResponseUrl:
    """A response_url the Slack side handed to the app; posts to it are captured in `posts`."""

    id: str
    user_id: str
    channel_id: str
    created_at: datetime
    message_ts: str | None = None
    uses: int = 0
    posts: list[dict[str, Any]] = field(default_factory=list)
    posted_at: list[float] = field(default_factory=list)
    """`time.monotonic()` of each post, in the order of `posts`."""
