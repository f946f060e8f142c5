"""/_admin/...: seed and inspect the emulator over HTTP (the demo and tests in other processes use it)."""
from __future__ import annotations

import dataclasses
import json
from typing import Any

from starlette.requests import Request
from starlette.responses import JSONResponse
from starlette.routing import Route

from app.sandbox.slack.faults import Fault
from app.sandbox.slack.state import SlackState


class AdminInputError(ValueError):
    """The admin request body is not what the endpoint needs."""


def _state(request: Request) -> SlackState:
    return request.app.state.slack


async def _body(request: Request) -> dict[str, Any]:
    raw = await request.body()
    try:
        body = json.loads(raw) if raw.strip() else {}
    except (json.JSONDecodeError, UnicodeDecodeError):
        raise AdminInputError("body must be JSON") from None
    if not isinstance(body, dict):
        raise AdminInputError("body must be a JSON object")
    return body


def _require(body: dict[str, Any], key: str, kind: type) -> Any:
    value = body.get(key)
    if not isinstance(value, kind):
        raise AdminInputError(f"`{key}` must be a {kind.__name__}")
    return value


def _seed_users(state: SlackState, body: dict[str, Any]) -> dict[str, Any]:
    users = body["users"] if isinstance(body.get("users"), list) else [body]
    for user in users:
        if not isinstance(user, dict):
            raise AdminInputError("each user must be an object")
        state.add_user(_require(user, "id", str), _require(user, "name", str),
                       **{k: v for k, v in user.items() if k not in ("id", "name")})
    return {"users": len(users)}


def _seed_usergroup(state: SlackState, body: dict[str, Any]) -> dict[str, Any]:
    state.add_usergroup(_require(body, "id", str), [str(u) for u in _require(body, "users", list)])
    return {}


def _seed_channel(state: SlackState, body: dict[str, Any]) -> dict[str, Any]:
    """{"id": "C1", "name": "billing", "is_private": false, "bot_member": true} (the last two optional)."""
    state.add_channel(_require(body, "id", str), _require(body, "name", str),
                      is_private=body.get("is_private") is True, bot_member=body.get("bot_member", True) is not False)
    return {}


def _set_bot_member(state: SlackState, body: dict[str, Any]) -> dict[str, Any]:
    """{"channel": "C1", "member": false}: invite the bot to a channel, or remove it."""
    state.set_bot_member(_require(body, "channel", str), _require(body, "member", bool))
    return {}


def _set_token_scopes(state: SlackState, body: dict[str, Any]) -> dict[str, Any]:
    """{"token": "xoxb-...", "scopes": ["chat:write", ...]}: what that token was granted."""
    state.set_token_scopes(_require(body, "token", str), [str(s) for s in _require(body, "scopes", list)])
    return {}


def _set_tokens(state: SlackState, body: dict[str, Any]) -> dict[str, Any]:
    state.set_tokens([str(t) for t in _require(body, "tokens", list)])
    return {}


def _revoke_token(state: SlackState, body: dict[str, Any]) -> dict[str, Any]:
    state.revoke_token(_require(body, "token", str))
    return {}


def _set_rate_limit(state: SlackState, body: dict[str, Any]) -> dict[str, Any]:
    rate, burst = body.get("rate", state.limiter.rate), body.get("burst", state.limiter.burst)
    if not isinstance(rate, (int, float)) or not isinstance(burst, int) or rate <= 0 or burst < 1:
        raise AdminInputError("`rate` must be a number > 0 and `burst` an integer >= 1")
    state.set_rate_limit(rate=float(rate), burst=burst)
    state.retry_after_override = body.get("retry_after_override")
    return {}


def _set_method_limits(state: SlackState, body: dict[str, Any]) -> dict[str, Any]:
    """{"limits": {"usergroups.users.list": 2}, "window_seconds": 60}: merged into the current limits;
    a limit of null removes that method's limit."""
    changes = _require(body, "limits", dict)
    limits = {**state.method_limiter.limits, **changes}
    window = body.get("window_seconds", state.method_limiter.window_seconds)
    if not isinstance(window, (int, float)) or isinstance(window, bool):
        raise AdminInputError("`window_seconds` must be a number")
    state.set_method_limits({m: n for m, n in limits.items() if n is not None}, window_seconds=float(window))
    if "retry_after_override" in body:
        state.retry_after_override = body["retry_after_override"]
    return {"limits": state.method_limiter.limits, "window_seconds": state.method_limiter.window_seconds}


def _reset(state: SlackState, body: dict[str, Any]) -> dict[str, Any]:
    state.reset()
    return {}


def _post_user_message(state: SlackState, body: dict[str, Any]) -> dict[str, Any]:
    channel = state.resolve_channel(_require(body, "channel", str))
    if channel is None:
        raise AdminInputError("unknown channel")
    message = state.add_message(channel, text=_require(body, "text", str), user=_require(body, "user", str))
    return {"channel": channel, "ts": message.ts}


def _plan_fault(state: SlackState, body: dict[str, Any]) -> dict[str, Any]:
    """{"fault": "outage" | "lost_response", "method": "chat.postMessage" (or none: all), "times": 1 (or null)}
    or {"clear": true}."""
    if body.get("clear") is True:
        state.clear_faults()
        return {}
    method, times = body.get("method"), body.get("times", 1)
    if method is not None and not isinstance(method, str) or times is not None and not isinstance(times, int):
        raise AdminInputError("`method` must be a string and `times` an integer (or null: until cleared)")
    state.plan_fault(Fault(_require(body, "fault", str)), method=method, times=times)
    return {}


def _issue_trigger(state: SlackState, body: dict[str, Any]) -> dict[str, Any]:
    return {"trigger_id": state.issue_trigger(_require(body, "user_id", str))}


WRITERS = {
    "/_admin/reset": _reset, "/_admin/users": _seed_users, "/_admin/usergroups": _seed_usergroup,
    "/_admin/channels": _seed_channel, "/_admin/channels/bot_member": _set_bot_member,
    "/_admin/tokens": _set_tokens, "/_admin/tokens/revoke": _revoke_token, "/_admin/tokens/scopes": _set_token_scopes,
    "/_admin/rate_limit": _set_rate_limit, "/_admin/method_rate_limits": _set_method_limits,
    "/_admin/user_messages": _post_user_message,
    "/_admin/triggers": _issue_trigger, "/_admin/faults": _plan_fault,
}


async def _write(request: Request) -> JSONResponse:
    try:
        result = WRITERS[request.url.path](_state(request), await _body(request))
    except (AdminInputError, ValueError, TypeError) as error:
        return JSONResponse({"ok": False, "error": str(error)}, status_code=400)
    return JSONResponse({"ok": True, **result})


def _plain(value: Any) -> Any:
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        return _plain(dataclasses.asdict(value))
    if isinstance(value, tuple) and hasattr(value, "_asdict"):
        return _plain(value._asdict())
    if isinstance(value, dict):
        return {key: _plain(item) for key, item in value.items()}
    if isinstance(value, list):
        return [_plain(item) for item in value]
    return value.isoformat() if hasattr(value, "isoformat") else value


def _inspect(state: SlackState, path: str, query: dict[str, str]) -> Any:
    readers = {
        "/_admin/calls": lambda: [c for c in state.calls if c.method == query.get("method", c.method)],
        "/_admin/messages": lambda: state.messages(query.get("channel")),
        "/_admin/ephemerals": lambda: state.ephemerals(query.get("user")),
        "/_admin/views": lambda: state.views,
        "/_admin/home_views": lambda: state.home_views,
        "/_admin/responses": state.all_responses,
        "/_admin/users": lambda: list(state.users.values()),
    }
    with state.lock:
        return _plain(readers[path]())


async def _read(request: Request) -> JSONResponse:
    result = _inspect(_state(request), request.url.path, dict(request.query_params))
    return JSONResponse({"ok": True, "items": result})


def admin_routes() -> list[Route]:
    readable = ("calls", "messages", "ephemerals", "views", "home_views", "responses", "users")
    reads = [Route(f"/_admin/{name}", _read, methods=["GET"]) for name in readable]
    writes = [Route(path, _write, methods=["POST"]) for path in WRITERS]
    return reads + writes
