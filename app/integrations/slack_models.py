"""What the go-live checks read from Slack: the token's identity and scopes, and channels (pure parsers)."""
from __future__ import annotations

from dataclasses import dataclass
from typing import Any


@dataclass(frozen=True)
class SlackIdentity:
    """Who the bot token is (auth.test) and the scopes Slack says it was granted (`x-oauth-scopes`)."""

    user_id: str
    team: str
    scopes: frozenset[str] | None      # None: Slack sent no x-oauth-scopes header


@dataclass(frozen=True)
class SlackChannel:
    id: str
    name: str
    is_private: bool
    is_member: bool
    is_archived: bool


def parse_channel(data: dict[str, Any]) -> SlackChannel:
    return SlackChannel(id=data["id"], name=data.get("name", ""), is_private=data.get("is_private") is True,
                        is_member=data.get("is_member") is True, is_archived=data.get("is_archived") is True)


def granted_scopes(headers: Any) -> frozenset[str] | None:
    """The scopes in a Web API answer's `x-oauth-scopes` header (header names in any case); None without one."""
    for key, value in dict(headers or {}).items():
        if key.lower() == "x-oauth-scopes":
            text = value[0] if isinstance(value, list) else str(value)
            return frozenset(scope.strip() for scope in text.split(",") if scope.strip())
    return None
