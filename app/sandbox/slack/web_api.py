"""Dispatch of /api/<method>: authentication, the method table, call recording."""
from __future__ import annotations

import json
from typing import Any
from urllib.parse import parse_qsl

from app.sandbox.slack import openid, socket_mode, web_chat, web_conversations, web_directory, web_history, web_views
from app.sandbox.slack.faults import Fault
from app.sandbox.slack.scopes import accepted_scopes, missing_scope_body, scope_headers, scopes_for_types
from app.sandbox.slack.state import SlackState
from app.sandbox.slack.web_common import ApiReply, BadArgument, Handler, fail, rate_limited

UNAVAILABLE = ApiReply({"ok": False, "error": "service_unavailable"}, status=503)
METHODS: dict[str, Handler] = {
    "auth.test": web_directory.auth_test,
    "chat.postMessage": web_chat.post_message,
    "chat.update": web_chat.update_message,
    "chat.postEphemeral": web_chat.post_ephemeral,
    "views.open": web_views.views_open,
    "views.update": web_views.views_update,
    "views.publish": web_views.views_publish,
    "users.info": web_directory.users_info,
    "users.lookupByEmail": web_directory.users_lookup_by_email,
    "usergroups.users.list": web_directory.usergroups_users_list,
    "conversations.open": web_directory.conversations_open,
    "conversations.history": web_history.conversations_history,
    "conversations.info": web_conversations.conversations_info,
    "users.conversations": web_conversations.users_conversations,
    "apps.connections.open": socket_mode.connections_open,
}


def parse_params(query: dict[str, str], body: bytes, content_type: str) -> dict[str, Any]:
    """Query string plus a JSON or form-encoded body, the ways slack_sdk sends arguments."""
    params: dict[str, Any] = dict(query)
    if not body.strip():
        return params
    if "json" in content_type.lower():
        try:
            decoded = json.loads(body)
        except (json.JSONDecodeError, UnicodeDecodeError):
            raise BadArgument("invalid_json") from None
        if not isinstance(decoded, dict):
            raise BadArgument("invalid_json")
        return params | decoded
    return params | dict(parse_qsl(body.decode("utf-8", errors="replace"), keep_blank_values=True))


def bearer_token(authorization: str | None, params: dict[str, Any]) -> str | None:
    """The token from `Authorization: Bearer`, else the legacy `token` argument (removed from params).
    HTTP Basic (how slack_sdk sends a client id and secret to openid.connect.token) fills those two params."""
    from_body = params.pop("token", None)
    if authorization and authorization.lower().startswith("basic "):
        params.update(openid.basic_credentials(authorization[6:].strip(), params))
        return None
    if authorization and authorization.lower().startswith("bearer "):
        return authorization[7:].strip() or None
    return from_body if isinstance(from_body, str) else None


def call_method(state: SlackState, method: str, params: dict[str, Any], token: str | None) -> ApiReply:
    """Run one Web API method against the state and record the call (and what a planned fault did to it)."""
    with state.lock:
        fault = state.faults.take(method)
        reply = UNAVAILABLE if fault == Fault.OUTAGE else _dispatch(state, method, params, token)
        state.record_call(method, dict(params), reply.body, reply.status)
        return UNAVAILABLE if fault == Fault.LOST_RESPONSE else reply


def _dispatch(state: SlackState, method: str, params: dict[str, Any], token: str | None) -> ApiReply:
    if method == "openid.connect.userInfo":     # authenticated by the user's own sign-in token
        return openid.openid_user_info(state, token)
    if method == "openid.connect.token":        # authenticated by the app's client id and secret
        return _run(state, method, openid.openid_token, params)
    handler = METHODS.get(method)
    if handler is None:
        return fail("unknown_method")
    app_level = method in socket_mode.APP_TOKEN_METHODS
    auth_error = state.auth_error(token, app_level=app_level)
    if auth_error:
        return fail(auth_error)
    if app_level or token is None:
        return _run(state, method, handler, params)
    granted = state.scopes_of(token)
    channel = params.get("channel")
    required = scopes_for_types(method, params.get("types"))
    if required is not None:        # each requested type needs its own scope
        accepted = required
        refusal = missing_scope_body(tuple(scope for scope in required if scope not in granted), granted)
    else:                           # any one of the accepted scopes will do
        accepted = accepted_scopes(method, state.channel_kind(channel if isinstance(channel, str) else None))
        refusal = missing_scope_body(accepted, granted)
    reply = ApiReply(refusal) if refusal else _run(state, method, handler, params)
    reply.headers.update(scope_headers(granted, accepted))
    return reply


def _run(state: SlackState, method: str, handler: Handler, params: dict[str, Any]) -> ApiReply:
    wait = state.method_limiter.retry_after(method, state.now())
    if wait is not None:
        return rate_limited(wait, state.retry_after_override)
    try:
        return handler(state, params)
    except BadArgument as bad:
        return fail(bad.error, bad.messages)
    except (TypeError, ValueError, AttributeError, KeyError) as error:
        # Malformed arguments the handlers did not anticipate: Slack answers invalid_arguments, not 500.
        return fail("invalid_arguments", [f"[ERROR] {type(error).__name__}: {error}"])
