"""OAuth scopes as Slack enforces them: which bot scope each emulated method needs, and what a token was granted.

Slack answers a call the token lacks a scope for with HTTP 200 `{"ok": false, "error": "missing_scope",
"needed": "<scope>", "provided": "<granted, comma-separated>"}`, and sends the token's granted scopes in the
`x-oauth-scopes` response header of every Web API call (the method's own in `x-accepted-oauth-scopes`).
The table follows each method's "Scopes" section at docs.slack.dev/reference/methods/<method>.
"""
from __future__ import annotations

from collections.abc import Mapping
from typing import Any

# What installing manifest.yaml grants a bot token: the sandbox stands for an app installed from it.
DEFAULT_BOT_SCOPES = frozenset({
    "commands", "chat:write", "im:write", "channels:history", "groups:history", "im:history",
    "channels:read", "groups:read", "users:read", "users:read.email", "usergroups:read",
})

# method -> the bot scopes that allow it (any one is enough); methods not listed need no scope.
_ANY_OF: dict[str, tuple[str, ...]] = {
    "chat.postMessage": ("chat:write",),
    "chat.update": ("chat:write",),
    "chat.postEphemeral": ("chat:write",),
    "users.info": ("users:read",),
    "users.lookupByEmail": ("users:read.email",),
    "usergroups.users.list": ("usergroups:read",),
    "conversations.open": ("im:write", "mpim:write", "channels:manage", "groups:write"),
}
# methods whose scope depends on the kind of conversation named in `channel`: public, private, DM
_BY_CHANNEL_KIND: dict[str, dict[str, str]] = {
    "conversations.history": {"public": "channels:history", "private": "groups:history", "im": "im:history"},
    "conversations.info": {"public": "channels:read", "private": "groups:read", "im": "im:read"},
}


# methods that list conversations of the requested `types` (default public_channel): "the scopes corresponding to
# that conversation type" are needed, each of them (private channels without groups:read are refused, not hidden)
_BY_TYPES: dict[str, dict[str, str]] = {
    "users.conversations": {"public_channel": "channels:read", "private_channel": "groups:read", "im": "im:read",
                            "mpim": "mpim:read"},
}


def scopes_for_types(method: str, types: object) -> tuple[str, ...] | None:
    """Every scope the requested conversation `types` need (all of them); None for a method not scoped by type."""
    by_type = _BY_TYPES.get(method)
    if by_type is None:
        return None
    asked = types if isinstance(types, str) and types.strip() else "public_channel"
    return tuple(dict.fromkeys(by_type[kind] for part in asked.split(",") if (kind := part.strip()) in by_type))


def accepted_scopes(method: str, channel_kind: str | None) -> tuple[str, ...]:
    """The scopes that allow `method` on a conversation of `channel_kind` (None: not known or not needed)."""
    by_kind = _BY_CHANNEL_KIND.get(method)
    if by_kind is not None:
        return (by_kind[channel_kind],) if channel_kind in by_kind else tuple(by_kind.values())
    return _ANY_OF.get(method, ())


def missing_scope_body(accepted: tuple[str, ...], granted: frozenset[str]) -> dict[str, Any] | None:
    """Slack's refusal when none of `accepted` was granted; None when the call may go on."""
    if not accepted or granted & set(accepted):
        return None
    return {"ok": False, "error": "missing_scope", "needed": ",".join(accepted), "provided": ",".join(sorted(granted))}


def scope_headers(granted: frozenset[str], accepted: tuple[str, ...]) -> Mapping[str, str]:
    return {"x-oauth-scopes": ",".join(sorted(granted)), "x-accepted-oauth-scopes": ",".join(accepted)}
